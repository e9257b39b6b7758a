package dev.dockbridge.bridge.tunnel;

import java.io.Closeable;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;

import dev.dockbridge.portforward.ChannelOpener;

/**
 * The connection to one host that every stream rides on ({@link SshTunnel} in the daemon; a fake in the
 * lifecycle's unit tests). The host lifecycle owns each tunnel it opens and closes it when the host stops
 * being the profile's ready host.
 */
public interface Tunnel extends Closeable {

    /** Session loss, for the parts that must react (the host lifecycle). */
    interface Listener {
        /** The session died (keepalives unanswered, connection reset, server gone). */
        default void lost(String address) {
        }

        /** A background reconnect attempt failed; {@code since} is when the session was lost. */
        default void reconnectFailed(String address, Instant since, TunnelException why) {
        }
    }

    void addListener(Listener listener);

    /** Whether the session is open now (not lost and reconnecting). */
    default boolean sessionOpen() {
        return true;
    }

    /** Makes sure a session is open, connecting if needed (for a lost one: up to the outage's shared wait). */
    void connect() throws TunnelException;

    /** A stream to a unix socket on the host (the remote Docker socket). */
    RemoteStream openUnixSocket(String path) throws TunnelException;

    /** A {@code direct-tcpip} channel to {@code host:port} as the server sees it; blocking work runs on {@code blockingWork}. */
    CompletableFuture<ChannelOpener.RemoteEnd> openTcpAsync(String host, int port, ChannelOpener.RemoteSink sink, Executor blockingWork);

    /**
     * Runs a shell command on the host and waits for it, at most {@code timeout}.
     *
     * @return its exit status (none if it did not finish in time) and the end of its output
     * @throws IOException when it could not run, or ended without an exit status (a signal, its session closed)
     */
    default CommandResult run(String command, Duration timeout) throws IOException {
        return run(command, null, timeout);
    }

    /**
     * The same, with {@code stdin} as the command's standard input (then its end of file): how secrets reach the host,
     * never on a command line, which other processes and logs can see.
     */
    CommandResult run(String command, byte[] stdin, Duration timeout) throws IOException;

    /**
     * Starts a shell command on the host with streamed input and output, on the session (no second connection).
     *
     * @throws IOException if no channel can be opened (the session is lost, the host refuses)
     */
    default RemoteProcess start(String command) throws IOException {
        throw new IOException("this connection cannot stream commands");
    }

    /** Ends the session and stops reconnecting. Idempotent. */
    @Override
    void close();
}

package dev.dockbridge.bridge.docker;

import java.io.Closeable;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.dockbridge.bridge.concurrent.Threads;
import java.nio.ByteBuffer;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;

/**
 * The local Docker socket: a unix socket (mode 0600) whose every connection is piped to a fresh stream to
 * the remote Docker API. A byte pipe, not an HTTP proxy, so hijacked connections (attach, exec), streams
 * and BuildKit sessions pass untouched.
 *
 * <p>Plain JDK NIO rather than Netty: Netty's unix-socket channel ignores half-close, and the docker CLI
 * half-closes after sending stdin. Owns the listening socket, its file and every accepted connection.
 */
public final class DockerSocketProxy implements Closeable {
    private static final Logger log = LoggerFactory.getLogger(DockerSocketProxy.class);

    private final Path socketPath;
    private final DockerUpstream upstream;
    private final ProxyListener listener;
    private final ExecutorService threads;
    private final Set<DockerConnection> open = ConcurrentHashMap.newKeySet();
    private final AtomicLong ids = new AtomicLong();
    private volatile ServerSocketChannel server;
    private volatile boolean closed;

    /**
     * Observes connections, e.g. to count them as user activity: what counts is each connection's current request
     * ({@link RequestClass}). Called from connection threads.
     */
    public interface ProxyListener {
        ProxyListener NONE = new ProxyListener() { };

        default void opened() {
        }

        /** A request started on a connection whose previous request was {@code previous} (null: its first). */
        default void request(RequestClass previous, RequestClass now) {
        }

        default void bytes(int count, RequestClass current) {
        }

        /** @param last the class of the connection's last request, null if it sent none */
        default void closed(RequestClass last) {
        }
    }

    private final ConnectionLimits limits;
    private final NoServerAnswers noServer; // null: every connection goes upstream
    private final BooleanSupplier hostReady;
    /** Connections handed on before speaking and still silent; at most {@link #SILENT_AT_ONCE}. */
    private final AtomicInteger silent = new AtomicInteger();
    private static final int SILENT_AT_ONCE = 16;
    private final ScheduledExecutorService silenceWatch = Executors.newSingleThreadScheduledExecutor(
            Threads.named("docker-silence-watch"));
    private volatile ConnectionGate gate;
    private final RequestRewriter rewriter; // null: every byte goes on as it came

    /** A socket that always waits for a connection's first bytes (no host to know about), with the default limits. */
    public DockerSocketProxy(Path socketPath, DockerUpstream upstream, ProxyListener listener) {
        this(socketPath, upstream, () -> false, null, null, listener, ConnectionLimits.DEFAULTS);
    }

    /**
     * @param hostReady whether a host is ready now: only then are connections handed on before they speak
     *                  (their stream opens while the client writes), a few at a time; otherwise, and past that
     *                  few, a connection waits in the gate for its first bytes, costing no thread and no stream
     * @param noServer  answers looks while no server is up (null: every request goes upstream)
     * @param rewriter  changes the few requests that must be (null: none is)
     */
    public DockerSocketProxy(Path socketPath, DockerUpstream upstream, BooleanSupplier hostReady, NoServerAnswers noServer,
                             RequestRewriter rewriter, ProxyListener listener, ConnectionLimits limits) {
        this.rewriter = rewriter;
        this.hostReady = hostReady;
        this.noServer = noServer;
        this.limits = limits;
        this.socketPath = socketPath;
        this.upstream = upstream;
        this.listener = listener;
        this.threads = Executors.newCachedThreadPool(Threads.named("docker-conn"));
    }

    public Path socketPath() {
        return socketPath;
    }

    /**
     * Binds the socket (replacing a stale file left by a dead daemon) and starts accepting.
     *
     * @throws IOException if the socket cannot be bound or another process is serving it
     */
    public void start() throws IOException {
        Path dir = socketPath.toAbsolutePath().getParent();
        if (!Files.isDirectory(dir)) {
            Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        }
        removeStaleSocket();
        ServerSocketChannel channel = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        try {
            channel.bind(UnixDomainSocketAddress.of(socketPath), 512);
            Files.setPosixFilePermissions(socketPath, PosixFilePermissions.fromString("rw-------"));
        } catch (IOException e) {
            channel.close();
            throw new IOException("cannot listen on " + socketPath + ": " + e.getMessage(), e);
        }
        server = channel;
        gate = new ConnectionGate(channel, limits, open::size, this::handOnAtOnce, this::serve);
        Thread acceptor = new Thread(gate, "docker-socket-accept");
        acceptor.setDaemon(true);
        acceptor.start();
        log.info("docker socket listening on {}", socketPath);
    }

    private void removeStaleSocket() throws IOException {
        if (!Files.exists(socketPath)) {
            return;
        }
        if (answers(socketPath)) {
            throw new IOException("another process is serving " + socketPath + " (is a DockBridge daemon already running?)");
        }
        Files.deleteIfExists(socketPath); // nobody answers: a leftover of a daemon that died
    }

    private static boolean answers(Path socket) {
        try (SocketChannel probe = SocketChannel.open(UnixDomainSocketAddress.of(socket))) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private boolean handOnAtOnce() {
        if (!hostReady.getAsBoolean()) {
            return false; // a silent client must never bring a host up
        }
        if (silent.incrementAndGet() > SILENT_AT_ONCE) {
            silent.decrementAndGet();
            return false;
        }
        return true;
    }

    /**
     * A connection that has sent its first bytes, or one handed on at once (empty {@code firstBytes}), which is
     * then answered 408 if it stays silent past the limit: from here on it is a Docker API connection.
     */
    private void serve(SocketChannel client, ByteBuffer firstBytes) {
        Runnable spoke = null;
        if (!firstBytes.hasRemaining()) {
            AtomicBoolean done = new AtomicBoolean();
            ScheduledFuture<?> watch = silenceWatch.schedule(() -> {
                if (done.compareAndSet(false, true)) {
                    silent.decrementAndGet();
                    ConnectionGate.reply(client, 408, "Request Timeout", "dockbridge: nothing was sent within "
                            + limits.firstByteTimeout().toSeconds() + " s of connecting (local.first_byte_timeout)");
                }
            }, limits.firstByteTimeout().toMillis(), TimeUnit.MILLISECONDS);
            spoke = () -> {
                if (done.compareAndSet(false, true)) {
                    silent.decrementAndGet();
                    watch.cancel(false);
                }
            };
        }
        DockerConnection connection = new DockerConnection(ids.incrementAndGet(), client, firstBytes, spoke, upstream, noServer, rewriter,
                events);
        open.add(connection);
        listener.opened();
        try {
            threads.execute(() -> connection.run(threads));
        } catch (RuntimeException e) { // executor shut down
            connection.close();
        }
    }

    private final ConnectionEvents events = new ConnectionEvents() {
        @Override
        public void request(DockerConnection connection, RequestClass previous, RequestClass now) {
            listener.request(previous, now);
        }

        @Override
        public void bytes(int count, RequestClass current) {
            listener.bytes(count, current);
        }

        @Override
        public void closed(DockerConnection connection) {
            if (open.remove(connection)) {
                listener.closed(connection.requestClass());
            }
        }
    };

    /** Stops accepting, closes every connection and removes the socket file. Idempotent. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        ConnectionGate g = gate;
        if (g != null) {
            g.close();
        }
        ServerSocketChannel s = server;
        if (s != null) {
            try {
                s.close();
            } catch (IOException ignored) {
                // closing anyway
            }
        }
        for (DockerConnection c : open) {
            c.close();
        }
        silenceWatch.shutdownNow();
        threads.shutdownNow();
        try {
            Files.deleteIfExists(socketPath);
        } catch (IOException e) {
            log.warn("cannot remove {}: {}", socketPath, e.toString());
        }
    }
}

package dev.dockbridge.bridge.tunnel;

import static dev.dockbridge.bridge.tunnel.Eventually.until;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.time.Clock;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import org.apache.sshd.client.session.ClientSession;
import org.apache.sshd.common.SshConstants;
import org.apache.sshd.common.channel.exception.SshChannelNotFoundException;
import org.apache.sshd.common.future.KeyExchangeFuture;
import org.apache.sshd.server.Environment;
import org.apache.sshd.server.channel.ChannelSession;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A command's channel closed by the server while DockBridge writes its input during a key exchange (sshd-core makes a
 * writer other than its own threads wait for the exchange's end, and re-keys every hour and every gigabyte). The
 * server's CLOSE must neither wait for that writer (it holds {@link ChannelWriteGate} while it waits, and the exchange
 * can end only once the network thread that is waiting reads the server's answers) nor be answered before the data
 * the writer sent: OpenSSH ends the whole session, with every docker connection on it, for a packet on a channel both
 * sides closed. A real SSH server (Apache SSHD, in process) behind a relay that holds its packets back makes the order
 * happen every time; the server here ends the session like OpenSSH on such a packet.
 */
class CloseDuringKeyExchangeTest {
    private final List<String> strayPackets = new CopyOnWriteArrayList<>();
    private final Reader reader = new Reader();
    private InProcessSshServer server;
    private HoldingRelay relay;
    private SshTunnel tunnel;

    @BeforeEach
    void start() throws Exception {
        server = InProcessSshServer.start(s -> {
            s.setCommandFactory((channel, command) -> command.equals("reader") ? reader : new Scripted(command));
            s.setUnknownChannelReferenceHandler((service, cmd, id, buffer) -> {
                strayPackets.add(SshConstants.getCommandMessageName(cmd & 0xFF) + " for channel " + id);
                throw new SshChannelNotFoundException(id, "packet for a closed channel " + id); // OpenSSH: the session ends
            });
        });
        relay = new HoldingRelay(server.port());
        tunnel = new SshTunnel(server.target(Duration.ofSeconds(10), relay.port()), Clock.systemUTC());
        tunnel.connect();
    }

    @AfterEach
    void stop() throws Exception {
        tunnel.close();
        relay.close();
        server.close();
    }

    @Test
    void theServersCloseDuringAKeyExchangeComesAfterTheInputWrittenBeforeIt() throws Exception {
        ClientSession session = tunnel.session();
        RemoteProcess process = tunnel.start("reader");
        OutputStream stdin = process.stdin();
        stdin.write(new byte[1000]);
        stdin.flush();
        until(() -> reader.received.get() == 1000);

        relay.hold();
        reader.exit(); // its exit status, EOF and CLOSE wait in the relay
        awaitQuiet();
        KeyExchangeFuture exchange = session.reExchangeKeys(); // its KEXINIT reaches the server; the answers wait behind the CLOSE
        Thread writer = new Thread(() -> {
            try {
                stdin.write(new byte[1000]);
                stdin.flush();
            } catch (IOException e) {
                // the channel closed under the write: allowed, the command ended
            }
        }, "test-writer");
        writer.start();
        until(() -> !writer.isAlive() || waitsForKeyExchange(writer));
        assertThat(exchange.isDone()).as("the write came during the key exchange").isFalse();
        relay.release();

        writer.join(TimeUnit.SECONDS.toMillis(20));
        assertThat(writer.isAlive()).as("the writer is still waiting").isFalse();
        assertThat(process.waitFor(Duration.ofSeconds(20))).contains(0);
        assertThat(tunnel.run("exit 3", Duration.ofSeconds(20)).exitStatus()).isEqualTo(3);
        assertThat(strayPackets).as("packets the server got for a channel both sides had closed").isEmpty();
        assertThat(tunnel.session()).as("the same session, not a reconnect").isSameAs(session);
    }

    /** Until the server's packets stop arriving at the relay for 300 ms: its CLOSE is there. */
    private void awaitQuiet() throws InterruptedException {
        until(() -> relay.held() > 0);
        long seen = -1;
        while (seen != relay.held()) {
            seen = relay.held();
            Thread.sleep(300);
        }
    }

    private static boolean waitsForKeyExchange(Thread t) {
        return (t.getState() == Thread.State.WAITING || t.getState() == Thread.State.TIMED_WAITING)
                && Arrays.stream(t.getStackTrace()).anyMatch(f -> f.getClassName().endsWith("KeyExchangeMessageHandler"));
    }

    /** Counts the bytes of its input; exits 0 when told. */
    private static final class Reader extends InProcessSshServer.ScriptedCommand {
        final AtomicLong received = new AtomicLong();

        @Override
        public void start(ChannelSession channel, Environment env) {
            Thread t = new Thread(() -> {
                byte[] chunk = new byte[8192];
                try (InputStream input = in) {
                    for (int n; (n = input.read(chunk)) >= 0; ) {
                        received.addAndGet(n);
                    }
                } catch (IOException e) {
                    // the channel closed
                }
            }, "test-reader");
            t.setDaemon(true);
            t.start();
        }

        void exit() {
            exit.onExit(0);
        }
    }

    /** "exit N" exits N; anything else (the tunnel's own session command) runs until the session ends. */
    private static final class Scripted extends InProcessSshServer.ScriptedCommand {
        private final String command;

        Scripted(String command) {
            this.command = command;
        }

        @Override
        public void start(ChannelSession channel, Environment env) {
            if (command.startsWith("exit ")) {
                exit.onExit(Integer.parseInt(command.substring(5)));
            }
        }
    }
}

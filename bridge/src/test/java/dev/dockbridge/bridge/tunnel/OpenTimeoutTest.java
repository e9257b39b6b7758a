package dev.dockbridge.bridge.tunnel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BooleanSupplier;

import org.apache.sshd.client.future.DefaultOpenFuture;
import org.apache.sshd.client.future.OpenFuture;
import org.apache.sshd.common.channel.ChannelFactory;
import org.apache.sshd.common.session.Session;
import org.apache.sshd.common.util.buffer.Buffer;
import org.apache.sshd.server.channel.AbstractServerChannel;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import dev.dockbridge.portforward.ChannelOpener;

/**
 * A forward's channel open that the server does not answer in time fails with a message naming what was opened,
 * and the server's late confirmation closes that channel again: a real SSH server (Apache SSHD, in process) whose
 * {@code direct-tcpip} channels answer only when the test says so.
 */
class OpenTimeoutTest {
    private static final Duration TIMEOUT = Duration.ofMillis(2000);

    private final List<SilentChannel> opened = new CopyOnWriteArrayList<>();
    private InProcessSshServer server;
    private SshTunnel tunnel;

    @BeforeEach
    void start() throws Exception {
        server = InProcessSshServer.start(s -> {
            List<ChannelFactory> factories = new ArrayList<>(s.getChannelFactories());
            factories.removeIf(f -> f.getName().equals("direct-tcpip"));
            factories.add(new ChannelFactory() {
                @Override
                public String getName() {
                    return "direct-tcpip";
                }

                @Override
                public SilentChannel createChannel(Session session) {
                    SilentChannel channel = new SilentChannel();
                    opened.add(channel);
                    return channel;
                }
            });
            s.setChannelFactories(factories);
        });
        tunnel = new SshTunnel(server.target(TIMEOUT), Clock.systemUTC());
        tunnel.connect();
    }

    @AfterEach
    void stop() throws Exception {
        if (tunnel != null) {
            tunnel.close();
        }
        server.close();
    }

    @Test
    void anOpenWithoutAnswerFailsInTimeAndItsLateConfirmationIsClosed() throws Exception {
        CompletableFuture<ChannelOpener.RemoteEnd> open = tunnel.openTcpAsync("127.0.0.1", 5432, new NoSink(), Runnable::run);

        assertThatThrownBy(() -> open.get(10, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class)
                .cause().isInstanceOf(TimeoutException.class).hasMessageContaining("127.0.0.1:5432")
                .hasMessageContaining(TIMEOUT.toMillis() + " ms");

        until(Duration.ofSeconds(5), () -> opened.size() == 1);
        SilentChannel late = opened.get(0);
        late.answer();
        until(Duration.ofSeconds(5), late::isClosing);
    }

    @Test
    void anOpenThatIsAnsweredSucceedsAndLeavesNoTimeoutBehind() throws Exception {
        CompletableFuture<ChannelOpener.RemoteEnd> open = tunnel.openTcpAsync("127.0.0.1", 5432, new NoSink(), Runnable::run);
        until(Duration.ofSeconds(5), () -> opened.size() == 1);
        opened.get(0).answer();

        ChannelOpener.RemoteEnd end = open.get(5, TimeUnit.SECONDS);
        // cancelled as the open completes (on the completing thread, so not necessarily before get returns), well before it
        // would have fired and left the queue by itself
        until(Duration.ofMillis(500), () -> tunnel.pendingOpenTimeouts() == 0);
        Thread.sleep(TIMEOUT.toMillis() * 2); // the timeout's moment passes: the open stays good
        assertThat(open).isCompletedWithValue(end);
        assertThat(opened.get(0).isClosing()).isFalse();
        end.close();
    }

    private static void until(Duration limit, BooleanSupplier condition) {
        long deadline = System.nanoTime() + limit.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("not within " + limit);
            }
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
        }
    }

    /** A server side of {@code direct-tcpip} that confirms the open only when {@link #answer()} is called. */
    private static final class SilentChannel extends AbstractServerChannel {
        private volatile DefaultOpenFuture pending;

        SilentChannel() {
            super("", List.of(), null);
        }

        @Override
        protected OpenFuture doInit(Buffer buffer) {
            pending = new DefaultOpenFuture(this, this);
            return pending;
        }

        void answer() {
            until(Duration.ofSeconds(5), () -> pending != null);
            signalChannelOpenSuccess(); // what sends the confirmation
            pending.setOpened();
        }

        @Override
        protected void doWriteData(byte[] data, int off, long len) {
            // nothing is sent in these tests
        }

        @Override
        protected void doWriteExtendedData(byte[] data, int off, long len) {
            // nothing is sent in these tests
        }
    }

    private static final class NoSink implements ChannelOpener.RemoteSink {
        @Override
        public void onData(byte[] array, int offset, int length, Runnable delivered) {
            delivered.run();
        }

        @Override
        public void onEof() {
        }

        @Override
        public void onClose(Throwable cause) {
        }
    }
}

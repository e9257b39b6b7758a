package dev.dockbridge.bridge.tunnel;

import static dev.dockbridge.bridge.tunnel.Eventually.until;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import org.apache.sshd.common.session.Session;
import org.apache.sshd.common.session.SessionListener;
import org.apache.sshd.core.CoreModuleProperties;
import org.apache.sshd.server.forward.AcceptAllForwardingFilter;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import dev.dockbridge.portforward.ChannelOpener;

/**
 * DockBridge's own {@code direct-tcpip} channels against a real SSH server (Apache SSHD, in process) whose window is
 * small ({@value #SERVER_WINDOW} bytes): bytes both ways arrive whole within both windows, the server stops at the
 * window the sink has not given back, half-closes pass each way, a refused open says why, and a close from either side
 * (or the session's end) ends the channel on both sides and leaves nothing behind.
 */
class DirectTcpChannelTest {
    private static final int SERVER_WINDOW = 48 * 1024;
    /** The client's window: sshd-core's default, which the tunnel sets. */
    private static final long CLIENT_WINDOW = CoreModuleProperties.WINDOW_SIZE.getRequiredDefault();

    private final ExecutorService threads = Executors.newCachedThreadPool();
    private final List<Socket> accepted = new ArrayList<>();
    private InProcessSshServer server;
    private ServerSocket peer;
    private volatile Behaviour behaviour = Behaviour.ECHO;
    private volatile byte[] toSend;
    private SshTunnel tunnel;

    enum Behaviour { ECHO, SEND, BYE_ON_EOF, HOLD }

    @BeforeEach
    void start() throws Exception {
        peer = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        threads.submit(this::servePeer);
        server = InProcessSshServer.start(s -> {
            s.setForwardingFilter(AcceptAllForwardingFilter.INSTANCE);
            CoreModuleProperties.WINDOW_SIZE.set(s, (long) SERVER_WINDOW);
            CoreModuleProperties.MAX_PACKET_SIZE.set(s, 16L * 1024);
        });
        tunnel = new SshTunnel(server.target(Duration.ofSeconds(10)), Clock.systemUTC());
        tunnel.connect();
    }

    @AfterEach
    void stop() throws Exception {
        tunnel.close();
        server.close();
        peer.close();
        threads.shutdownNow();
    }

    @Test
    void theSessionsPaddingComesFromTheChunkedDrbg() throws Exception {
        assertThat(tunnel.session().getFactoryManager().getRandomFactory().create()).isInstanceOf(SessionRandom.class);
    }

    @Test
    @Timeout(60)
    void bytesBothWaysArriveWholeWithinTheServersSmallWindow() throws Exception {
        byte[] data = random(3 * 1024 * 1024 + 17);
        Sink sink = new Sink(false);
        ChannelOpener.RemoteEnd end = open(sink);

        // pieces bigger than the server's window and packet: each is cut to fit, and waits for its WINDOW_ADJUST
        ByteBuffer all = ByteBuffer.allocateDirect(data.length).put(data).flip();
        for (int at = 0; at < data.length; at += 100_000) {
            end.write(all.slice(at, Math.min(100_000, data.length - at))).get(10, TimeUnit.SECONDS);
        }
        until(() -> sink.size() >= data.length);

        assertThat(sink.bytes()).isEqualTo(data);
        // the full packets' arrays went back for reuse once written (whole bytes above: none was reused too early)
        until(() -> tunnel.keptPacketArrays() > 0);
        assertThat(tunnel.keptPacketArrays()).isBetween(1, 16);
        end.close();
        until(() -> tunnel.tcpChannels() == 0);
    }

    @Test
    @Timeout(60)
    void theServerStopsAtTheWindowTheSinkHasNotGivenBack() throws Exception {
        toSend = random((int) (3 * CLIENT_WINDOW));
        behaviour = Behaviour.SEND;
        Sink sink = new Sink(true);
        open(sink);

        until(() -> sink.size() > 0);
        Thread.sleep(1000); // time to send more, if it were let
        assertThat((long) sink.size()).isLessThanOrEqualTo(CLIENT_WINDOW);

        sink.deliverHeld(); // from now on delivered at once: the rest comes
        until(() -> sink.size() >= toSend.length);
        assertThat(sink.bytes()).isEqualTo(toSend);
        until(() -> sink.closed.isDone()); // the peer closed after sending: EOF, then CLOSE
        assertThat(sink.eof).isTrue();
        assertThat(sink.closed.get()).isNull();
        until(() -> tunnel.tcpChannels() == 0);
    }

    @Test
    @Timeout(60)
    void halfClosesPassEachWay() throws Exception {
        behaviour = Behaviour.BYE_ON_EOF;
        Sink sink = new Sink(false);
        ChannelOpener.RemoteEnd end = open(sink);

        end.write(ByteBuffer.wrap("hello".getBytes(StandardCharsets.UTF_8))).get(10, TimeUnit.SECONDS);
        end.shutdownOutput().get(10, TimeUnit.SECONDS); // the peer reads to its end only once this EOF arrived
        until(() -> sink.closed.isDone());

        assertThat(new String(sink.bytes(), StandardCharsets.UTF_8)).isEqualTo("hello bye");
        assertThat(sink.eof).isTrue();
        assertThat(sink.closed.get()).isNull();
        until(() -> tunnel.tcpChannels() == 0);
    }

    @Test
    @Timeout(60)
    void aRefusedOpenSaysWhy() throws Exception {
        int closedPort;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closedPort = s.getLocalPort();
        }
        CompletableFuture<ChannelOpener.RemoteEnd> open = tunnel.openTcpAsync("127.0.0.1", closedPort, new Sink(false), Runnable::run);

        assertThatThrownBy(() -> open.get(10, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class)
                .cause().isInstanceOf(TunnelException.class).hasMessageContaining("cannot connect to 127.0.0.1:" + closedPort);
        assertThat(((TunnelException) open.handle((v, e) -> e).get()).kind()).isEqualTo(TunnelException.Kind.CHANNEL_REFUSED);
        until(() -> tunnel.tcpChannels() == 0);
    }

    @Test
    @Timeout(60)
    void closingHereEndsTheServersConnectionAndTellsTheSinkNothing() throws Exception {
        behaviour = Behaviour.HOLD;
        Sink sink = new Sink(false);
        ChannelOpener.RemoteEnd end = open(sink);
        until(() -> accepted.size() == 1);

        end.close();

        assertThat(accepted.get(0).getInputStream().read()).isEqualTo(-1); // the server closed its connection to the peer
        until(() -> tunnel.tcpChannels() == 0); // the server's CLOSE answered ours
        assertThat(sink.closed).isNotDone();
        assertThatThrownBy(() -> end.write(ByteBuffer.wrap(new byte[1])).get(10, TimeUnit.SECONDS)).hasCauseInstanceOf(IOException.class);
    }

    @Test
    @Timeout(60)
    void theSessionsEndEndsItsChannels() throws Exception {
        behaviour = Behaviour.HOLD;
        Sink sink = new Sink(false);
        ChannelOpener.RemoteEnd end = open(sink);

        server.close();

        until(() -> sink.closed.isDone());
        assertThat(sink.closed.get()).isInstanceOf(IOException.class);
        assertThatThrownBy(() -> end.write(ByteBuffer.wrap(new byte[1])).get(10, TimeUnit.SECONDS)).hasCauseInstanceOf(IOException.class);
    }

    /**
     * A server that stops reading its socket (busy, or behind a slow link) while its window is wide open: once the socket
     * is full the channel hands the session no more than a bound, so a fast local sender cannot fill the daemon's memory
     * with packets; when the server reads again, everything arrives whole.
     */
    @Test
    @Timeout(120)
    void aServerThatStopsReadingHoldsTheWritesBackAtABound() throws Exception {
        List<Session> serverSessions = new CopyOnWriteArrayList<>();
        try (InProcessSshServer wide = InProcessSshServer.start(s -> {
                s.setForwardingFilter(AcceptAllForwardingFilter.INSTANCE);
                CoreModuleProperties.WINDOW_SIZE.set(s, 1024L * 1024 * 1024);
                s.addSessionListener(new SessionListener() {
                    @Override
                    public void sessionCreated(Session session) {
                        serverSessions.add(session);
                    }
                });
            });
            SshTunnel wideTunnel = new SshTunnel(wide.target(Duration.ofSeconds(10)), Clock.systemUTC())) {
            wideTunnel.connect();
            Sink sink = new Sink(false);
            ChannelOpener.RemoteEnd end = wideTunnel.openTcpAsync("127.0.0.1", peer.getLocalPort(), sink, Runnable::run)
                    .get(10, TimeUnit.SECONDS);
            serverSessions.get(0).getIoSession().suspendRead();

            int piece = 1024 * 1024;
            byte[] data = random(48 * piece);
            ByteBuffer all = ByteBuffer.allocateDirect(data.length).put(data).flip();
            List<CompletableFuture<Void>> writes = new ArrayList<>();
            for (int at = 0; at < data.length; at += piece) {
                writes.add(end.write(all.slice(at, piece)));
            }
            long handed = -1;
            for (long now = done(writes); now != handed; now = done(writes)) { // until it stops moving
                handed = now;
                Thread.sleep(1000);
            }
            // the socket's buffers both sides (a few MiB on loopback), the bound, and the piece being cut into packets
            assertThat(handed).as("MiB handed to the session while the server reads nothing").isLessThan(writes.size() / 2);

            serverSessions.get(0).getIoSession().resumeRead();
            CompletableFuture.allOf(writes.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);
            until(() -> sink.size() >= data.length); // the peer echoes
            assertThat(sink.bytes()).isEqualTo(data);
        }
    }

    private static long done(List<CompletableFuture<Void>> writes) {
        return writes.stream().filter(CompletableFuture::isDone).count();
    }

    private ChannelOpener.RemoteEnd open(Sink sink) throws Exception {
        return tunnel.openTcpAsync("127.0.0.1", peer.getLocalPort(), sink, Runnable::run).get(10, TimeUnit.SECONDS);
    }

    /** Collects what the server sends; with {@code hold}, gives the window back only once {@link #deliverHeld} is called. */
    private static final class Sink implements ChannelOpener.RemoteSink {
        private final ByteArrayOutputStream received = new ByteArrayOutputStream();
        private final List<Runnable> held = new ArrayList<>();
        private boolean holding;
        volatile boolean eof;
        final CompletableFuture<Throwable> closed = new CompletableFuture<>();

        Sink(boolean hold) {
            this.holding = hold;
        }

        @Override
        public synchronized void onData(byte[] array, int offset, int length, Runnable delivered) {
            received.write(array, offset, length);
            if (holding) {
                held.add(delivered);
            } else {
                delivered.run();
            }
        }

        @Override
        public void onEof() {
            eof = true;
        }

        @Override
        public void onClose(Throwable cause) {
            closed.complete(cause);
        }

        synchronized void deliverHeld() {
            holding = false;
            held.forEach(Runnable::run);
            held.clear();
        }

        synchronized int size() {
            return received.size();
        }

        synchronized byte[] bytes() {
            return received.toByteArray();
        }
    }

    private void servePeer() {
        while (!peer.isClosed()) {
            try {
                Socket s = peer.accept();
                synchronized (accepted) {
                    accepted.add(s);
                }
                Behaviour b = behaviour;
                threads.submit(() -> {
                    try (InputStream in = s.getInputStream(); OutputStream out = s.getOutputStream()) {
                        switch (b) {
                            case ECHO -> in.transferTo(out);
                            case SEND -> {
                                out.write(toSend);
                                s.close();
                            }
                            case BYE_ON_EOF -> {
                                byte[] got = in.readAllBytes();
                                out.write((new String(got, StandardCharsets.UTF_8) + " bye").getBytes(StandardCharsets.UTF_8));
                                s.close();
                            }
                            case HOLD -> Thread.sleep(60_000);
                        }
                    }
                    return null;
                });
            } catch (IOException e) {
                return; // closed
            }
        }
    }

    private static byte[] random(int n) {
        byte[] data = new byte[n];
        new Random(n).nextBytes(data);
        return data;
    }
}

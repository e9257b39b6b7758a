package dev.dockbridge.portforward;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import java.net.InetAddress;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CopyOnWriteArrayList;
import org.assertj.core.groups.Tuple;

/**
 * The forward manager and relay with a real "remote" endpoint on loopback: an opener that dials TCP
 * directly instead of through SSH, and an echo server that answers after its input ends.
 */
@Timeout(30)
class ForwardManagerTest {
    private ServerSocket echo;
    private ForwardManager manager;

    /** Reads everything until EOF, then answers "got:" + what it read, then closes: needs half-close to work. */
    @BeforeEach
    void start() throws IOException {
        echo = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread t = new Thread(() -> {
            while (!echo.isClosed()) {
                try {
                    Socket s = echo.accept();
                    new Thread(() -> {
                        try (s) {
                            byte[] all = s.getInputStream().readAllBytes();
                            s.getOutputStream().write(("got:" + new String(all, StandardCharsets.UTF_8)).getBytes(StandardCharsets.UTF_8));
                        } catch (IOException ignored) {
                            // client went away
                        }
                    }).start();
                } catch (IOException e) {
                    return;
                }
            }
        });
        t.setDaemon(true);
        t.start();
        manager = manager(new LoopbackOpener());
    }

    @AfterEach
    void stop() throws IOException {
        manager.close();
        echo.close();
    }

    /** The transport under test: epoll where it loads; {@link ForwardManagerNioTest} runs every case on NIO. */
    Transport transport() {
        return Transport.best();
    }

    private ForwardManager manager(ChannelOpener opener) {
        return new ForwardManager(opener, List.of("127.0.0.1"), ForwardManager.DEFAULT_MAX_CONNECTIONS, transport(), Clock.systemUTC());
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    private static String exchange(int port, String request) throws IOException {
        try (Socket s = new Socket("127.0.0.1", port)) {
            s.getOutputStream().write(request.getBytes(StandardCharsets.UTF_8));
            s.shutdownOutput();
            return new String(s.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    @Test
    void relaysBothWaysAcrossAHalfClose() throws IOException {
        int port = echo.getLocalPort();
        manager.apply(List.of(new ForwardSpec("web", "tcp", "127.0.0.1", port)));
        // the forward's local port equals the remote one, which the echo server holds: it moves to the next
        int local = manager.snapshot().get(0).localPort();
        assertThat(local).isGreaterThan(port);
        assertThat(exchange(local, "hello")).isEqualTo("got:hello");
        ForwardStatus status = manager.snapshot().get(0);
        assertThat(status.totalConnections()).isEqualTo(1);
        assertThat(status.bytesIn()).isEqualTo(5);
        assertThat(status.bytesOut()).isEqualTo(9);
        assertThat(status.note()).contains("taken");
    }

    /**
     * The remote side ends its output first (the local client sees its EOF) and still receives what the client sends
     * after; then the client ends too (a reply, then the client's close: most short connections): the remote side hears
     * the client's last bytes, then its EOF, then the close, not a bare close (which drops bytes not yet sent).
     */
    @Test
    void relaysBothWaysAcrossAHalfCloseFromTheRemoteSide() throws Exception {
        List<String> ends = new CopyOnWriteArrayList<>();
        ForwardManager recording = manager(new EndRecordingOpener(new LoopbackOpener(), ends));
        try {
            assertThat(greetThenHear(recording)).isEqualTo("after the end");
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (ends.size() < 2 && System.nanoTime() < deadline) {
                Thread.sleep(5);
            }
            assertThat(ends).containsExactly("eof", "close");
        } finally {
            recording.close();
        }
    }

    /** A server that greets and ends its output at once, then reads what the client sends after that until its EOF. */
    private static String greetThenHear(ForwardManager m) throws Exception {
        CompletableFuture<String> heard = new CompletableFuture<>();
        try (ServerSocket greeter = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            Thread t = new Thread(() -> {
                try (Socket s = greeter.accept()) {
                    s.getOutputStream().write("hi".getBytes(StandardCharsets.UTF_8));
                    s.shutdownOutput();
                    heard.complete(new String(s.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
                } catch (IOException e) {
                    heard.completeExceptionally(e);
                }
            });
            t.setDaemon(true);
            t.start();
            m.apply(List.of(new ForwardSpec("greeter", "tcp", "127.0.0.1", greeter.getLocalPort())));
            int local = m.snapshot().get(0).localPort();
            try (Socket s = new Socket("127.0.0.1", local)) {
                assertThat(new String(s.getInputStream().readAllBytes(), StandardCharsets.UTF_8)).isEqualTo("hi");
                s.getOutputStream().write("after the end".getBytes(StandardCharsets.UTF_8));
                s.shutdownOutput();
                return heard.get(10, TimeUnit.SECONDS);
            }
        }
    }

    @Test
    void largeTransfersArriveWhole() throws IOException {
        manager.apply(List.of(new ForwardSpec("web", "tcp", "127.0.0.1", echo.getLocalPort())));
        int local = manager.snapshot().get(0).localPort();
        char[] big = new char[3 * 1024 * 1024];
        Arrays.fill(big, 'x');
        String payload = new String(big);
        assertThat(exchange(local, payload)).hasSize(payload.length() + 4).startsWith("got:xxx");
    }

    /**
     * The relay hands its pooled read buffer itself to the transport, which (like sshd-core) reads it only later:
     * the buffer must stay untouched until the write completes. Remote bytes come in a buffer the opener reuses
     * at once: the relay must copy them. Random text, so a reused buffer would show as changed bytes.
     */
    @Test
    void bytesSurviveATransportThatReadsLateAndOneThatReusesItsBuffer() throws Exception {
        ExecutorService transport = Executors.newSingleThreadExecutor();
        ForwardManager late = manager(new LateWritingOpener(new LoopbackOpener(), transport));
        try {
            late.apply(List.of(new ForwardSpec("web", "tcp", "127.0.0.1", echo.getLocalPort())));
            int local = late.snapshot().get(0).localPort();
            Random random = new Random(42);
            StringBuilder payload = new StringBuilder();
            for (int i = 0; i < 2 * 1024 * 1024; i++) {
                payload.append((char) ('a' + random.nextInt(26)));
            }
            assertThat(exchange(local, payload.toString())).isEqualTo("got:" + payload);
        } finally {
            late.close();
            transport.shutdownNow();
        }
    }

    @Test
    void udpIsListedButNotForwardedAndRemovalClosesTheListener() throws IOException {
        int port = freePort();
        manager.apply(List.of(new ForwardSpec("dns", "udp", "127.0.0.1", 5353), new ForwardSpec("web", "tcp", "127.0.0.1", port)));
        assertThat(manager.snapshot()).extracting(ForwardStatus::protocol, ForwardStatus::localPort)
                .containsExactlyInAnyOrder(Tuple.tuple("tcp", port), Tuple.tuple("udp", 0));
        assertThat(canConnect(port)).isTrue();

        manager.apply(List.of()); // the container stopped
        assertThat(manager.snapshot()).isEmpty();
        assertThat(canConnect(port)).as("a stopped container's port no longer answers once apply returns").isFalse();
        assertThat(canBind(port)).isTrue();
    }

    @Test
    void applyIsIdempotent() throws IOException {
        int port = freePort();
        ForwardSpec spec = new ForwardSpec("web", "tcp", "127.0.0.1", port);
        manager.apply(List.of(spec));
        manager.apply(List.of(spec));
        assertThat(manager.snapshot()).hasSize(1);
        assertThat(manager.snapshot().get(0).localPort()).isEqualTo(port);
    }

    private static boolean canBind(int port) {
        try (ServerSocket s = new ServerSocket()) {
            s.bind(new InetSocketAddress("127.0.0.1", port));
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private static boolean canConnect(int port) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 500);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** Dials the target directly: the relay's contract without SSH. */
    @Test
    void dialsTheContainersOwnAddressFirstAndFallsBackToThePublishedPortUntilTheAddressChanges() throws IOException {
        List<String> dialled = new CopyOnWriteArrayList<>();
        ChannelOpener real = new LoopbackOpener();
        // like an SSH channel that cannot connect: the channel closes, the open fails
        ChannelOpener opener = (host, port, sink) -> {
            dialled.add(host + ":" + port);
            if (host.equals("192.0.2.7")) {
                sink.onClose(new IOException("channel closed"));
                return CompletableFuture.failedFuture(new IOException("connect failed: no route to host"));
            }
            return real.open(host, port, sink);
        };
        ForwardManager m = manager(opener);
        try {
            int port = echo.getLocalPort();
            m.apply(List.of(new ForwardSpec("web", "tcp", "127.0.0.1", port, "192.0.2.7", port)));
            int local = m.snapshot().get(0).localPort();
            assertThat(exchange(local, "one")).as("the failed direct close does not end the connection").isEqualTo("got:one");
            assertThat(dialled).containsExactly("192.0.2.7:" + port, "127.0.0.1:" + port);
            assertThat(exchange(local, "two")).isEqualTo("got:two");
            assertThat(dialled).as("a failed address is not tried again").hasSize(3).endsWith("127.0.0.1:" + port);

            m.apply(List.of(new ForwardSpec("web", "tcp", "127.0.0.1", port, "localhost", port))); // restarted: a new address
            assertThat(m.snapshot().get(0).localPort()).as("the listener stays").isEqualTo(local);
            assertThat(exchange(local, "three")).isEqualTo("got:three");
            assertThat(dialled).hasSize(4).endsWith("localhost:" + port);
        } finally {
            m.close();
        }
    }

    /** Takes each write at once but sends it from another thread a moment later, in order, as SSH does. */
    private static final class LateWritingOpener implements ChannelOpener {
        private final ChannelOpener inner;
        private final ExecutorService transport;

        LateWritingOpener(ChannelOpener inner, ExecutorService transport) {
            this.inner = inner;
            this.transport = transport;
        }

        @Override
        public CompletableFuture<RemoteEnd> open(String host, int port, RemoteSink sink) {
            return inner.open(host, port, sink).thenApply(end -> new RemoteEnd() {
                @Override
                public CompletableFuture<Void> write(ByteBuffer data) {
                    return CompletableFuture.runAsync(() -> {
                        LockSupport.parkNanos(200_000);
                        end.write(data).join();
                    }, transport);
                }

                @Override
                public CompletableFuture<Void> shutdownOutput() {
                    return CompletableFuture.runAsync(() -> end.shutdownOutput().join(), transport);
                }

                @Override
                public void close() {
                    transport.execute(end::close);
                }
            });
        }
    }

    /** Records how each remote end was ended: "eof" (its output shut down), "close". */
    private static final class EndRecordingOpener implements ChannelOpener {
        private final ChannelOpener inner;
        private final List<String> ends;

        EndRecordingOpener(ChannelOpener inner, List<String> ends) {
            this.inner = inner;
            this.ends = ends;
        }

        @Override
        public CompletableFuture<RemoteEnd> open(String host, int port, RemoteSink sink) {
            return inner.open(host, port, sink).thenApply(end -> new RemoteEnd() {
                @Override
                public CompletableFuture<Void> write(ByteBuffer data) {
                    return end.write(data);
                }

                @Override
                public CompletableFuture<Void> shutdownOutput() {
                    ends.add("eof");
                    return end.shutdownOutput();
                }

                @Override
                public void close() {
                    ends.add("close");
                    end.close();
                }
            });
        }
    }

    private static final class LoopbackOpener implements ChannelOpener {
        @Override
        public CompletableFuture<RemoteEnd> open(String host, int port, RemoteSink sink) {
            return CompletableFuture.supplyAsync(() -> {
                try {
                    Socket socket = new Socket(host, port);
                    Thread reader = new Thread(() -> {
                        try {
                            InputStream in = socket.getInputStream(); // not closed here: that would close the socket's output too
                            byte[] buffer = new byte[8192];
                            int n;
                            while ((n = in.read(buffer)) > 0) {
                                sink.onData(buffer, 0, n, () -> { });
                            }
                            sink.onEof();
                        } catch (IOException e) {
                            sink.onClose(e);
                        }
                    });
                    reader.setDaemon(true);
                    reader.start();
                    OutputStream out = socket.getOutputStream();
                    return new RemoteEnd() {
                        @Override
                        public CompletableFuture<Void> write(ByteBuffer data) {
                            try {
                                byte[] bytes = new byte[data.remaining()];
                                data.duplicate().get(bytes);
                                out.write(bytes);
                                return CompletableFuture.completedFuture(null);
                            } catch (IOException e) {
                                return CompletableFuture.failedFuture(e);
                            }
                        }

                        @Override
                        public CompletableFuture<Void> shutdownOutput() {
                            try {
                                socket.shutdownOutput();
                                return CompletableFuture.completedFuture(null);
                            } catch (IOException e) {
                                return CompletableFuture.failedFuture(e);
                            }
                        }

                        @Override
                        public void close() {
                            try {
                                socket.close();
                            } catch (IOException ignored) {
                                // closed already
                            }
                        }
                    };
                } catch (IOException e) {
                    throw new CompletionException(e);
                }
            });
        }
    }
}

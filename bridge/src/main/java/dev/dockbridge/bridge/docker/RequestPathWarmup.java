package dev.dockbridge.bridge.docker;

import java.io.Closeable;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.dockbridge.bridge.concurrent.Threads;

/**
 * Runs the Docker socket's request path a few thousand times once the first engine is ready, through a private socket
 * of its own, so that the JIT has compiled it before the user's commands need it. A fresh daemon's {@code docker ps}
 * took 1.3-1.4x the engine's own socket, one that had carried a couple of thousand requests 1.0x
 * ({@code bench/bridge-latency.sh}); most daemons serve far fewer commands than that before they are restarted.
 *
 * <p>Each exchange is what a {@code docker ps} does: a {@code HEAD /_ping} (answered here, as for the user's socket)
 * and a {@code GET /version} from the engine on the same connection, which the client closes once it has the answer
 * (the CLI's paths: a stream ended from this side, not by the engine). These are looks on a
 * socket no activity tracker watches: nothing counts them as use and nothing on the server changes. Owns its socket
 * and threads; stops at the first failure, at {@link #close()}, or when its time is up; then tells {@code ended}.
 */
public final class RequestPathWarmup implements Closeable {
    private static final Logger log = LoggerFactory.getLogger(RequestPathWarmup.class);
    private static final byte[] EXCHANGE = ("HEAD /_ping HTTP/1.1\r\nHost: docker\r\n\r\n"
            + "GET /version HTTP/1.1\r\nHost: docker\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1);
    private static final String OK = "HTTP/1.1 200 OK\r\n";
    private static final Duration ANSWER_WITHIN = Duration.ofSeconds(10);
    /** Over a slow link the remaining exchanges are not worth waiting for: the JIT has seen most of it by then. */
    private static final Duration AT_MOST = Duration.ofMinutes(2);

    private final DockerSocketProxy proxy;
    private final int exchanges;
    private final int clients;
    private final ExecutorService threads;
    private final Runnable ended;
    private final AtomicBoolean started = new AtomicBoolean();
    private volatile boolean closed;

    /**
     * @param socket    where the private socket is made (removed when the warm-up ends)
     * @param upstream  the engine; must not bring a host up
     * @param hostReady as for the user's socket
     * @param answers   as for the user's socket: the ping is answered here as it would be there
     * @param rewriter  as for the user's socket (null: none), so that its checks on every request are compiled too;
     *                  the exchanges hold nothing it would change
     * @param exchanges how many in all, over {@code clients} connections at a time
     * @param ended     run once on the warm-up's thread when its run has ended, whatever the outcome, unless it was closed
     */
    public RequestPathWarmup(Path socket, DockerUpstream upstream, BooleanSupplier hostReady, NoServerAnswers answers, RequestRewriter rewriter,
            int exchanges, int clients, Runnable ended) {
        this.proxy = new DockerSocketProxy(socket, upstream, hostReady, answers, rewriter, DockerSocketProxy.ProxyListener.NONE,
                ConnectionLimits.DEFAULTS);
        this.exchanges = exchanges;
        this.clients = clients;
        this.ended = ended;
        this.threads = Executors.newFixedThreadPool(clients + 1, Threads.named("request-warmup"));
    }

    /** Starts the warm-up the first time it is called, in the background; later calls do nothing. */
    public void start() {
        if (closed || !started.compareAndSet(false, true)) {
            return;
        }
        try {
            threads.execute(this::run);
        } catch (RuntimeException e) { // closed meanwhile
            log.debug("request path warm-up not started: {}", e.toString());
        }
    }

    /** @return how many exchanges completed */
    int run() {
        long begun = System.nanoTime();
        long deadline = begun + AT_MOST.toNanos();
        int done = 0;
        try {
            synchronized (this) {
                if (closed) {
                    return 0;
                }
                proxy.start();
            }
            List<Future<Integer>> each = new ArrayList<>();
            for (int c = 0; c < clients; c++) {
                int share = exchanges / clients + (c < exchanges % clients ? 1 : 0);
                each.add(threads.submit(() -> exchangeMany(share, deadline)));
            }
            for (Future<Integer> f : each) {
                done += f.get();
            }
            log.info("request path warmed up: {} exchanges with the engine in {} ms", done, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - begun));
        } catch (Exception e) {
            if (!closed) {
                log.info("request path warm-up stopped after {} exchanges: {}", done, e.toString()); // only speed is lost
            }
        } finally {
            proxy.close();
            threads.shutdown(); // once only: its threads end with this run instead of idling for the daemon's life
        }
        if (!closed) {
            try {
                ended.run();
            } catch (RuntimeException e) {
                log.warn("after the request path warm-up: {}", e.toString());
            }
        }
        return done;
    }

    private int exchangeMany(int count, long deadline) throws IOException {
        try (Selector selector = Selector.open()) {
            ByteBuffer in = ByteBuffer.allocate(8192);
            for (int i = 0; i < count; i++) {
                if (closed || System.nanoTime() > deadline) {
                    return i;
                }
                exchange(selector, in);
            }
            return count;
        }
    }

    /** One exchange on a new connection, closed once both answers are in; fails unless both are 200. */
    private void exchange(Selector selector, ByteBuffer in) throws IOException {
        try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            ch.connect(UnixDomainSocketAddress.of(proxy.socketPath()));
            ch.write(ByteBuffer.wrap(EXCHANGE));
            ch.configureBlocking(false);
            SelectionKey key = ch.register(selector, SelectionKey.OP_READ);
            StringBuilder heads = new StringBuilder();
            long until = System.nanoTime() + ANSWER_WITHIN.toNanos();
            try {
                while (!answered(heads)) {
                    long left = TimeUnit.NANOSECONDS.toMillis(until - System.nanoTime());
                    if (left <= 0 || closed) {
                        throw new IOException("no answer within " + ANSWER_WITHIN.toSeconds() + " s");
                    }
                    selector.select(left);
                    selector.selectedKeys().clear();
                    in.clear();
                    int n = ch.read(in);
                    if (n < 0) {
                        break;
                    }
                    heads.append(new String(in.array(), 0, n, StandardCharsets.ISO_8859_1));
                }
            } finally {
                key.cancel();
                selector.selectNow(); // the cancelled key leaves the selector before the channel closes
            }
            int first = heads.indexOf(OK);
            if (first != 0 || heads.indexOf(OK, first + 1) < 0) {
                String line = heads.toString().lines().findFirst().orElse("nothing");
                throw new IOException("unexpected answer: " + line);
            }
        }
    }

    /** Whether both answers are whole: the ping's head (HEAD: no body), then the version's head and its body. */
    static boolean answered(CharSequence got) {
        String s = got.toString();
        int ping = s.indexOf("\r\n\r\n");
        int head = ping < 0 ? -1 : s.indexOf("\r\n\r\n", ping + 4);
        if (head < 0) {
            return false;
        }
        String lower = s.substring(ping + 4, head).toLowerCase(Locale.ROOT);
        int at = lower.indexOf("\r\ncontent-length:");
        if (at < 0) {
            return false; // the engine's /version always has a length: without one, wait for the end of the stream
        }
        int end = lower.indexOf("\r\n", at + 2);
        long length = Long.parseLong(lower.substring(at + "\r\ncontent-length:".length(), end < 0 ? lower.length() : end).strip());
        return s.length() - (head + 4) >= length;
    }

    @Override
    public void close() {
        synchronized (this) {
            closed = true; // a run not yet started will not open the socket
        }
        proxy.close();
        threads.shutdownNow();
    }
}

package dev.dockbridge.bridge.docker;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The warm-up runs its exchanges through a real proxy on a real unix socket: the ping answered here, the version from
 * the engine, each connection closed by the client once both answers are in; it stops at the first wrong answer.
 */
@Timeout(30)
class RequestPathWarmupTest {
    private static final String VERSION = "{\"ApiVersion\":\"1.41\"}";
    private final NoServerAnswers ready = new NoServerResponder(() -> false, () -> false, () -> "Api-Version: 1.41\r\n",
            () -> VERSION, () -> true, Clock.systemUTC());

    private static DockerUpstream engine(AtomicInteger opened, AtomicInteger pings, String status) {
        return () -> {
            opened.incrementAndGet();
            return new QueuedRemoteStream((stream, bytes) -> {
                String got = new String(bytes, StandardCharsets.ISO_8859_1);
                if (got.contains("/_ping")) {
                    pings.incrementAndGet();
                }
                if (got.contains("GET /version")) {
                    // split in two, as a slow link delivers it
                    stream.reply(("HTTP/1.1 " + status + "\r\nContent-Type: application/json\r\nContent-Length: " + VERSION.length()
                            + "\r\n\r\n{\"Api").getBytes(StandardCharsets.ISO_8859_1));
                    stream.reply(VERSION.substring(5).getBytes(StandardCharsets.ISO_8859_1));
                }
            });
        };
    }

    @Test
    void everyExchangeGoesThroughTheProxyAndThePingNeverLeavesIt() throws Exception {
        AtomicInteger opened = new AtomicInteger();
        AtomicInteger pings = new AtomicInteger();
        AtomicInteger ended = new AtomicInteger();
        Path socket = Files.createTempDirectory("dbwarm").resolve("warmup.sock");
        try (RequestPathWarmup warmup = new RequestPathWarmup(socket, engine(opened, pings, "200 OK"), () -> true, ready, null, 60, 2,
                ended::incrementAndGet)) {
            assertThat(warmup.run()).isEqualTo(60);
            assertThat(ended).as("told once, after the run").hasValue(1);
            long deadline = System.nanoTime() + 5_000_000_000L;
            while (warmupThreads() > 0 && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            assertThat(warmupThreads()).as("its threads end with the run, not with the daemon").isZero();
        }
        assertThat(opened).as("one engine connection per exchange").hasValue(60);
        assertThat(pings).as("pings are answered here").hasValue(0);
        assertThat(socket).as("the private socket goes with the warm-up").doesNotExist();
    }

    private static long warmupThreads() {
        return Thread.getAllStackTraces().keySet().stream().filter(t -> t.getName().startsWith("request-warmup") && t.isAlive()).count();
    }

    @Test
    void aWrongAnswerStopsIt() throws Exception {
        AtomicInteger opened = new AtomicInteger();
        AtomicInteger ended = new AtomicInteger();
        Path socket = Files.createTempDirectory("dbwarm").resolve("warmup.sock");
        try (RequestPathWarmup warmup = new RequestPathWarmup(socket, engine(opened, new AtomicInteger(), "500 Internal Server Error"), () -> true,
                ready, null, 60, 2, ended::incrementAndGet)) {
            assertThat(warmup.run()).isZero();
            assertThat(ended).as("told also when it stopped early").hasValue(1);
        }
        assertThat(opened.get()).as("each client stops at its first").isLessThanOrEqualTo(2);
    }

    @Test
    void aWarmupClosedBeforeItRanTellsNothing() throws Exception {
        AtomicInteger ended = new AtomicInteger();
        Path socket = Files.createTempDirectory("dbwarm").resolve("warmup.sock");
        RequestPathWarmup warmup = new RequestPathWarmup(socket, engine(new AtomicInteger(), new AtomicInteger(), "200 OK"), () -> true, ready, null,
                60, 2, ended::incrementAndGet);
        warmup.close(); // the daemon stopping before its first engine was ready
        assertThat(warmup.run()).isZero();
        assertThat(ended).hasValue(0);
    }

    @Test
    void bothAnswersAreWholeOnlyWithTheVersionsWholeBody() {
        String ping = "HTTP/1.1 200 OK\r\nApi-Version: 1.41\r\nContent-Length: 0\r\n\r\n";
        String head = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n";
        assertThat(RequestPathWarmup.answered(ping)).isFalse();
        assertThat(RequestPathWarmup.answered(ping + head + "{\"a\"")).isFalse();
        assertThat(RequestPathWarmup.answered(ping + head + "{\"a\"}")).isTrue();
    }
}

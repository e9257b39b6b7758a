package dev.dockbridge.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;

import javax.management.InstanceNotFoundException;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import dev.dockbridge.portforward.ForwardStatus;

/**
 * The recording ends once, after the warm-up, only once the forwards have been used, only where the launcher said the
 * JVM records; a JVM that cannot end it is no error.
 */
@Timeout(30)
class AotRecordingTest {
    private static final Duration OFTEN = Duration.ofMillis(20);
    private final List<String> invoked = new CopyOnWriteArrayList<>();
    private final AotRecording.DiagnosticCommands ends = operation -> {
        invoked.add(operation + " on " + Thread.currentThread().getName());
        return "Recording ended successfully.\n";
    };

    @Test
    void theRecordingEndsOnceTheForwardsHaveBeenUsedNotBefore() throws Exception {
        AtomicBoolean used = new AtomicBoolean();
        AtomicInteger looks = new AtomicInteger();
        BooleanSupplier forwards = () -> {
            looks.incrementAndGet();
            return used.get();
        };
        AotRecording aot = new AotRecording(true, ends, forwards, OFTEN);
        var answer = aot.endOnceForwardsProfiled();
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (looks.get() < 5 && System.nanoTime() < until) {
            Thread.sleep(10);
        }
        assertThat(looks.get()).as("looked at again and again").isGreaterThanOrEqualTo(5);
        assertThat(invoked).as("not ended while the forwards were unused").isEmpty();
        used.set(true);
        assertThat(answer.get(10, TimeUnit.SECONDS)).isEqualTo("Recording ended successfully.");
        assertThat(invoked).containsExactly("aotEndRecording on aot-recording");
        assertThat(aot.endOnceForwardsProfiled()).as("a second call").isNotDone();
        Thread.sleep(100);
        assertThat(invoked).hasSize(1);
    }

    @Test
    void closingStopsTheWatcher() throws Exception {
        AtomicBoolean used = new AtomicBoolean();
        AtomicInteger looks = new AtomicInteger();
        AotRecording aot = new AotRecording(true, ends, () -> {
            looks.incrementAndGet();
            return used.get();
        }, OFTEN);
        aot.endOnceForwardsProfiled();
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (looks.get() == 0 && System.nanoTime() < until) {
            Thread.sleep(10);
        }
        aot.close(); // the daemon stops
        until = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (Thread.getAllStackTraces().keySet().stream().anyMatch(t -> t.getName().equals("aot-recording") && t.isAlive())
                && System.nanoTime() < until) {
            Thread.sleep(10);
        }
        int seen = looks.get();
        used.set(true);
        Thread.sleep(100);
        assertThat(looks).as("no look after the close").hasValue(seen);
        assertThat(invoked).isEmpty();
    }

    @Test
    void aJvmThatDoesNotRecordIsNeverAskedAndNeverWatched() throws Exception {
        AtomicInteger looks = new AtomicInteger();
        AotRecording aot = new AotRecording(false, ends, () -> looks.incrementAndGet() > 0, OFTEN);
        assertThat(aot.endOnceForwardsProfiled()).isNotDone();
        Thread.sleep(100);
        assertThat(looks).hasValue(0);
        assertThat(invoked).isEmpty();
    }

    @Test
    void aFailedLookIsTriedAgain() throws Exception {
        AtomicInteger looks = new AtomicInteger();
        AotRecording aot = new AotRecording(true, ends, () -> {
            if (looks.incrementAndGet() < 3) {
                throw new IllegalStateException("the forwards are being rebuilt");
            }
            return true;
        }, OFTEN);
        assertThat(aot.endOnceForwardsProfiled().get(10, TimeUnit.SECONDS)).startsWith("Recording ended");
        assertThat(looks).hasValue(3);
    }

    @Test
    void aJvmWithoutTheCommandKeepsRecording() throws Exception {
        AotRecording aot = new AotRecording(true, operation -> {
            throw new InstanceNotFoundException("com.sun.management:type=DiagnosticCommand");
        }, () -> true, OFTEN);
        assertThat(aot.endOnceForwardsProfiled().get(10, TimeUnit.SECONDS)).contains("InstanceNotFoundException");
    }

    @Test
    void theRealCommandOnAJvmThatDoesNotRecordAnswersWithoutEndingAnything() throws Exception {
        // this test's JVM records nothing: Java 17 has no such operation, 25 says it does not record
        String answer = new AotRecording(true, AotRecording::platformCommand, () -> true, OFTEN).endOnceForwardsProfiled().get(20, TimeUnit.SECONDS);
        assertThat(answer).isNotEmpty().doesNotStartWith("Recording ended");
    }

    @Test
    void forwardsCountAsUsedWithEnoughConnectionsAndBytesBoth() {
        long half = AotRecording.PROFILED_BYTES / 2;
        long some = AotRecording.PROFILED_CONNECTIONS / 2;
        List<ForwardStatus> many = List.of(forward(some, half, 0), forward(some, 0, half));
        assertThat(AotRecording.forwardsUsed(() -> many).getAsBoolean()).isTrue();
        assertThat(AotRecording.forwardsUsed(() -> List.of(forward(2 * some - 1, half, half))).getAsBoolean()).as("too few connections").isFalse();
        assertThat(AotRecording.forwardsUsed(() -> List.of(forward(2 * some, half, half - 1))).getAsBoolean()).as("too few bytes").isFalse();
        assertThat(AotRecording.forwardsUsed(List::of).getAsBoolean()).as("none up").isFalse();
        assertThat(AotRecording.forwardsUsed(() -> List.of(forward(10, 600, 400)), 10, 1_000).getAsBoolean()).as("other amounts").isTrue();
    }

    private static ForwardStatus forward(long connections, long in, long out) {
        return new ForwardStatus("web", "tcp", "172.17.0.2", 80, 8080, 0, connections, in, out, Instant.EPOCH, null);
    }
}

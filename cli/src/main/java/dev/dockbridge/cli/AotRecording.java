package dev.dockbridge.cli;

import java.io.Closeable;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

import javax.management.JMException;
import javax.management.ObjectName;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.dockbridge.portforward.ForwardStatus;

/**
 * Ends the daemon JVM's ahead-of-time training ({@code -XX:AOTCacheOutput}, Java 25) once what the cache must know has
 * run, instead of at the daemon's exit. A JVM that records forwards slower (docs/benchmarks.md), and the first daemon
 * after an install or upgrade, the one that records, can run for days. Ending it writes the cache at once (the JVM runs
 * a second one to assemble it, some seconds) under the name the launcher gave; the launcher takes it into use at the
 * next start, as it did with one written at exit.
 *
 * <p>What must have run: the request-path warm-up, and forwards that carried real traffic. A cache whose profiles hold
 * the request path but no forwards made every later daemon's forwards slower than no cache at all (measured: 1,252 µs
 * of CPU per connection, against 565 with a cache of a whole life and 690 with none), so the recording goes on until
 * the forwards have been used, or until the daemon exits where they never are (and then their speed did not matter to
 * this user).
 *
 * <p>Only where the launcher says this JVM records ({@value #PROPERTY}): every other daemon never loads the management
 * classes. A JVM that cannot end a recording early (no such command, or a runtime without the {@code jdk.management}
 * and {@code jdk.jfr} modules) records until exit, as before.
 */
final class AotRecording implements Closeable {
    static final String PROPERTY = "dockbridge.aot.recording";

    private static final Logger log = LoggerFactory.getLogger(AotRecording.class);
    /** The diagnostic command {@code AOT.end_recording}, as the platform's MBean names it. */
    private static final String END_RECORDING = "aotEndRecording";
    private static final String ENDED = "Recording ended";
    /**
     * Forwards used enough for their profiles: connections (each a channel's open and close) and bytes (the streaming
     * path), both, over the forwards up now. A cache recorded to these served later daemons' forwards at 0.97-1.18x the
     * CPU per connection of one recorded over some 11,000 connections and 15 GB, within what two caches recorded alike
     * differ by (bench/aot-cache-forwards.sh, docs/benchmarks.md).
     */
    static final long PROFILED_CONNECTIONS = 5_000;
    static final long PROFILED_BYTES = 4L << 30;
    /** For tests that cannot move that much. */
    private static final String CONNECTIONS_PROPERTY = "dockbridge.aot.forwarded-connections";
    private static final String BYTES_PROPERTY = "dockbridge.aot.forwarded-bytes";

    private final boolean recording;
    private final DiagnosticCommands commands;
    private final BooleanSupplier forwardsProfiled;
    private final Duration checkEvery;
    private Thread watcher; // guarded by this: made once
    private volatile boolean closed; // also read by the watcher's loop

    /** The JVM's diagnostic commands ({@code jcmd}'s), by operation name; answers with the command's output. */
    interface DiagnosticCommands {
        String invoke(String operation) throws JMException;
    }

    /**
     * @param forwardsProfiled whether the forwards have carried enough for the JIT's profiles of them
     * @param checkEvery       how often that is looked at once the warm-up is done
     */
    AotRecording(boolean recording, DiagnosticCommands commands, BooleanSupplier forwardsProfiled, Duration checkEvery) {
        this.recording = recording;
        this.commands = commands;
        this.forwardsProfiled = forwardsProfiled;
        this.checkEvery = checkEvery;
    }

    /** This JVM's recording, as the launcher started it. */
    static AotRecording ofThisJvm(BooleanSupplier forwardsProfiled) {
        return new AotRecording(Boolean.getBoolean(PROPERTY), AotRecording::platformCommand, forwardsProfiled, Duration.ofSeconds(10));
    }

    /** Whether {@code forwards} (those up now) have carried {@link #PROFILED_CONNECTIONS} and {@link #PROFILED_BYTES}. */
    static BooleanSupplier forwardsUsed(Supplier<List<ForwardStatus>> forwards) {
        return forwardsUsed(forwards, Long.getLong(CONNECTIONS_PROPERTY, PROFILED_CONNECTIONS), Long.getLong(BYTES_PROPERTY, PROFILED_BYTES));
    }

    /** Whether {@code forwards} (those up now) have carried {@code connections} and {@code bytes}, both. */
    static BooleanSupplier forwardsUsed(Supplier<List<ForwardStatus>> forwards, long connections, long bytes) {
        return () -> {
            List<ForwardStatus> up = forwards.get();
            return up.stream().mapToLong(ForwardStatus::totalConnections).sum() >= connections
                    && up.stream().mapToLong(f -> f.bytesIn() + f.bytesOut()).sum() >= bytes;
        };
    }

    /**
     * The request path is warmed up: from now on the recording ends as soon as the forwards have been used, looked at
     * on a thread of its own that ends with the recording. Later calls, and a JVM that does not record, do nothing.
     *
     * @return the end command's answer once it ran
     */
    CompletableFuture<String> endOnceForwardsProfiled() {
        CompletableFuture<String> answer = new CompletableFuture<>();
        synchronized (this) {
            if (!recording || watcher != null || closed) {
                return answer; // never completes: nothing will end here
            }
            watcher = new Thread(() -> watch(answer), "aot-recording");
            watcher.setDaemon(true); // a stop does not wait for a cache being written: the launcher refuses one cut short
            watcher.start();
        }
        return answer;
    }

    private void watch(CompletableFuture<String> answer) {
        while (!closed) {
            try {
                if (forwardsProfiled.getAsBoolean()) {
                    answer.complete(endNow());
                    return;
                }
            } catch (RuntimeException e) {
                log.debug("ahead-of-time training: the forwards' use not known this time: {}", e.toString());
            }
            try {
                Thread.sleep(checkEvery.toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    /** Stops looking at the forwards (the daemon stops): a recording not ended yet is written at the JVM's exit. */
    @Override
    public synchronized void close() {
        closed = true;
        if (watcher != null) {
            watcher.interrupt();
        }
    }

    private String endNow() {
        long begun = System.nanoTime();
        try {
            String answer = commands.invoke(END_RECORDING).strip();
            long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - begun);
            if (answer.startsWith(ENDED)) {
                log.info("ahead-of-time training ended (request path warmed up, forwards used), its cache written in {} ms: the next start uses it",
                        ms);
            } else {
                log.info("ahead-of-time training goes on until the daemon exits: the JVM answered '{}'", answer);
            }
            return answer;
        } catch (JMException | RuntimeException e) {
            log.info("ahead-of-time training goes on until the daemon exits: {}", e.toString());
            return e.toString();
        }
    }

    static String platformCommand(String operation) throws JMException {
        Object answer = ManagementFactory.getPlatformMBeanServer().invoke(new ObjectName("com.sun.management:type=DiagnosticCommand"), operation,
                new Object[] {new String[0]}, new String[] {String[].class.getName()});
        return String.valueOf(answer);
    }
}

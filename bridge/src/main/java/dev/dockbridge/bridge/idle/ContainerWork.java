package dev.dockbridge.bridge.idle;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * Which running containers are doing work: CPU above a threshold (percent of one core, averaged over the
 * last minute) or network traffic of their own. A job started with {@code docker run -d} and no client
 * attached is use, like a docker command. Fed with cumulative counters by a {@link Sampler}; pure
 * bookkeeping otherwise (the daemon calls {@link #record} from its own sampling loop). Thread-safe.
 */
public final class ContainerWork {
    static final Duration WINDOW = Duration.ofMinutes(1);
    /** Below this much traffic a minute a container is only chatting (DNS, ARP), not working. */
    static final long NETWORK_BYTES_PER_MINUTE = 64 * 1024;

    /** One reading of a running container's cumulative counters. */
    public record Sample(String id, String name, long cpuNanos, long networkBytes, Instant created) {
    }

    /** Reads every running container's counters at once (one round over the daemon's private Docker socket). */
    @FunctionalInterface
    public interface Sampler {
        List<Sample> sample() throws Exception;
    }

    /** A container that keeps the server. */
    public record Working(String name, double cpuPercent, long networkBytesPerMinute) {
        public String describe() {
            return "container " + name + " is working (" + Math.round(cpuPercent) + " % CPU"
                    + (networkBytesPerMinute >= NETWORK_BYTES_PER_MINUTE ? ", " + networkBytesPerMinute / 1024 + " KiB/min network" : "") + ")";
        }
    }

    private record Reading(Instant at, long cpuNanos, long networkBytes) {
    }

    private final double cpuPercent;
    private final Clock clock;
    private final Runnable workEnded;
    private final Map<String, Deque<Reading>> history = new HashMap<>(); // guarded by this
    private List<Working> working = List.of(); // guarded by this
    private List<String> running = List.of(); // guarded by this

    /**
     * @param cpuPercent percent of one core above which a container is working ({@code idle.working_cpu_percent})
     * @param workEnded  told when the last working container stops working: the idle countdown starts then
     */
    public ContainerWork(double cpuPercent, Clock clock, Runnable workEnded) {
        this.cpuPercent = cpuPercent;
        this.clock = clock;
        this.workEnded = workEnded;
    }

    /** Takes one round of samples: every running container, by id. */
    public void record(List<Sample> samples) {
        Instant now = clock.instant();
        boolean ended;
        synchronized (this) {
            Map<String, Deque<Reading>> seen = new HashMap<>();
            List<Working> nowWorking = new ArrayList<>();
            List<String> names = new ArrayList<>();
            for (Sample s : samples) {
                Deque<Reading> h = history.getOrDefault(s.id(), new ArrayDeque<>());
                h.addLast(new Reading(now, s.cpuNanos(), s.networkBytes()));
                // keep the newest reading at or before the window's start as the base of the average
                while (h.size() > 2 && !second(h).at().isAfter(now.minus(WINDOW))) {
                    h.removeFirst();
                }
                seen.put(s.id(), h);
                names.add(s.name());
                Working w = assess(s, h, now);
                if (w != null) {
                    nowWorking.add(w);
                }
            }
            history.clear();
            history.putAll(seen);
            ended = !working.isEmpty() && nowWorking.isEmpty();
            working = List.copyOf(nowWorking);
            running = List.copyOf(names);
        }
        if (ended) {
            workEnded.run();
        }
    }

    /** The server is gone (or not ready): nothing runs on it. */
    public void clear() {
        boolean ended;
        synchronized (this) {
            ended = !working.isEmpty();
            history.clear();
            working = List.of();
            running = List.of();
        }
        if (ended) {
            workEnded.run();
        }
    }

    private static Reading second(Deque<Reading> h) {
        Iterator<Reading> it = h.iterator();
        it.next();
        return it.next();
    }

    private Working assess(Sample s, Deque<Reading> h, Instant now) {
        Reading first = h.peekFirst();
        Reading last = h.peekLast();
        long cpu;
        long net;
        Duration span;
        if (h.size() < 2) {
            // one reading: judge by what it did since it was created (a job started a moment ago)
            if (s.created() == null) {
                return null;
            }
            span = Duration.between(s.created(), now);
            cpu = last.cpuNanos();
            net = last.networkBytes();
        } else {
            span = Duration.between(first.at(), last.at());
            cpu = last.cpuNanos() - first.cpuNanos();
            net = last.networkBytes() - first.networkBytes();
        }
        if (span.isZero() || span.isNegative()) {
            span = Duration.ofSeconds(1);
        }
        double percent = 100.0 * cpu / span.toNanos();
        long netPerMinute = Math.round(net * (double) WINDOW.toNanos() / span.toNanos());
        return percent >= cpuPercent || netPerMinute >= NETWORK_BYTES_PER_MINUTE ? new Working(s.name(), percent, netPerMinute) : null;
    }

    public synchronized List<Working> working() {
        return working;
    }

    /** Names of the running containers, as last sampled: what a deletion would stop. */
    public synchronized List<String> running() {
        return running;
    }
}

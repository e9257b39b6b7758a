package dev.dockbridge.bridge.idle;

import java.io.Closeable;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.IntSupplier;
import java.util.function.Supplier;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.dockbridge.bridge.concurrent.Threads;
import dev.dockbridge.bridge.host.HostLifecycle;
import dev.dockbridge.bridge.host.HostLifecycle.Snapshot;
import dev.dockbridge.bridge.host.HostState;
import dev.dockbridge.portforward.ForwardStatus;

/**
 * Deletes the server once the {@link IdlePolicy} says so, re-checking just before; logs a minute ahead.
 * Runs every {@code tick}; a failed iteration is logged and the next one runs.
 */
public final class IdleReaper implements Closeable {
    private static final Logger log = LoggerFactory.getLogger(IdleReaper.class);
    private static final Duration WARN_AHEAD = Duration.ofMinutes(1);

    private final HostLifecycle lifecycle;
    private final ActivityTracker tracker;
    private final Supplier<List<ForwardStatus>> forwards;
    private final IdlePolicy policy;
    private final Clock clock;
    private final ContainerWork work;
    private final Path holdFile;
    private final IntSupplier otherMachines;
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(Threads.named("idle-reaper"));
    private volatile Instant holdUntil;
    private boolean warned; // timer thread only

    /**
     * @param work     which containers are working (they keep the server)
     * @param holdFile where a {@code hold} is kept, so that it survives a restart of the daemon
     */
    public IdleReaper(HostLifecycle lifecycle, ActivityTracker tracker, Supplier<List<ForwardStatus>> forwards, IdlePolicy policy, Clock clock,
            ContainerWork work, Path holdFile, IntSupplier otherMachines) {
        this.otherMachines = otherMachines;
        this.lifecycle = lifecycle;
        this.tracker = tracker;
        this.forwards = forwards;
        this.policy = policy;
        this.clock = clock;
        this.work = work;
        this.holdFile = holdFile;
        this.holdUntil = loadHold();
    }

    private Instant loadHold() {
        try {
            if (Files.exists(holdFile)) {
                Instant until = Instant.parse(Files.readString(holdFile).strip());
                return until.isAfter(clock.instant()) ? until : null;
            }
        } catch (IOException | RuntimeException e) {
            log.warn("cannot read the hold in {} ({}); no hold", holdFile, e.toString());
        }
        return null;
    }

    public void start(Duration tick) {
        timer.scheduleWithFixedDelay(this::check, tick.toMillis(), tick.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** The end of the current hold, or null. */
    public Instant heldUntil() {
        Instant until = holdUntil;
        return until != null && until.isAfter(clock.instant()) ? until : null;
    }

    /** Keeps the server regardless of idleness for {@code d} from now (zero: end the hold); returns the end, or null. */
    public Instant holdFor(Duration d) {
        Instant until = d.isZero() || d.isNegative() ? null : clock.instant().plus(d);
        holdUntil = until;
        try {
            if (until == null) {
                Files.deleteIfExists(holdFile);
            } else {
                Files.writeString(holdFile, until + "\n");
            }
        } catch (IOException e) {
            log.warn("cannot keep the hold in {} ({}); it lasts until the daemon stops", holdFile, e.toString());
        }
        return until;
    }

    /** The running containers a deletion would stop (as last sampled). */
    public List<String> willStop() {
        return work.running();
    }

    public IdlePolicy policy() {
        return policy;
    }

    /** The decision now, for status; null when no disposable server is ready. */
    public IdlePolicy.Decision decision() {
        Snapshot s = lifecycle.snapshot();
        if (s.state() != HostState.READY || !lifecycle.disposable()) {
            return null;
        }
        Instant last = tracker.lastActivity();
        if (s.since().isAfter(last)) {
            last = s.since(); // a server that just became ready has just been used
        }
        List<String> blockedBy = new ArrayList<>();
        int docker = tracker.openDockerConnections();
        if (docker > 0) {
            blockedBy.add(docker + " open docker connection" + (docker == 1 ? "" : "s"));
        }
        for (ContainerWork.Working w : work.working()) {
            blockedBy.add(w.describe());
        }
        int others = otherMachines.getAsInt();
        if (others > 0) {
            blockedBy.add("in use from another machine (" + others + " other DockBridge" + (others == 1 ? "" : "s") + " used it lately)");
        }
        for (ForwardStatus f : forwards.get()) {
            if (f.lastUsed() != null && f.lastUsed().isAfter(last)) {
                last = f.lastUsed();
            }
            if (f.connections() > 0) {
                blockedBy.add("forward " + f.localPort() + ": " + f.connections() + " connection" + (f.connections() == 1 ? "" : "s"));
            }
        }
        return policy.decide(clock.instant(), last, blockedBy, s.host() == null ? null : s.host().created(), holdUntil);
    }

    private void check() {
        try {
            IdlePolicy.Decision d = decision();
            if (d == null || d.destroyIn() == null) {
                warned = false;
                return;
            }
            String server = lifecycle.snapshot().host().name();
            if (!warned && d.destroyIn().compareTo(WARN_AHEAD) <= 0 && !d.destroyNow()) {
                List<String> stops = work.running();
                log.info("server {} idle for {} s; deleting it in {} s unless it is used{}", server, d.idleFor().toSeconds(), d.destroyIn().toSeconds(),
                        stops.isEmpty() ? "" : "; that stops the running containers " + String.join(", ", stops));
                warned = true;
            }
            if (!d.destroyNow()) {
                return;
            }
            List<String> stopping = work.running();
            if (!stopping.isEmpty()) {
                log.info("server {} is idle: deleting it stops the running containers {}", server, String.join(", ", stopping));
            }
            // the machine re-checks immediately before it deletes: anything that happened meanwhile calls it off
            lifecycle.requestIdleDeletion(lifecycle.snapshot().epoch(), () -> {
                IdlePolicy.Decision again = decision();
                return again != null && again.destroyNow();
            });
            warned = false;
        } catch (Exception e) {
            log.warn("idle check failed (the next check runs in a moment): {}", e.toString());
        }
    }

    @Override
    public void close() {
        timer.shutdownNow();
    }
}

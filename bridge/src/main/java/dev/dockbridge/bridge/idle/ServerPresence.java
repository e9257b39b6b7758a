package dev.dockbridge.bridge.idle;

import java.io.Closeable;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.dockbridge.bridge.concurrent.Threads;
import dev.dockbridge.bridge.host.HostLifecycle;
import dev.dockbridge.bridge.host.HostProvider;
import dev.dockbridge.bridge.host.HostState;
import dev.dockbridge.bridge.host.ProvisionedHost;
import dev.dockbridge.bridge.tunnel.CommandResult;

/**
 * This machine's presence on the ready server: a mark touched every {@link #EVERY} over the session (the server's
 * guard deletes it when no machine's mark is fresh), the guard installed once per server, and the count of other
 * machines whose DockBridge uses the same server (an idle deletion must not pull it from under them). Never brings
 * a server up; a failed round is logged and the next one runs.
 */
public final class ServerPresence implements Closeable {
    public static final Duration EVERY = Duration.ofSeconds(30);
    private static final Logger log = LoggerFactory.getLogger(ServerPresence.class);
    private static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(20);

    private final HostLifecycle lifecycle;
    private final HostProvider provider;
    private final String machineId;
    private final Supplier<Instant> lastUse;
    private final Duration useWindow;
    private final Clock clock;
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(Threads.named("server-presence"));
    private volatile int otherMachines;
    private String guardedHost; // timer thread only

    /**
     * @param lastUse   this machine's last use of the server (what its idle countdown counts from)
     * @param useWindow another machine that used the server this recently keeps it: the idle timeout, plus two rounds
     *                  (each machine's mark is up to one round old when the other reads it)
     */
    public ServerPresence(HostLifecycle lifecycle, HostProvider provider, String machineId, Supplier<Instant> lastUse, Duration idleTimeout,
                          Clock clock) {
        this.lifecycle = lifecycle;
        this.provider = provider;
        this.machineId = machineId;
        this.lastUse = lastUse;
        this.useWindow = idleTimeout.plus(EVERY.multipliedBy(2));
        this.clock = clock;
    }

    public void start(Duration every) {
        timer.scheduleWithFixedDelay(this::round, 0, every.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** Other machines whose DockBridge used the server within the idle timeout, as of the last round (0 when not known). */
    public int otherMachines() {
        return otherMachines;
    }

    /** Right after a host becomes ready, and then every {@link #EVERY}. */
    public void wake() {
        timer.execute(this::round);
    }

    private void round() {
        HostLifecycle.Snapshot s = lifecycle.snapshot();
        if (s.state() != HostState.READY || s.host() == null) {
            otherMachines = 0;
            return;
        }
        ProvisionedHost host = s.host();
        try {
            if (!host.id().equals(guardedHost)) {
                Optional<String> installer = provider.guardInstaller(host);
                if (installer.isPresent()) {
                    Optional<CommandResult> r = lifecycle.runOnReadyHost("sh -s", installer.get().getBytes(StandardCharsets.UTF_8), COMMAND_TIMEOUT);
                    if (r.isPresent() && r.get().succeeded()) {
                        log.info("guard installed on {}: it deletes the server when no DockBridge session is there", host.name());
                        guardedHost = host.id();
                    } else {
                        // the mark below still goes on: another machine must see this one whether or not the guard is there
                        log.warn("guard not installed on {} ({}); trying again in {} s", host.name(),
                                r.map(CommandResult::describe).orElse("no session"), EVERY.toSeconds());
                    }
                } else {
                    guardedHost = host.id();
                }
            }
            Optional<String> presence = provider.presenceCommand(machineId, lastUse.get(), clock.instant().minus(useWindow));
            if (presence.isEmpty()) {
                return;
            }
            Optional<CommandResult> r = lifecycle.runOnReadyHost(presence.get(), null, COMMAND_TIMEOUT);
            if (r.isPresent() && r.get().succeeded()) {
                int others = Integer.parseInt(r.get().output().strip());
                if (others != otherMachines) {
                    log.info("{} other machine(s) used {} through DockBridge in the last {} s", others, host.name(), useWindow.toSeconds());
                }
                otherMachines = others;
            } else {
                log.warn("presence mark on {} failed ({})", host.name(), r.map(CommandResult::describe).orElse("no session"));
            }
        } catch (Exception e) {
            log.warn("presence round on {} failed (the next one runs in {} s): {}", host.name(), EVERY.toSeconds(), e.toString());
        }
    }

    @Override
    public void close() {
        timer.shutdownNow();
    }
}

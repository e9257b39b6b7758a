package dev.dockbridge.bridge.daemon;

import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

import com.fasterxml.jackson.databind.JsonNode;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.dockbridge.bridge.host.HostLifecycle;
import dev.dockbridge.bridge.mounts.MountedFolders;
import dev.dockbridge.bridge.host.ProvisionedHost;
import dev.dockbridge.bridge.idle.CostBook;
import dev.dockbridge.bridge.idle.IdleReaper;
import dev.dockbridge.portforward.ForwardManager;

/**
 * What the control socket answers: {@code status}, {@code ports}, {@code hold}, {@code server_create},
 * {@code server_destroy} and {@code stop}. Every request about the server goes through the lifecycle, so the
 * daemon's state, forwards and idle countdown stay right.
 */
public final class ControlCommands {
    private static final Logger log = LoggerFactory.getLogger(ControlCommands.class);
    /** A deletion whose DELETE fails goes on in the background; the CLI hears that after this long. */
    private static final Duration DESTROY_WAIT = Duration.ofSeconds(30);

    private final String profile;
    private final String dockerHost;
    private final HostLifecycle lifecycle;
    private final ForwardManager forwards; // null when forwarding is off
    private final IdleReaper reaper; // null when the host is never deleted
    private final CostBook costs;
    private final MountedFolders mounts; // null when local folders are not provided
    private final Clock clock;

    public ControlCommands(String profile, String dockerHost, HostLifecycle lifecycle, ForwardManager forwards, IdleReaper reaper,
            CostBook costs, MountedFolders mounts, Clock clock) {
        this.mounts = mounts;
        this.profile = profile;
        this.dockerHost = dockerHost;
        this.lifecycle = lifecycle;
        this.forwards = forwards;
        this.reaper = reaper;
        this.costs = costs;
        this.clock = clock;
    }

    /** @param stopDaemon ends the daemon (after the answer is sent) */
    public Map<String, Function<JsonNode, Object>> handlers(Runnable stopDaemon) {
        return Map.of(
                "stop", request -> stop(request, stopDaemon),
                "server_create", request -> serverCreate(),
                "server_destroy", request -> serverDestroy(),
                "hold", this::hold,
                "status", request -> StatusReport.status(profile, dockerHost, lifecycle, forwards, reaper, costs, mounts, clock),
                "ports", request -> StatusReport.forwards(forwards));
    }

    private Object serverCreate() {
        try {
            lifecycle.ensureReady();
            ProvisionedHost h = lifecycle.snapshot().host();
            return Map.of("id", h.id(), "name", h.name(), "ip", h.ssh().host());
        } catch (IOException e) {
            return error(e.getMessage());
        }
    }

    private Object serverDestroy() {
        try {
            Optional<ProvisionedHost> h = lifecycle.destroy(DESTROY_WAIT);
            return h.isEmpty() ? Map.of("deleted", "") : Map.of("deleted", h.get().name(), "id", h.get().id());
        } catch (IOException e) {
            return error(e.getMessage());
        }
    }

    /**
     * {@code {"command":"stop","destroy":bool,"purge_volume":bool}}: deletes the server (and the data volume)
     * first, so a failure reaches the user and the daemon keeps running to retry; then answers and stops.
     */
    private Object stop(JsonNode request, Runnable stopDaemon) {
        boolean destroy = request.path("destroy").asBoolean(false);
        boolean purge = request.path("purge_volume").asBoolean(false);
        Map<String, Object> answer = new LinkedHashMap<>();
        answer.put("stopping", true);
        answer.put("pid", String.valueOf(ProcessHandle.current().pid()));
        if (destroy) {
            if (!lifecycle.disposable()) {
                return error("this profile's host is not DockBridge's to delete; use 'dockbridge stop' without --destroy");
            }
            try {
                answer.put("deleted", lifecycle.destroy(DESTROY_WAIT).map(ProvisionedHost::name).orElse(""));
                if (purge) {
                    lifecycle.purgeDataVolume().ifPresent(v -> {
                        log.info("deleted the data volume {} ({})", v.name(), v.id());
                        answer.put("purged_volume", v.name());
                    });
                }
            } catch (IOException e) {
                return error("deleting failed, the daemon keeps running: " + e.getMessage());
            }
        } else if (lifecycle.disposable() && lifecycle.snapshot().host() != null) {
            // the server outlives the daemon, and nothing deletes it while no daemon runs: say so, with its price
            ProvisionedHost h = lifecycle.snapshot().host();
            answer.put("kept", h.name());
            lifecycle.price(h).ifPresent(p -> answer.put("kept_hourly_price", p.gross() + " " + p.currency()));
        }
        Thread stopper = new Thread(stopDaemon, "stop");
        stopper.start();
        return answer;
    }

    /** {@code {"command":"hold","seconds":N}} keeps the server N seconds regardless of idleness; 0 releases. */
    private Object hold(JsonNode request) {
        if (reaper == null) {
            return error("this profile's host is never deleted, so there is nothing to hold");
        }
        Instant until = reaper.holdFor(Duration.ofSeconds(Math.max(0, request.path("seconds").asLong(0))));
        return Map.of("held_until", until == null ? "released" : until.toString());
    }

    private static Map<String, Object> error(String message) {
        return Map.of("error", String.valueOf(message));
    }
}

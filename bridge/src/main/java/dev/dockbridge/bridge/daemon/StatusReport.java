package dev.dockbridge.bridge.daemon;

import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import dev.dockbridge.bridge.host.HostLifecycle;
import dev.dockbridge.bridge.host.HostState;
import dev.dockbridge.bridge.host.ProvisionedHost;
import dev.dockbridge.bridge.idle.CostBook;
import dev.dockbridge.bridge.idle.IdlePolicy;
import dev.dockbridge.bridge.idle.IdleReaper;
import dev.dockbridge.bridge.mounts.FolderSync;
import dev.dockbridge.bridge.mounts.MountedFolders;
import dev.dockbridge.portforward.ForwardManager;
import dev.dockbridge.portforward.ForwardStatus;

/** Builds the documented status JSON ({@code dockbridge status --json}) from the daemon's parts. */
public final class StatusReport {
    private StatusReport() {
    }

    public static Map<String, Object> status(String profile, String dockerHost, HostLifecycle lifecycle, ForwardManager forwards,
            IdleReaper reaper, CostBook costs, MountedFolders mounts, Clock clock) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("profile", profile);
        out.put("docker_host", dockerHost);
        out.put("pid", ProcessHandle.current().pid());
        HostLifecycle.Snapshot s = lifecycle.snapshot();
        Map<String, Object> server = new LinkedHashMap<>();
        server.put("state", s.state().label());
        server.put("phase", s.state().phase());
        server.put("provider", lifecycle.describe());
        if (s.step() != null) {
            server.put("step", s.step());
            server.put("step_for_s", Math.max(0, Duration.between(s.stepSince(), clock.instant()).toSeconds()));
            server.put("phase_for_s", Math.max(0, Duration.between(s.since(), clock.instant()).toSeconds()));
        }
        ProvisionedHost h = s.host();
        if (h != null) {
            server.put("id", hostId(h));
            server.put("name", h.name());
            server.put("ip", h.ssh().host());
            server.put("type", h.type());
            server.put("location", h.location());
            server.put("uptime_s", h.created() == null ? null : Duration.between(h.created(), clock.instant()).toSeconds());
            lifecycle.price(h).ifPresent(p -> {
                server.put("hourly_price", p.gross());
                server.put("currency", p.currency());
            });
            server.put("cost", costs == null ? null : costs.cost(h.id()));
        }
        if (costs != null) {
            server.put("profile_cost", costs.total());
        }
        if (s.reason() != null) {
            server.put("reason", s.reason());
        }
        if (s.state() == HostState.DELETE_RETRYING || s.deleteAttempts() > 0) {
            server.put("delete_attempts", s.deleteAttempts());
        }
        if (!s.others().isEmpty()) {
            server.put("others", s.others().stream().map(o -> {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("id", hostId(o));
                m.put("name", o.name());
                m.put("status", o.status());
                m.put("fix", "not used by DockBridge but billed: delete it in the Cloud Console");
                return m;
            }).toList());
        }
        lifecycle.dataVolume().ifPresent(v -> {
            Map<String, Object> volume = new LinkedHashMap<>();
            volume.put("id", v.id());
            volume.put("name", v.name());
            volume.put("size_gb", v.sizeGb());
            volume.put("monthly_price", v.monthlyPrice());
            volume.put("currency", v.currency());
            volume.put("attached", v.server() != null);
            server.put("volume", volume);
        });
        out.put("server", server);
        Map<String, Object> idle = new LinkedHashMap<>();
        if (reaper != null) {
            idle.put("timeout_s", reaper.policy().timeout().toSeconds());
            idle.put("billing_aware", reaper.policy().billingAware());
            IdlePolicy.Decision d = reaper.decision();
            idle.put("idle_for_s", d == null ? null : d.idleFor().toSeconds());
            idle.put("destroy_in_s", d == null || d.destroyIn() == null ? null : Math.max(0, d.destroyIn().toSeconds()));
            idle.put("held_until", reaper.heldUntil() == null ? null : reaper.heldUntil().toString());
            idle.put("blocked_by", d == null ? List.of() : d.blockedBy());
            idle.put("will_stop", d == null ? List.of() : reaper.willStop());
        } else {
            idle.put("timeout_s", null);
            idle.put("blocked_by", List.of("the host is not DockBridge's to delete"));
        }
        out.put("idle", idle);
        out.put("forwards", forwards(forwards));
        out.put("mounts", mounts == null ? List.of() : mounts.statuses().stream().map(StatusReport::mount).toList());
        return out;
    }

    private static Map<String, Object> mount(FolderSync.Status m) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("local_path", m.local().toString());
        out.put("server_path", m.server());
        out.put("files", m.files());
        out.put("state", switch (m.state()) {
            case COPYING -> "copying";
            case IN_STEP -> "in step";
            case BEHIND -> "behind";
            case STOPPED -> "stopped";
        });
        out.put("last_change", m.lastChange() == null ? null : m.lastChange().toString());
        out.put("problem", m.problem());
        return out;
    }

    /** A Hetzner id is a number; an existing host's id is its address. */
    private static Object hostId(ProvisionedHost h) {
        return h.id().matches("[0-9]{1,18}") ? (Object) Long.parseLong(h.id()) : h.id();
    }

    public static List<Map<String, Object>> forwards(ForwardManager forwards) {
        return forwards == null ? List.of() : forwards.snapshot().stream().map(StatusReport::forward).toList();
    }

    private static Map<String, Object> forward(ForwardStatus f) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("container", f.container());
        m.put("protocol", f.protocol());
        m.put("remote_host", f.remoteHost());
        m.put("remote_port", f.remotePort());
        m.put("local_port", f.localPort());
        m.put("connections", f.connections());
        m.put("total_connections", f.totalConnections());
        m.put("bytes_in", f.bytesIn());
        m.put("bytes_out", f.bytesOut());
        m.put("last_used", f.lastUsed() == null ? null : f.lastUsed().toString());
        m.put("note", f.note());
        return m;
    }
}

package dev.dockbridge.cli.command;

import java.time.Duration;
import java.time.LocalTime;
import java.time.temporal.ChronoUnit;
import java.util.concurrent.Callable;

import com.fasterxml.jackson.databind.JsonNode;

import dev.dockbridge.cli.CliContext;
import dev.dockbridge.cli.ControlClient;
import dev.dockbridge.cli.ExitCodes;
import dev.dockbridge.cli.Profile;
import dev.dockbridge.cli.Terminal;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import java.util.ArrayList;
import java.util.List;

@Command(name = "status", mixinStandardHelpOptions = true, description = "Show the daemon, its server and its forwards.")
public final class StatusCommand implements Callable<Integer> {
    private static final Duration WATCH_EVERY = Duration.ofSeconds(1);

    private final CliContext ctx;

    @Mixin
    ProfileOptions profileOptions;

    @Option(names = "--json", description = "Print the status as JSON (stable field names).")
    boolean json;

    @Option(names = "--watch", description = "Show it again every second until interrupted (Ctrl-C); with --json, one document per line.")
    boolean watch;

    public StatusCommand(CliContext ctx) {
        this.ctx = ctx;
    }

    private static List<String> iterable(JsonNode array) {
        List<String> out = new ArrayList<>();
        array.forEach(n -> out.add(n.asText()));
        return out;
    }

    @Override
    public Integer call() throws InterruptedException {
        Profile profile = profileOptions.resolve(ctx);
        if (!watch) {
            show(ControlClient.ask(profile, "status"));
            return ExitCodes.OK;
        }
        boolean live = Terminal.interactive();
        while (true) {
            JsonNode status = ControlClient.ask(profile, "status"); // a daemon that stops ends the watch with its message
            if (live) {
                ctx.out().print("\033[H\033[2J"); // redrawn in place, as watch(1) does
            }
            if (json) {
                ctx.out().println(status.toString());
            } else {
                ctx.out().println(LocalTime.now(ctx.clock()).truncatedTo(ChronoUnit.SECONDS));
                show(status);
            }
            ctx.out().flush();
            Thread.sleep(WATCH_EVERY.toMillis());
        }
    }

    private void show(JsonNode status) {
        if (json) {
            ctx.out().println(ControlClient.pretty(status));
            return;
        }
        JsonNode server = status.path("server");
        ctx.out().println("profile:     " + status.path("profile").asText());
        ctx.out().println("docker host: " + status.path("docker_host").asText());
        StringBuilder line = new StringBuilder(server.path("state").asText());
        if (server.hasNonNull("name")) {
            line.append(": ").append(server.path("name").asText()).append(" (").append(server.path("id").asText()).append(") at ")
                    .append(server.path("ip").asText());
        }
        if (server.hasNonNull("type")) {
            line.append(", ").append(server.path("type").asText()).append(" in ").append(server.path("location").asText());
        }
        if (server.hasNonNull("uptime_s")) {
            line.append(", up ").append(server.path("uptime_s").asLong() / 60).append(" min");
        }
        if (server.hasNonNull("reason")) {
            line.append(" (").append(server.path("reason").asText()).append(")");
        }
        ctx.out().println("server:      " + line + " [" + server.path("provider").asText() + "]");
        if (server.hasNonNull("step")) {
            ctx.out().println("step:        " + server.path("step").asText() + " (" + server.path("step_for_s").asLong() + " s"
                    + (server.path("delete_attempts").asInt(0) > 0 ? ", " + server.path("delete_attempts").asInt() + " failed DELETE attempts" : "") + ")");
        }
        for (JsonNode other : server.path("others")) {
            ctx.out().println("also:        " + other.path("name").asText() + " (" + other.path("id").asText() + "), "
                    + other.path("status").asText() + ": " + other.path("fix").asText());
        }
        if (server.hasNonNull("hourly_price")) {
            String currency = server.path("currency").asText("EUR");
            ctx.out().println("cost:        " + server.path("hourly_price").asText() + " " + currency + "/h; this server "
                    + server.path("cost").asText("?") + " " + currency + ", profile so far " + server.path("profile_cost").asText("?") + " " + currency);
        } else if (server.hasNonNull("profile_cost")) {
            // no server (deleted when idle, say): what the ones before cost is still worth knowing
            ctx.out().println("cost:        none now; profile so far " + server.path("profile_cost").asText() + " " + server.path("currency").asText("EUR"));
        }
        JsonNode volume = server.path("volume");
        if (volume.isObject()) {
            ctx.out().println("volume:      " + volume.path("name").asText() + " (" + volume.path("id").asText() + "), "
                    + volume.path("size_gb").asInt() + " GB for /var/lib/docker, " + (volume.path("attached").asBoolean() ? "attached" : "detached")
                    + (volume.hasNonNull("monthly_price") ? ", " + volume.path("monthly_price").asText() + " " + volume.path("currency").asText("EUR")
                            + "/month" : "") + "; deleted only by 'dockbridge stop --destroy --purge-volume'");
        }
        JsonNode idle = status.path("idle");
        if (idle.path("blocked_by").size() > 0) {
            ctx.out().println("idle:        kept: " + String.join(", ", iterable(idle.path("blocked_by"))));
        } else if (idle.hasNonNull("destroy_in_s")) {
            ctx.out().println("idle:        for " + idle.path("idle_for_s").asLong() + " s; deleted in " + idle.path("destroy_in_s").asLong()
                    + " s unless used (timeout " + idle.path("timeout_s").asLong() + " s"
                    + (idle.path("billing_aware").asBoolean() ? ", waits for the end of the paid hour" : "") + ")");
        }
        for (JsonNode m : status.path("mounts")) {
            ctx.out().println("mount:       " + m.path("local_path").asText() + " (" + m.path("files").asLong() + " files): "
                    + m.path("state").asText() + (m.hasNonNull("last_change") ? ", last change " + m.path("last_change").asText() : "")
                    + (m.hasNonNull("problem") && !m.path("state").asText().equals("in step") ? " (" + m.path("problem").asText() + ")" : ""));
        }
        ctx.out().println();
        PortsCommand.print(ctx, status.path("forwards"));
    }
}

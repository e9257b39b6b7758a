package dev.dockbridge.cli.command;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.stream.Stream;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.dockbridge.bridge.idle.CostBook;
import dev.dockbridge.cli.CliContext;
import dev.dockbridge.cli.ControlClient;
import dev.dockbridge.cli.ExitCodes;
import dev.dockbridge.cli.Profile;
import dev.dockbridge.cli.UserException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "list", mixinStandardHelpOptions = true,
        description = "Every profile under $DOCKBRIDGE_HOME: its daemon, its server, uptime and cost; a server that may still cost money while no daemon runs, with what to do.")
public final class ListCommand implements Callable<Integer> {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final CliContext ctx;

    @Option(names = "--json", description = "One JSON document: {\"profiles\": [...]}.")
    boolean json;

    public ListCommand(CliContext ctx) {
        this.ctx = ctx;
    }

    @Override
    public Integer call() {
        Path home = Profile.resolve(ctx, "default", null).home();
        ArrayNode rows = JSON.createArrayNode();
        for (String name : profileNames(home)) {
            rows.add(row(Profile.resolve(ctx, name, null)));
        }
        if (json) {
            ObjectNode root = JSON.createObjectNode();
            root.set("profiles", rows);
            ctx.out().println(ControlClient.pretty(root));
            return ExitCodes.OK;
        }
        if (rows.isEmpty()) {
            ctx.out().println("no profiles under " + home + " yet: 'dockbridge start' makes one");
            return ExitCodes.OK;
        }
        ctx.out().printf("%-16s %-8s %-12s %-28s %8s %10s  %s%n", "PROFILE", "DAEMON", "SERVER", "NAME", "UP MIN", "COST", "NOTE");
        for (JsonNode r : rows) {
            ctx.out().printf("%-16s %-8s %-12s %-28s %8s %10s  %s%n", r.path("profile").asText(), r.path("daemon").asText(),
                    r.path("server").asText(), r.path("name").asText("-"),
                    r.hasNonNull("uptime_s") ? Long.toString(r.path("uptime_s").asLong() / 60) : "-",
                    r.hasNonNull("cost") ? r.path("cost").asText() + " " + r.path("currency").asText("EUR") : "-", r.path("note").asText(""));
        }
        return ExitCodes.OK;
    }

    private static List<String> profileNames(Path home) {
        if (!Files.isDirectory(home)) {
            return List.of();
        }
        try (Stream<Path> dirs = Files.list(home)) {
            // a profile's state directory is made by its first daemon (lock) or cost book; other folders are not profiles
            return dirs.filter(d -> Files.exists(d.resolve("daemon.lock")) || Files.exists(d.resolve("costs.json")))
                    .map(d -> d.getFileName().toString()).filter(Profile::validName).sorted().toList();
        } catch (IOException e) {
            throw new UserException(ExitCodes.FAILURE, "cannot list " + home + ": " + e.getMessage(), e);
        }
    }

    private ObjectNode row(Profile profile) {
        ObjectNode r = JSON.createObjectNode().put("profile", profile.name());
        String flag = profile.name().equals("default") ? "" : " --profile " + profile.name();
        if (Files.exists(profile.stateDir().resolve("control.sock"))) {
            try {
                JsonNode status = ControlClient.ask(profile, "status");
                JsonNode server = status.path("server");
                r.put("daemon", "running").put("pid", status.path("pid").asLong());
                r.put("server", server.path("state").asText("absent"));
                r.put("name", server.path("name").asText(null));
                if (server.hasNonNull("uptime_s")) {
                    r.put("uptime_s", server.path("uptime_s").asLong());
                }
                if (server.hasNonNull("hourly_price")) {
                    r.put("hourly_price", server.path("hourly_price").decimalValue());
                }
                if (server.hasNonNull("profile_cost")) {
                    r.put("cost", server.path("profile_cost").decimalValue()).put("currency", server.path("currency").asText("EUR"));
                }
                return r;
            } catch (UserException e) {
                // a socket left by a killed daemon: no daemon runs
            }
        }
        r.put("daemon", "stopped");
        CostBook costs = new CostBook(profile.stateDir().resolve("costs.json"), ctx.clock());
        List<CostBook.Entry> open = costs.open();
        r.put("cost", costs.total()).put("currency", costs.currency());
        if (open.isEmpty()) {
            r.put("server", "none");
            return r;
        }
        // the last daemon stopped without deleting it: nothing deletes it now, and it may still be billed
        CostBook.Entry e = open.get(open.size() - 1);
        r.put("server", "maybe_running").put("name", e.name()).put("hourly_price", e.hourly());
        r.put("note", "may still cost " + e.hourly().toPlainString() + " " + e.currency() + "/h: 'dockbridge stop --destroy" + flag
                + "' deletes it, 'dockbridge start" + flag + "' adopts it");
        return r;
    }
}

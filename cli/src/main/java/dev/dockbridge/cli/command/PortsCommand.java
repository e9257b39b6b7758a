package dev.dockbridge.cli.command;

import java.util.concurrent.Callable;

import com.fasterxml.jackson.databind.JsonNode;

import dev.dockbridge.cli.CliContext;
import dev.dockbridge.cli.ControlClient;
import dev.dockbridge.cli.ExitCodes;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "ports", mixinStandardHelpOptions = true,
        description = "List the forwards: each published container port and the localhost port it is reachable on.")
public final class PortsCommand implements Callable<Integer> {
    private final CliContext ctx;

    @Mixin
    ProfileOptions profileOptions;

    @Option(names = "--json", description = "Print JSON (a list of forwards, as in status --json).")
    boolean json;

    public PortsCommand(CliContext ctx) {
        this.ctx = ctx;
    }

    @Override
    public Integer call() {
        JsonNode forwards = ControlClient.ask(profileOptions.resolve(ctx), "ports");
        if (json) {
            ctx.out().println(ControlClient.pretty(forwards));
            return ExitCodes.OK;
        }
        print(ctx, forwards);
        return ExitCodes.OK;
    }

    static void print(CliContext ctx, JsonNode forwards) {
        if (forwards.isEmpty()) {
            ctx.out().println("no published ports");
            return;
        }
        ctx.out().printf("%-20s %-5s %-22s %-16s %5s %12s %12s  %s%n", "CONTAINER", "PROTO", "REMOTE", "LOCAL", "CONNS", "IN", "OUT", "NOTE");
        for (JsonNode f : forwards) {
            int local = f.path("local_port").asInt();
            ctx.out().printf("%-20s %-5s %-22s %-16s %5d %12d %12d  %s%n", f.path("container").asText(), f.path("protocol").asText(),
                    f.path("remote_host").asText() + ":" + f.path("remote_port").asInt(),
                    local == 0 ? "-" : "localhost:" + local, f.path("connections").asInt(),
                    f.path("bytes_in").asLong(), f.path("bytes_out").asLong(), f.path("note").isNull() ? "" : f.path("note").asText());
        }
    }
}

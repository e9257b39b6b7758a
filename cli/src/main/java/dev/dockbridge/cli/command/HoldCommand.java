package dev.dockbridge.cli.command;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.Callable;

import dev.dockbridge.cli.CliContext;
import dev.dockbridge.cli.ControlClient;
import dev.dockbridge.cli.ExitCodes;
import dev.dockbridge.cli.UserException;
import dev.dockbridge.cli.config.Durations;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "hold", mixinStandardHelpOptions = true,
        description = "Keep the server for a while however idle it is (a long job without docker traffic), or end the hold.")
public final class HoldCommand implements Callable<Integer> {
    private final CliContext ctx;

    @Mixin
    ProfileOptions profileOptions;

    @Parameters(arity = "0..1", paramLabel = "DURATION", description = "How long, e.g. 2h or 30m.")
    String duration;

    @Option(names = "--release", description = "End the hold: the idle countdown applies again.")
    boolean release;

    public HoldCommand(CliContext ctx) {
        this.ctx = ctx;
    }

    @Override
    public Integer call() {
        if (release == (duration != null)) {
            throw new UserException(ExitCodes.USAGE, "give either a DURATION (e.g. 2h) or --release");
        }
        long seconds = 0;
        if (!release) {
            try {
                seconds = Durations.parse(duration).toSeconds();
            } catch (IllegalArgumentException e) {
                throw new UserException(ExitCodes.USAGE, "DURATION: " + e.getMessage());
            }
        }
        var answer = ControlClient.ask(profileOptions.resolve(ctx), "hold", Map.of("seconds", seconds));
        ctx.out().println(release ? "hold released: the idle countdown applies again"
                : "server kept until " + answer.path("held_until").asText() + " (" + Durations.format(Duration.ofSeconds(seconds)) + ")");
        return ExitCodes.OK;
    }
}

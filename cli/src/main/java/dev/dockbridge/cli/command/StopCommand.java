package dev.dockbridge.cli.command;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;

import dev.dockbridge.cli.CliContext;
import dev.dockbridge.cli.ControlClient;
import dev.dockbridge.cli.ExitCodes;
import dev.dockbridge.cli.Profile;
import dev.dockbridge.cli.UserException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "stop", mixinStandardHelpOptions = true,
        description = "Stop the profile's daemon (its socket goes away; the server keeps running unless --destroy).")
public final class StopCommand implements Callable<Integer> {
    private final CliContext ctx;

    @Mixin
    ProfileOptions profileOptions;

    @Option(names = "--destroy", description = "Also delete the server.")
    boolean destroy;

    public StopCommand(CliContext ctx) {
        this.ctx = ctx;
    }

    @Override
    public Integer call() throws InterruptedException {
        Profile profile = profileOptions.resolve(ctx);
        Path control = profile.stateDir().resolve("control.sock");
        if (!Files.exists(control)) {
            ctx.out().println("dockbridge is not running for profile " + profile.name());
            return ExitCodes.OK;
        }
        var answer = ControlClient.ask(profile, "stop", ",\"destroy\":" + destroy);
        long pid = answer.path("pid").asLong();
        long deadline = System.nanoTime() + 60_000_000_000L;
        while (ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)) { // the control socket closes first; wait for the process
            if (System.nanoTime() > deadline) {
                throw new UserException(ExitCodes.FAILURE, "the daemon (pid " + pid + ") did not stop within 60 s");
            }
            Thread.sleep(50);
        }
        ctx.out().println("stopped dockbridge for profile " + profile.name() + (destroy ? " and deleted its server" : ""));
        return ExitCodes.OK;
    }
}

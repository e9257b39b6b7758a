package dev.dockbridge.cli.command;

import java.util.concurrent.Callable;

import dev.dockbridge.cli.CliContext;
import dev.dockbridge.cli.DaemonAssembly;
import dev.dockbridge.cli.ExitCodes;
import dev.dockbridge.cli.Profile;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

@Command(name = "env", mixinStandardHelpOptions = true, description = {
        "Print the shell commands that point the docker CLI at this profile's socket.",
        "Use: eval \"$(dockbridge env)\""})
public final class EnvCommand implements Callable<Integer> {
    private final CliContext ctx;

    @Mixin
    ProfileOptions profileOptions;

    public EnvCommand(CliContext ctx) {
        this.ctx = ctx;
    }

    @Override
    public Integer call() {
        Profile profile = profileOptions.resolve(ctx);
        var socket = DaemonAssembly.dockerSocket(ctx, profile, ProfileOptions.load(profile));
        ctx.out().println("export DOCKER_HOST=unix://" + socket);
        ctx.out().println("# eval \"$(dockbridge env" + (profile.name().equals("default") ? "" : " --profile " + profile.name()) + ")\"");
        return ExitCodes.OK;
    }
}

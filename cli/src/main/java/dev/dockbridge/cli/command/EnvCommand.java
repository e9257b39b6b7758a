package dev.dockbridge.cli.command;

import java.util.concurrent.Callable;

import dev.dockbridge.cli.CliContext;
import dev.dockbridge.cli.DaemonAssembly;
import dev.dockbridge.cli.ExitCodes;
import dev.dockbridge.cli.Profile;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "env", mixinStandardHelpOptions = true, description = {
        "Print the shell commands that point the docker CLI at this profile's socket.",
        "bash, zsh, sh: eval \"$(dockbridge env)\"    fish: dockbridge env --shell fish | source",
        "The shell is taken from $SHELL when --shell is not given."})
public final class EnvCommand implements Callable<Integer> {
    private final CliContext ctx;

    enum Shell { sh, bash, zsh, fish }

    @Mixin
    ProfileOptions profileOptions;

    @Option(names = "--shell", paramLabel = "SHELL", description = "sh, bash, zsh or fish (default: from $SHELL)")
    Shell shell;

    public EnvCommand(CliContext ctx) {
        this.ctx = ctx;
    }

    private Shell effectiveShell() {
        if (shell != null) {
            return shell;
        }
        String login = ctx.env().getOrDefault("SHELL", "");
        return login.endsWith("/fish") || login.equals("fish") ? Shell.fish : Shell.sh;
    }

    /** One word for any POSIX shell, whatever the path holds (spaces, quotes, $). */
    static String posixQuote(String s) {
        return "'" + s.replace("'", "'\\''") + "'";
    }

    @Override
    public Integer call() {
        Profile profile = profileOptions.resolve(ctx);
        var socket = DaemonAssembly.dockerSocket(ctx, profile, ProfileOptions.load(profile));
        String flag = profile.name().equals("default") ? "" : " --profile " + profile.name();
        String value = "unix://" + socket;
        if (effectiveShell() == Shell.fish) {
            ctx.out().println("set -gx DOCKER_HOST " + FishCompletion.quote(value));
            ctx.out().println("# dockbridge env" + flag + " --shell fish | source");
        } else {
            ctx.out().println("export DOCKER_HOST=" + posixQuote(value));
            ctx.out().println("# eval \"$(dockbridge env" + flag + ")\"");
        }
        return ExitCodes.OK;
    }
}

package dev.dockbridge.cli.command;

import java.io.IOException;
import java.util.Optional;

import dev.dockbridge.bridge.host.HostLifecycle;
import dev.dockbridge.bridge.host.ProvisionedHost;
import dev.dockbridge.cli.CliContext;
import dev.dockbridge.cli.ControlClient;
import dev.dockbridge.cli.DaemonAssembly;
import dev.dockbridge.cli.ExitCodes;
import dev.dockbridge.cli.Profile;
import dev.dockbridge.cli.UserException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/**
 * Explicit control of the profile's server: through the running daemon when there is one (its state,
 * forwards and idle countdown stay right), directly through the provider otherwise.
 */
@Command(name = "server", mixinStandardHelpOptions = true, description = "Create, show or delete the profile's server.")
public final class ServerCommand implements Runnable {
    private final CliContext ctx;

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    public ServerCommand(CliContext ctx) {
        this.ctx = ctx;
    }

    @Override
    public void run() {
        throw new picocli.CommandLine.ParameterException(spec.commandLine(), "missing subcommand: create, status or destroy");
    }

    @Command(name = "create", mixinStandardHelpOptions = true, description = "Create the server now (or adopt the existing one) and wait until Docker answers.")
    int create(@Mixin ProfileOptions profileOptions) {
        Profile profile = profileOptions.resolve(ctx);
        if (daemonRuns(profile)) {
            var h = ControlClient.ask(profile, "server_create");
            ctx.out().println("server " + h.path("name").asText() + " (" + h.path("id").asText() + ") ready at " + h.path("ip").asText());
            return ExitCodes.OK;
        }
        try (HostLifecycle lifecycle = lifecycle(profileOptions)) {
            lifecycle.ensureReady();
            ProvisionedHost host = lifecycle.snapshot().host();
            ctx.out().println("server " + host.name() + " (" + host.id() + ") ready at " + host.ssh().host());
            return ExitCodes.OK;
        } catch (IOException e) {
            throw new UserException(ExitCodes.FAILURE, e.getMessage(), e);
        }
    }

    @Command(name = "status", mixinStandardHelpOptions = true, description = "Show the profile's server, if there is one.")
    int status(@Mixin ProfileOptions profileOptions) {
        try (HostLifecycle lifecycle = lifecycle(profileOptions)) {
            Optional<ProvisionedHost> host = lifecycle.provider().findExisting();
            if (host.isEmpty()) {
                ctx.out().println("no server (" + lifecycle.provider().describe() + "; the next docker command creates one)");
                return ExitCodes.OK;
            }
            ProvisionedHost h = host.get();
            ctx.out().println("server " + h.name() + " (" + h.id() + ") at " + h.ssh().host()
                    + (h.type() != null ? ", " + h.type() + " in " + h.location() : "")
                    + (h.created() != null ? ", created " + h.created() : ""));
            return ExitCodes.OK;
        } catch (IOException e) {
            throw new UserException(ExitCodes.FAILURE, e.getMessage(), e);
        }
    }

    @Command(name = "destroy", mixinStandardHelpOptions = true, description = "Delete the profile's server (volumes, keys and firewall stay).")
    int destroy(@Mixin ProfileOptions profileOptions) {
        Profile profile = profileOptions.resolve(ctx);
        if (daemonRuns(profile)) {
            var answer = ControlClient.ask(profile, "server_destroy");
            ctx.out().println(answer.path("deleted").asText().isEmpty() ? "no server to delete"
                    : "deleted server " + answer.path("deleted").asText() + " (" + answer.path("id").asText() + ")");
            return ExitCodes.OK;
        }
        try (HostLifecycle lifecycle = lifecycle(profileOptions)) {
            Optional<ProvisionedHost> host = lifecycle.provider().findExisting();
            if (host.isEmpty()) {
                ctx.out().println("no server to delete");
                return ExitCodes.OK;
            }
            lifecycle.destroy();
            ctx.out().println("deleted server " + host.get().name() + " (" + host.get().id() + ")");
            return ExitCodes.OK;
        } catch (IOException e) {
            throw new UserException(ExitCodes.FAILURE, e.getMessage(), e);
        }
    }

    /** A running daemon owns the server's lifecycle: go through it so its state and forwards stay right. */
    private static boolean daemonRuns(Profile profile) {
        return java.nio.file.Files.exists(profile.stateDir().resolve("control.sock"))
                && java.nio.file.Files.exists(profile.stateDir().resolve("daemon.pid"));
    }

    private HostLifecycle lifecycle(ProfileOptions profileOptions) {
        Profile profile = profileOptions.resolve(ctx);
        return new DaemonAssembly(ctx, profile, ProfileOptions.load(profile)).lifecycle();
    }
}

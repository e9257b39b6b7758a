package dev.dockbridge.cli.command;

import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;

import com.fasterxml.jackson.databind.JsonNode;

import dev.dockbridge.bridge.daemon.DaemonLock;
import dev.dockbridge.bridge.host.HostLifecycle;
import dev.dockbridge.bridge.host.ProvisionedHost;
import dev.dockbridge.cli.CliContext;
import dev.dockbridge.cli.ControlClient;
import dev.dockbridge.cli.DaemonAssembly;
import dev.dockbridge.cli.ExitCodes;
import dev.dockbridge.cli.Profile;
import dev.dockbridge.cli.ProfileOwner;
import dev.dockbridge.cli.ProgressLine;
import dev.dockbridge.cli.Terminal;
import dev.dockbridge.cli.UserException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * Explicit control of the profile's server: through the running daemon when there is one (its state,
 * forwards and idle countdown stay right), otherwise through a lifecycle of this command's own while it
 * holds the profile's lock.
 */
@Command(name = "server", mixinStandardHelpOptions = true, description = "Create, show or delete the profile's server.")
public final class ServerCommand implements Runnable {
    /** Without a daemon nobody retries a failed DELETE after this command: it keeps trying this long itself. */
    static final Duration DIRECT_DESTROY_WAIT = Duration.ofMinutes(10);
    private static final Duration STEP_POLL = Duration.ofMillis(250);

    private final CliContext ctx;

    @Spec
    CommandSpec spec;

    public ServerCommand(CliContext ctx) {
        this.ctx = ctx;
    }

    @Override
    public void run() {
        throw new ParameterException(spec.commandLine(), "missing subcommand: create, status or destroy");
    }

    @Command(name = "create", mixinStandardHelpOptions = true, description = "Create the server now (or adopt the existing one) and wait until "
            + "Docker answers, showing each step.")
    int create(@Mixin ProfileOptions profileOptions) {
        Profile profile = profileOptions.resolve(ctx);
        Optional<DaemonLock> lock = ProfileOwner.lockUnlessDaemonRuns(profile);
        if (lock.isEmpty()) {
            JsonNode h = following(() -> ControlClient.ask(profile, "server_create"),
                    () -> ControlClient.ask(profile, "status").path("server").path("step").asText(null));
            ctx.out().println("server " + h.path("name").asText() + " (" + h.path("id").asText() + ") ready at " + h.path("ip").asText());
            return ExitCodes.OK;
        }
        try (HostLifecycle lifecycle = lifecycle(profile)) {
            following(() -> {
                lifecycle.ensureReady();
                return null;
            }, () -> lifecycle.snapshot().step());
            ProvisionedHost host = lifecycle.snapshot().host();
            ctx.out().println("server " + host.name() + " (" + host.id() + ") ready at " + host.ssh().host());
            return ExitCodes.OK;
        } finally {
            ProfileOwner.release(lock.get());
        }
    }

    /** Runs the operation while showing its steps on stderr (stdout keeps the result alone, for scripts). */
    private <T> T following(Callable<T> operation, Supplier<String> step) {
        CompletableFuture<T> done = new CompletableFuture<>();
        Thread worker = new Thread(() -> {
            try {
                done.complete(operation.call());
            } catch (Exception | Error e) {
                done.completeExceptionally(e);
            }
        }, "server-create");
        worker.setDaemon(true);
        worker.start();
        try (ProgressLine line = new ProgressLine(ctx.err(), Terminal.interactive(), ctx.clock())) {
            while (!done.isDone()) {
                try {
                    line.show(step.get());
                } catch (RuntimeException e) {
                    // a status that cannot be read now: the operation's own answer says what went wrong
                }
                try {
                    done.get(STEP_POLL.toMillis(), TimeUnit.MILLISECONDS);
                } catch (TimeoutException | ExecutionException e) {
                    // shown, or thrown below
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new UserException(ExitCodes.FAILURE, "interrupted", e);
        }
        try {
            return done.join();
        } catch (CompletionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof UserException u) {
                throw u;
            }
            throw new UserException(ExitCodes.FAILURE, cause.getMessage(), cause);
        }
    }

    @Command(name = "status", mixinStandardHelpOptions = true, description = "Show the profile's server, if there is one.")
    int status(@Mixin ProfileOptions profileOptions) {
        Profile profile = profileOptions.resolve(ctx);
        try (HostLifecycle lifecycle = lifecycle(profile)) {
            List<ProvisionedHost> hosts = lifecycle.findExisting(); // a query: an 'off' server stays off
            if (hosts.isEmpty()) {
                ctx.out().println("no server (" + lifecycle.describe() + "; the next docker command creates one)");
                return ExitCodes.OK;
            }
            ProvisionedHost h = hosts.get(0);
            ctx.out().println("server " + h.name() + " (" + h.id() + ") at " + h.ssh().host()
                    + (h.status() != null ? ", " + h.status() : "")
                    + (h.type() != null ? ", " + h.type() + " in " + h.location() : "")
                    + (h.created() != null ? ", created " + h.created() : ""));
            for (ProvisionedHost other : hosts.subList(1, hosts.size())) {
                ctx.out().println("also: server " + other.name() + " (" + other.id() + "), " + other.status()
                        + ": not used by DockBridge but billed; delete it in the Cloud Console");
            }
            return ExitCodes.OK;
        } catch (IOException e) {
            throw new UserException(ExitCodes.FAILURE, e.getMessage(), e);
        }
    }

    @Command(name = "destroy", mixinStandardHelpOptions = true, description = "Delete the profile's server (volumes, keys and firewall stay).")
    int destroy(@Mixin ProfileOptions profileOptions) {
        Profile profile = profileOptions.resolve(ctx);
        Optional<DaemonLock> lock = ProfileOwner.lockUnlessDaemonRuns(profile);
        if (lock.isEmpty()) {
            var answer = ControlClient.ask(profile, "server_destroy");
            ctx.out().println(answer.path("deleted").asText().isEmpty() ? "no server to delete"
                    : "deleted server " + answer.path("deleted").asText() + " (" + answer.path("id").asText() + ")");
            return ExitCodes.OK;
        }
        try (HostLifecycle lifecycle = lifecycle(profile)) {
            Optional<ProvisionedHost> deleted = lifecycle.destroy(DIRECT_DESTROY_WAIT);
            ctx.out().println(deleted.map(h -> "deleted server " + h.name() + " (" + h.id() + ")").orElse("no server to delete"));
            return ExitCodes.OK;
        } catch (IOException e) {
            throw new UserException(ExitCodes.FAILURE, e.getMessage(), e);
        } finally {
            ProfileOwner.release(lock.get());
        }
    }

    private HostLifecycle lifecycle(Profile profile) {
        return new DaemonAssembly(ctx, profile, ProfileOptions.load(profile)).lifecycle();
    }
}

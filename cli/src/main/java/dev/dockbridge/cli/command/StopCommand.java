package dev.dockbridge.cli.command;

import java.io.IOException;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;

import dev.dockbridge.bridge.daemon.DaemonLock;
import dev.dockbridge.bridge.host.DataVolume;
import dev.dockbridge.bridge.host.HostLifecycle;
import dev.dockbridge.bridge.host.ProvisionedHost;
import dev.dockbridge.cli.DaemonAssembly;

import dev.dockbridge.cli.CliContext;
import dev.dockbridge.cli.ControlClient;
import dev.dockbridge.cli.ExitCodes;
import dev.dockbridge.cli.Profile;
import dev.dockbridge.cli.ProfileOwner;
import dev.dockbridge.cli.UserException;
import dev.dockbridge.cli.config.DockBridgeConfig;
import dev.dockbridge.cli.config.Durations;
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

    @Option(names = "--purge-volume", description = "With --destroy: also delete the data volume (hetzner.volume_size_gb) and "
            + "every image, container and volume on it. Nothing else ever deletes it.")
    boolean purgeVolume;

    public StopCommand(CliContext ctx) {
        this.ctx = ctx;
    }

    @Override
    public Integer call() throws InterruptedException {
        if (purgeVolume && !destroy) {
            throw new UserException(ExitCodes.USAGE, "--purge-volume deletes the data volume, which needs its server gone: use it with --destroy");
        }
        Profile profile = profileOptions.resolve(ctx);
        Optional<DaemonLock> lock = ProfileOwner.lockUnlessDaemonRuns(profile);
        if (lock.isPresent()) {
            try {
                ctx.out().println("dockbridge is not running for profile " + profile.name());
                if (destroy) {
                    destroyDirectly(profile);
                }
                return ExitCodes.OK;
            } finally {
                ProfileOwner.release(lock.get());
            }
        }
        var answer = ControlClient.ask(profile, "stop", Map.of("destroy", destroy, "purge_volume", purgeVolume));
        long pid = answer.path("pid").asLong();
        long deadline = System.nanoTime() + 60_000_000_000L;
        while (ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)) { // the control socket closes first; wait for the process
            if (System.nanoTime() > deadline) {
                throw new UserException(ExitCodes.FAILURE, "the daemon (pid " + pid + ") did not stop within 60 s");
            }
            Thread.sleep(50);
        }
        ctx.out().println("stopped dockbridge for profile " + profile.name() + (destroy ? deleted(answer.path("deleted").asText(""),
                answer.path("purged_volume").asText("")) : ""));
        if (answer.hasNonNull("kept")) {
            String flag = profile.name().equals("default") ? "" : " --profile " + profile.name();
            var config = ProfileOptions.load(profile);
            Duration unattended = config.idle().unattendedTimeout();
            String after = config.provider() == DockBridgeConfig.Provider.HETZNER && !unattended.isZero()
                    ? "its guard deletes it after " + Durations.format(unattended) + " without a DockBridge session (idle.unattended_timeout)"
                    : "nothing deletes it while DockBridge is stopped";
            ctx.out().println("the server " + answer.path("kept").asText() + " keeps running"
                    + (answer.hasNonNull("kept_hourly_price") ? " and costs " + answer.path("kept_hourly_price").asText() + "/h" : "")
                    + " until it is deleted; " + after + ": 'dockbridge stop --destroy" + flag
                    + "' (or 'dockbridge server destroy" + flag + "') deletes it now, 'dockbridge start" + flag + "' adopts it again");
        }
        return ExitCodes.OK;
    }

    private static String deleted(String server, String volume) {
        return (server.isEmpty() ? "; it had no server" : " and deleted its server " + server)
                + (volume.isEmpty() ? "" : " and its data volume " + volume);
    }

    /** No daemon (this command holds the profile's lock): delete through a lifecycle of its own, as the daemon would. */
    private void destroyDirectly(Profile profile) {
        try (HostLifecycle lifecycle = new DaemonAssembly(ctx, profile, ProfileOptions.load(profile)).lifecycle()) {
            if (!lifecycle.disposable()) {
                throw new UserException(ExitCodes.USAGE, "this profile's host is not DockBridge's to delete; use 'dockbridge stop' without --destroy");
            }
            Optional<ProvisionedHost> host = lifecycle.destroy(ServerCommand.DIRECT_DESTROY_WAIT);
            Optional<DataVolume> volume = purgeVolume ? lifecycle.purgeDataVolume() : Optional.empty();
            ctx.out().println(host.map(h -> "deleted its server " + h.name()).orElse("it had no server")
                    + volume.map(v -> " and deleted its data volume " + v.name()).orElse(""));
        } catch (IOException e) {
            throw new UserException(ExitCodes.FAILURE, e.getMessage(), e);
        }
    }
}

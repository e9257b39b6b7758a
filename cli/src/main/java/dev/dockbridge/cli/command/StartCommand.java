package dev.dockbridge.cli.command;

import java.io.IOException;
import java.util.concurrent.Callable;

import ch.qos.logback.classic.LoggerContext;
import dev.dockbridge.bridge.daemon.BridgeDaemon;
import dev.dockbridge.bridge.daemon.DaemonLock;
import dev.dockbridge.hetzner.HetznerApiException;
import dev.dockbridge.cli.CliContext;
import dev.dockbridge.cli.DaemonAssembly;
import dev.dockbridge.cli.ExitCodes;
import dev.dockbridge.cli.Profile;
import dev.dockbridge.cli.UserException;
import dev.dockbridge.cli.config.DockBridgeConfig;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

@Command(name = "start", mixinStandardHelpOptions = true, description = {
        "Run the daemon in the foreground (logs to stdout) until Ctrl-C or SIGTERM.",
        "Serves a local Docker socket whose every connection goes to the remote engine over one SSH session."})
public final class StartCommand implements Callable<Integer> {
    private final CliContext ctx;

    @Mixin
    ProfileOptions profileOptions;

    public StartCommand(CliContext ctx) {
        this.ctx = ctx;
    }

    @Override
    public Integer call() throws InterruptedException {
        Profile profile = profileOptions.resolve(ctx);
        DockBridgeConfig config = ProfileOptions.load(profile);
        if (LoggerFactory.getILoggerFactory() instanceof LoggerContext logging) {
            logging.setName("profile=" + profile.name()); // every log line names its profile
            logging.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME).setLevel(ch.qos.logback.classic.Level.INFO);
        }
        DaemonAssembly assembly = new DaemonAssembly(ctx, profile, config);
        DaemonLock lock;
        try {
            profile.ensureStateDir();
            lock = DaemonLock.acquire(profile.stateDir());
        } catch (DaemonLock.AlreadyRunningException e) {
            throw new UserException(ExitCodes.FAILURE, "profile " + profile.name() + " is already running (pid " + e.pid() + ", socket "
                    + DaemonAssembly.dockerSocket(ctx, profile, config) + "); stop it with 'dockbridge stop"
                    + (profile.name().equals("default") ? "" : " --profile " + profile.name()) + "'", e);
        } catch (IOException e) {
            throw new UserException(ExitCodes.FAILURE, "cannot lock " + profile.stateDir() + ": " + e.getMessage(), e);
        }
        BridgeDaemon daemon = assembly.build(lock);
        Thread hook = new Thread(daemon::close, "dockbridge-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        try {
            daemon.start();
        } catch (HetznerApiException e) {
            throw new UserException(ExitCodes.FAILURE, e.unauthorized()
                    ? "HCLOUD_TOKEN was refused by the Hetzner API (" + e.code() + "): check the token, or create a Read & Write token "
                            + "in the Cloud Console (your project → Security → API tokens)"
                    : e.getMessage(), e);
        } catch (IOException e) {
            throw new UserException(ExitCodes.FAILURE, e.getMessage(), e);
        }
        ctx.out().println("docker socket ready: export DOCKER_HOST=unix://" + daemon.proxy().socketPath());
        ctx.out().flush();
        daemon.awaitStop();
        return ExitCodes.OK;
    }
}

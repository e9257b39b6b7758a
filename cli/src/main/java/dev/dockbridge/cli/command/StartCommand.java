package dev.dockbridge.cli.command;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import dev.dockbridge.bridge.daemon.BridgeDaemon;
import dev.dockbridge.bridge.daemon.DaemonLock;
import dev.dockbridge.bridge.host.ProviderException;
import dev.dockbridge.cli.CliContext;
import dev.dockbridge.cli.ControlClient;
import dev.dockbridge.cli.DaemonAssembly;
import dev.dockbridge.cli.DaemonLogFile;
import dev.dockbridge.cli.Main;
import dev.dockbridge.cli.TerminalSignals;
import dev.dockbridge.cli.DockerContext;
import dev.dockbridge.cli.ExitCodes;
import dev.dockbridge.cli.Profile;
import dev.dockbridge.cli.ProgressLine;
import dev.dockbridge.cli.Terminal;
import dev.dockbridge.cli.UserException;
import dev.dockbridge.cli.config.DockBridgeConfig;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import java.io.File;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;

@Command(name = "start", mixinStandardHelpOptions = true, description = {
        "Run the daemon in the foreground (logs to stdout) until Ctrl-C or SIGTERM.",
        "Serves a local Docker socket whose every connection goes to the remote engine over one SSH session."})
public final class StartCommand implements Callable<Integer> {
    private final CliContext ctx;

    @Mixin
    ProfileOptions profileOptions;

    @Option(names = "--detach", description = "Run in the background and return once the Docker socket answers; logs go to "
            + "$DOCKBRIDGE_HOME/<profile>/daemon.log (rotated).")
    boolean detach;

    /** Set by --detach for the background daemon it starts. */
    @Option(names = "--log-file", hidden = true)
    Path logFile;

    public StartCommand(CliContext ctx) {
        this.ctx = ctx;
    }

    /**
     * The launcher this command was started by (it holds the daemon's JVM options), or this JVM's java and class
     * path where there is none (run from an IDE or a test).
     */
    private List<String> daemonCommand() {
        String launcher = ctx.env().get("DOCKBRIDGE_LAUNCHER");
        if (launcher != null && Files.isExecutable(Path.of(launcher))) {
            return List.of(launcher);
        }
        return List.of(ProcessHandle.current().info().command().orElse("java"), "-XX:+UseSerialGC", "-cp",
                System.getProperty("java.class.path"), Main.class.getName());
    }

    /** Starts this command again in the background, without --detach, and waits for its socket. */
    private int detach(Profile profile, DockBridgeConfig config) throws InterruptedException {
        Path socket = DaemonAssembly.dockerSocket(ctx, profile, config);
        Path out;
        Process child;
        try {
            profile.ensureStateDir();
            out = profile.stateDir().resolve("daemon.out");
            List<String> command = new ArrayList<>(daemonCommand());
            command.addAll(List.of("start", "--profile", profile.name(), "--log-file", DaemonLogFile.of(profile).toString()));
            if (profile.configExplicit()) {
                command.addAll(List.of("--config", profile.configFile().toAbsolutePath().toString()));
            }
            ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.to(out.toFile()))
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
            pb.environment().putAll(ctx.env());
            child = pb.start();
        } catch (IOException e) {
            throw new UserException(ExitCodes.FAILURE, "cannot start the daemon: " + e.getMessage(), e);
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        ProgressLine line = new ProgressLine(ctx.err(), Terminal.interactive(), ctx.clock());
        while (!answers(socket)) {
            line.show(adoptionStep(profile)); // the docker socket opens once an existing server is adopted
            if (!child.isAlive()) {
                String said;
                try {
                    said = Files.readString(out).strip();
                } catch (IOException e) {
                    said = "";
                }
                throw new UserException(child.exitValue() == ExitCodes.USAGE ? ExitCodes.USAGE : ExitCodes.FAILURE,
                        "the daemon did not start: " + said.replaceFirst("^dockbridge: ", ""));
            }
            if (System.nanoTime() > deadline) {
                throw new UserException(ExitCodes.FAILURE, "the daemon (pid " + child.pid() + ") did not open " + socket
                        + " within 120 s; see " + profile.stateDir().resolve("daemon.log"));
            }
            Thread.sleep(50);
        }
        line.close();
        ctx.out().println("dockbridge started in the background (pid " + child.pid() + "); docker socket " + socket
                + "; docker context " + profile.dockerContext() + "; logs " + profile.stateDir().resolve("daemon.log"));
        return ExitCodes.OK;
    }

    private static void closeQuietly(DaemonLock lock) {
        try {
            lock.close();
        } catch (IOException e) {
            LoggerFactory.getLogger(StartCommand.class).warn("cannot release {}: {}", "the daemon lock", e.getMessage());
        }
    }

    /** What the starting daemon is doing, from its control socket (open before it adopts); null before it answers. */
    private static String adoptionStep(Profile profile) {
        if (!Files.exists(profile.stateDir().resolve("control.sock"))) {
            return null;
        }
        try {
            return ControlClient.ask(profile, "status").path("server").path("step").asText(null);
        } catch (RuntimeException e) {
            return null;
        }
    }

    private static boolean answers(Path socket) {
        try (var ch = SocketChannel.open(UnixDomainSocketAddress.of(socket))) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    @Override
    public Integer call() throws InterruptedException {
        Profile profile = profileOptions.resolve(ctx);
        DockBridgeConfig config = ProfileOptions.load(profile);
        if (detach) {
            return detach(profile, config);
        }
        if (LoggerFactory.getILoggerFactory() instanceof LoggerContext logging) {
            try {
                profile.ensureStateDir();
            } catch (IOException e) {
                throw new UserException(ExitCodes.FAILURE, "cannot create " + profile.stateDir() + ": " + e.getMessage(), e);
            }
            DaemonLogFile.use(logging, logFile != null ? logFile : DaemonLogFile.of(profile), logFile == null);
            logging.setName("profile=" + profile.name()); // every log line names its profile
            logging.getLogger(Logger.ROOT_LOGGER_NAME).setLevel(Level.INFO);
        }
        if (logFile != null) {
            // detached: closing the terminal or a Ctrl-C meant for the shell must not stop it ('dockbridge stop' does)
            TerminalSignals.ignore();
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
        BridgeDaemon daemon;
        try {
            daemon = assembly.build(lock);
        } catch (RuntimeException e) {
            closeQuietly(lock); // a start refused for bad input leaves no pid file behind
            throw e;
        }
        Thread hook = new Thread(daemon::close, "dockbridge-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        // before the socket opens: 'start --detach' returns once it answers, and says the context is there to use
        LoggerFactory.getLogger(StartCommand.class).info(new DockerContext(ctx).ensure(profile.dockerContext(),
                daemon.proxy().socketPath(), "DockBridge profile " + profile.name()));
        try {
            daemon.start();
        } catch (ProviderException e) {
            throw new UserException(ExitCodes.FAILURE, e.kind() == ProviderException.Kind.UNAUTHORIZED
                    ? "HCLOUD_TOKEN was refused by the Hetzner API (unauthorized): " + e.getMessage() + "; check the token, or create a Read & Write token "
                            + "in the Cloud Console (your project → Security → API tokens)"
                    : e.getMessage(), e);
        } catch (IOException e) {
            throw new UserException(ExitCodes.FAILURE, e.getMessage(), e);
        }
        ctx.out().println("docker socket ready: export DOCKER_HOST=unix://" + daemon.proxy().socketPath()
                + "  (or: docker --context " + profile.dockerContext() + " ...)");
        ctx.out().flush();
        daemon.awaitStop();
        return ExitCodes.OK;
    }
}

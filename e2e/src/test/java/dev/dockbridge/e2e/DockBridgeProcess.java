package dev.dockbridge.e2e;

import java.io.IOException;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import dev.dockbridge.e2e.testbed.Cmd;
import java.util.HashMap;

/** The packaged {@code dockbridge} launcher run as a real process, as a user would run it. */
final class DockBridgeProcess implements AutoCloseable {
    private static final AtomicInteger RUNS = new AtomicInteger();
    private static final Duration START_TIMEOUT = Duration.ofSeconds(60);

    private final Process process;
    private final Path log;
    private final Path socket;

    private DockBridgeProcess(Process process, Path log, Path socket) {
        this.process = process;
        this.log = log;
        this.socket = socket;
    }

    static Path launcher() {
        String dist = System.getProperty("dockbridge.dist");
        Path launcher = Path.of(dist == null ? "../cli/target/dockbridge/dockbridge" : dist, "bin", "dockbridge");
        if (!Files.isExecutable(launcher)) {
            throw new IllegalStateException(launcher + " is missing: build the distribution first (./mvnw package)");
        }
        return launcher.toAbsolutePath();
    }

    /** Starts {@code dockbridge start} and waits until its Docker socket accepts connections. */
    static DockBridgeProcess start(Path home, Path config, String... extraArgs) throws IOException {
        return start(home, config, Map.of(), extraArgs);
    }

    static DockBridgeProcess start(Path home, Path config, Map<String, String> env, String... extraArgs) throws IOException {
        withoutWarmup(config);
        Path log = home.resolve("daemon-" + RUNS.incrementAndGet() + ".log");
        Files.createDirectories(home);
        List<String> command = new ArrayList<>(List.of(launcher().toString(), "start", "--config", config.toString()));
        command.addAll(List.of(extraArgs));
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().put("DOCKBRIDGE_HOME", home.toString());
        pb.environment().remove("DOCKBRIDGE_PROFILE");
        pb.environment().put("DOCKER_CONFIG", home.resolve("docker-config").toString()); // the docker context goes here, not into ~/.docker
        pb.environment().putAll(env);
        Process p = pb.start();
        DockBridgeProcess daemon = new DockBridgeProcess(p, log, home.resolve("default/docker.sock"));
        // a bound on a hang, not a timing: a start takes a second or two, far longer only on a machine busy with the other fork
        long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
        while (!daemon.socketAnswers()) {
            if (!p.isAlive()) {
                throw new IllegalStateException("dockbridge exited with " + p.exitValue() + ":\n" + daemon.log());
            }
            if (System.nanoTime() > deadline) {
                daemon.close();
                throw new IllegalStateException("dockbridge socket not ready within " + START_TIMEOUT.toSeconds() + " s:\n" + daemon.log());
            }
            sleep(50);
        }
        return daemon;
    }

    /**
     * The suite's daemons skip the request-path warm-up (some 10 s of CPU each, on a machine that runs two test beds
     * at once) unless the config says {@code local:} itself; RequestPathWarmupTest keeps it on. Appended, so that
     * the lines an error names stay where they were.
     */
    private static void withoutWarmup(Path config) throws IOException {
        if (!Files.isRegularFile(config)) {
            return;
        }
        String text = Files.readString(config);
        if (!Pattern.compile("(?m)^local:").matcher(text).find()) {
            Files.writeString(config, text + (text.isEmpty() || text.endsWith("\n") ? "" : "\n") + "local:\n  warmup: false\n");
        }
    }

    /** Runs a dockbridge command to completion. */
    static Cmd.Result run(Path home, Duration timeout, String... args) {
        return run(home, Map.of(), timeout, args);
    }

    static Cmd.Result run(Path home, Map<String, String> env, Duration timeout, String... args) {
        List<String> command = new ArrayList<>(List.of(launcher().toString()));
        command.addAll(List.of(args));
        Map<String, String> all = new HashMap<>(env);
        all.put("DOCKBRIDGE_HOME", home.toString());
        all.putIfAbsent("DOCKER_CONFIG", home.resolve("docker-config").toString());
        return Cmd.exec(timeout, all, null, command);
    }

    Path socket() {
        return socket;
    }

    Process process() {
        return process;
    }

    String log() {
        try {
            return Files.readString(log);
        } catch (IOException e) {
            return "(no log: " + e + ")";
        }
    }

    private boolean socketAnswers() {
        if (!Files.exists(socket)) {
            return false;
        }
        try (SocketChannel ch = SocketChannel.open(UnixDomainSocketAddress.of(socket))) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** SIGTERM, as Ctrl-C or a service manager would send; waits for the exit. */
    @Override
    public void close() {
        process.destroy();
        try {
            if (!process.waitFor(20, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                process.waitFor(5, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}

package dev.dockbridge.e2e;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import dev.dockbridge.e2e.testbed.Cmd;

/** The real {@code docker} CLI pointed at one socket, with its own config dir (no user contexts leak in). */
final class DockerCli {
    private final Path socket;
    private final Path configDir;

    DockerCli(Path socket, Path configDir) throws IOException {
        this.socket = socket;
        this.configDir = Files.createDirectories(configDir);
    }

    Map<String, String> env() {
        return Map.of("DOCKER_HOST", "unix://" + socket, "DOCKER_CONFIG", configDir.toString());
    }

    Cmd.Result run(Duration timeout, String... args) {
        return Cmd.exec(timeout, env(), null, command(args));
    }

    Cmd.Result runWithStdin(Duration timeout, byte[] stdin, String... args) {
        return Cmd.exec(timeout, env(), stdin, command(args));
    }

    /** Runs and returns stdout, failing with the CLI's output if it exits non-zero. */
    String ok(String... args) {
        Cmd.Result r = run(Duration.ofSeconds(120), args);
        if (!r.ok()) {
            throw new AssertionError("docker " + String.join(" ", args) + " failed: " + r.describe());
        }
        return r.stdout();
    }

    ProcessBuilder builder(String... args) {
        ProcessBuilder pb = new ProcessBuilder(command(args));
        pb.environment().putAll(env());
        return pb;
    }

    static List<String> command(String... args) {
        List<String> command = new ArrayList<>(List.of("docker"));
        command.addAll(List.of(args));
        return command;
    }
}

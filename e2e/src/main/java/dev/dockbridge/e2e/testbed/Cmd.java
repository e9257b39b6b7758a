package dev.dockbridge.e2e.testbed;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.io.File;
import java.nio.file.Files;

/** Runs a command to completion with a time limit and captures its output. */
public final class Cmd {
    private Cmd() {
    }

    public record Result(int exitCode, String stdout, String stderr) {
        public boolean ok() {
            return exitCode == 0;
        }

        public String describe() {
            return "exit " + exitCode + "\nstdout: " + stdout.strip() + "\nstderr: " + stderr.strip();
        }
    }

    /** Runs and throws if the command fails. */
    public static String run(String... command) {
        Result r = exec(Duration.ofSeconds(60), Map.of(), null, command);
        if (!r.ok()) {
            throw new IllegalStateException(String.join(" ", command) + " failed: " + r.describe());
        }
        return r.stdout();
    }

    public static Result exec(Duration timeout, Map<String, String> env, byte[] stdin, String... command) {
        return exec(timeout, env, stdin, List.of(command));
    }

    public static Result exec(Duration timeout, Map<String, String> env, byte[] stdin, List<String> command) {
        ProcessBuilder pb = new ProcessBuilder(new ArrayList<>(command));
        pb.environment().putAll(env);
        try {
            Path out = Files.createTempFile("cmd", ".out");
            Path err = Files.createTempFile("cmd", ".err");
            try {
                pb.redirectOutput(out.toFile()).redirectError(err.toFile());
                if (stdin == null) {
                    pb.redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
                }
                Process p = pb.start();
                if (stdin != null) {
                    try (var in = p.getOutputStream()) {
                        in.write(stdin);
                    }
                }
                if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                    p.descendants().forEach(ProcessHandle::destroyForcibly);
                    p.destroyForcibly();
                    p.waitFor(5, TimeUnit.SECONDS);
                    return new Result(-1, read(out), read(err) + "\n[timed out after " + timeout + "]");
                }
                return new Result(p.exitValue(), read(out), read(err));
            } finally {
                Files.deleteIfExists(out);
                Files.deleteIfExists(err);
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot run " + command + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted running " + command, e);
        }
    }

    private static String read(Path p) throws IOException {
        return new String(Files.readAllBytes(p), StandardCharsets.UTF_8);
    }
}

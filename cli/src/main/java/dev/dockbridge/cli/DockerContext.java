package dev.dockbridge.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Optional;

/**
 * The docker context of a profile ({@code dockbridge}, or {@code dockbridge-<profile>}), pointing at its
 * socket: made with the docker CLI when there is one, else written into Docker's context store in the
 * CLI's own format ({@code contexts/meta/<sha256 of the name>/meta.json}).
 */
public final class DockerContext {
    private final CliContext ctx;

    public DockerContext(CliContext ctx) {
        this.ctx = ctx;
    }

    /** Creates or updates the context; returns how (for the log), never throws: a context is a convenience. */
    public String ensure(String name, Path socket, String description) {
        String host = "host=unix://" + socket;
        try {
            if (run(List.of("docker", "context", "inspect", name)) == 0) {
                if (run(List.of("docker", "context", "update", name, "--description", description, "--docker", host)) == 0) {
                    return "docker context " + name + " updated";
                }
            } else if (run(List.of("docker", "context", "create", name, "--description", description, "--docker", host)) == 0) {
                return "docker context " + name + " created";
            }
        } catch (IOException e) {
            // no docker CLI here: write the store ourselves
        }
        try {
            writeStore(name, socket, description);
            return "docker context " + name + " written to " + configDir();
        } catch (IOException e) {
            return "docker context " + name + " not set: " + e.getMessage();
        }
    }

    /** The Docker endpoint a context points at, read from Docker's context store; empty if there is no such context. */
    public Optional<String> endpoint(String name) {
        Path meta = configDir().resolve("contexts/meta").resolve(sha256(name)).resolve("meta.json");
        try {
            return Optional.ofNullable(new ObjectMapper().readTree(meta.toFile()).path("Endpoints").path("docker").path("Host").textValue());
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    private int run(List<String> command) throws IOException {
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD);
        pb.environment().putAll(ctx.env());
        Process p = pb.start();
        try {
            if (!p.waitFor(15, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return -1;
            }
            return p.exitValue();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            p.destroyForcibly();
            return -1;
        }
    }

    private Path configDir() {
        String dir = ctx.env().get("DOCKER_CONFIG");
        return dir != null && !dir.isBlank() ? Path.of(dir) : ctx.userHome().resolve(".docker");
    }

    private void writeStore(String name, Path socket, String description) throws IOException {
        ObjectNode meta = new ObjectMapper().createObjectNode();
        meta.put("Name", name);
        meta.putObject("Metadata").put("Description", description);
        meta.putObject("Endpoints").putObject("docker").put("Host", "unix://" + socket).put("SkipTLSVerify", false);
        Path dir = configDir().resolve("contexts/meta").resolve(sha256(name));
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("meta.json"), meta.toString());
    }

    private static String sha256(String s) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}

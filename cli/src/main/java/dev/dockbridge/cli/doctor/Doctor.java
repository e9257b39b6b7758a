package dev.dockbridge.cli.doctor;

import java.io.IOException;
import java.io.InputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.dockbridge.bridge.host.HostLifecycle;
import dev.dockbridge.bridge.host.ProviderException;
import dev.dockbridge.bridge.host.ProvisionedHost;
import dev.dockbridge.bridge.tunnel.IdentityFiles;
import dev.dockbridge.cli.CliContext;
import dev.dockbridge.cli.ControlClient;
import dev.dockbridge.cli.DaemonAssembly;
import dev.dockbridge.cli.DockerContext;
import dev.dockbridge.cli.Profile;
import dev.dockbridge.cli.UserException;
import dev.dockbridge.cli.config.ConfigException;
import dev.dockbridge.cli.config.ConfigLoader;
import dev.dockbridge.cli.config.DockBridgeConfig;
import java.nio.channels.AsynchronousCloseException;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;

/**
 * The checks of {@code dockbridge doctor}, in the order a user would fix things. It never creates or
 * deletes a server; with no daemon running it connects to the host the profile already has, as {@code start}
 * would (which powers on a Hetzner server that is off).
 */
public final class Doctor {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final long DOCKER_CLI_TIMEOUT_S = 10;
    /** A ready server answers /version in milliseconds; a hung one must not hang doctor. */
    private static final long DOCKER_TIMEOUT_S = 30;

    private final CliContext ctx;
    private final Profile profile;

    public Doctor(CliContext ctx, Profile profile) {
        this.ctx = ctx;
        this.profile = profile;
    }

    public List<Check> run() {
        List<Check> checks = new ArrayList<>();
        DockBridgeConfig config;
        try {
            config = new ConfigLoader().load(profile.configFile(), profile.configExplicit(), profile.name());
            checks.add(Check.ok("config", (Files.exists(profile.configFile()) ? profile.configFile() + " is valid" : "no "
                    + profile.configFile() + ", defaults") + " (profile " + profile.name() + ", provider "
                    + config.provider().name().toLowerCase(Locale.ROOT) + ")"));
        } catch (ConfigException e) {
            checks.add(Check.fail("config", e.getMessage(), "edit " + profile.configFile() + " (keys and defaults: README, 'Configuration')"));
            checks.add(dockerCli());
            return checks;
        }
        Path socket = DaemonAssembly.dockerSocket(ctx, profile, config);
        checks.add(access(config));
        checks.add(keys(config));
        checks.add(dockerCli());
        checks.add(context(socket));
        Optional<JsonNode> status = daemonStatus();
        checks.add(status.map(s -> Check.ok("daemon", "running (pid " + s.path("pid").asText() + "), docker socket " + socket))
                .orElse(Check.fail("daemon", "not running for profile " + profile.name(), "dockbridge start --detach" + profileFlag())));
        if (status.isPresent()) {
            checks.addAll(throughDaemon(status.get(), socket));
        } else {
            checks.addAll(direct(config));
        }
        return checks;
    }

    private Check access(DockBridgeConfig config) {
        if (config.provider() == DockBridgeConfig.Provider.SSH) {
            return Check.skip("token", "provider ssh needs no API token");
        }
        try (HostLifecycle lifecycle = new DaemonAssembly(ctx, profile, config).lifecycle()) {
            return Check.ok("token", lifecycle.checkAccess().orElse("accepted"));
        } catch (UserException e) {
            return Check.fail("token", e.getMessage(), "export HCLOUD_TOKEN=<a Read & Write token of your Hetzner Cloud project>");
        } catch (ProviderException e) {
            return e.kind() == ProviderException.Kind.UNAUTHORIZED
                    ? Check.fail("token", "HCLOUD_TOKEN was refused by the Hetzner API (unauthorized): " + e.getMessage(),
                            "create a Read & Write token in the Cloud Console (your project → Security → API tokens)")
                    : Check.fail("token", "the Hetzner API answered: " + e.getMessage(), "check HCLOUD_ENDPOINT and the Hetzner status page");
        } catch (IOException e) {
            return Check.fail("token", "cannot reach the Hetzner API: " + e.getMessage(), "check the network, a proxy, or HCLOUD_ENDPOINT");
        }
    }

    private Check keys(DockBridgeConfig config) {
        List<Path> files = new ArrayList<>();
        if (config.provider() == DockBridgeConfig.Provider.SSH) {
            Path identity = DaemonAssembly.identityFile(ctx, config.ssh().identityFile());
            Path agent = DaemonAssembly.agentSocket(ctx);
            if (agent != null && config.ssh().identityFile() == null && !Files.exists(identity)) {
                return Check.ok("ssh keys", "the keys of the ssh-agent at " + agent);
            }
            try {
                IdentityFiles.load(identity);
                files.add(identity);
            } catch (IdentityFiles.PassphraseRequired e) {
                return agent != null ? Check.ok("ssh keys", e.getMessage() + "; the ssh-agent at " + agent + " is used (ssh-add it there)")
                        : Check.ok("ssh keys", e.getMessage() + ": 'dockbridge start' asks for it on a terminal; for --detach, ssh-add it "
                                + "to an ssh-agent and set SSH_AUTH_SOCK");
            } catch (IOException e) {
                return Check.fail("ssh keys", e.getMessage(), "set ssh.identity_file to a private key (ssh-keygen -t ed25519), or use an ssh-agent");
            }
        } else {
            for (String name : List.of("id_ed25519", "host_ed25519")) {
                Path f = profile.stateDir().resolve(name);
                if (Files.exists(f)) {
                    files.add(f);
                }
            }
            if (files.isEmpty()) {
                return Check.ok("ssh keys", "none yet: 'dockbridge start' generates the profile's keys in " + profile.stateDir());
            }
        }
        for (Path f : files) {
            try {
                Set<PosixFilePermission> perms = Files.getPosixFilePermissions(f);
                if (perms.stream().anyMatch(p -> p.name().startsWith("GROUP") || p.name().startsWith("OTHERS"))) {
                    return Check.fail("ssh keys", f + " can be read by other users (" + PosixFilePermissions.toString(perms) + ")",
                            "chmod 600 " + f);
                }
            } catch (IOException | UnsupportedOperationException e) {
                return Check.fail("ssh keys", "cannot read the mode of " + f + ": " + e.getMessage(), "check that " + f + " is yours");
            }
        }
        return Check.ok("ssh keys", String.join(", ", files.stream().map(Path::toString).toList()) + " (0600)");
    }


    private Check dockerCli() {
        try {
            ProcessBuilder pb = new ProcessBuilder("docker", "--version").redirectErrorStream(true);
            pb.environment().putAll(ctx.env());
            Process p = pb.start();
            String said = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            if (!p.waitFor(DOCKER_CLI_TIMEOUT_S, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return Check.fail("docker CLI", "'docker --version' did not finish in " + DOCKER_CLI_TIMEOUT_S + " s", "reinstall the docker CLI");
            }
            return p.exitValue() == 0 ? Check.ok("docker CLI", said)
                    : Check.fail("docker CLI", "'docker --version' failed: " + said, "reinstall the docker CLI");
        } catch (IOException e) {
            return Check.fail("docker CLI", "no 'docker' on PATH", "install the docker CLI (Debian: apt install docker.io; or docker-ce-cli)");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Check.fail("docker CLI", "interrupted", "run doctor again");
        }
    }

    private Check context(Path socket) {
        String name = profile.dockerContext();
        String want = "unix://" + socket;
        Optional<String> has = new DockerContext(ctx).endpoint(name);
        if (has.isEmpty()) {
            return Check.warn("docker context", "no context " + name, "dockbridge start" + profileFlag() + " creates it; or use DOCKER_HOST=" + want);
        }
        if (!has.get().equals(want)) {
            return Check.fail("docker context", name + " points at " + has.get() + ", not " + want,
                    "dockbridge start" + profileFlag() + " updates it, or: docker context update " + name + " --docker host=" + want);
        }
        return Check.ok("docker context", name + " → " + want);
    }

    private Optional<JsonNode> daemonStatus() {
        try {
            return Optional.of(ControlClient.ask(profile, "status"));
        } catch (UserException e) {
            return Optional.empty();
        }
    }

    /** With a daemon: its view of the server, and a real Docker call through the user's socket if a server is up. */
    private List<Check> throughDaemon(JsonNode status, Path socket) {
        JsonNode server = status.path("server");
        String state = server.path("state").asText();
        String where = server.path("name").asText("?") + " at " + server.path("ip").asText("?");
        switch (state) {
            case "ready":
                break;
            case "absent":
                return List.of(Check.ok("server", "none running: the next docker command creates one (" + server.path("provider").asText() + ")"),
                        Check.skip("remote docker", "no server to ask"));
            case "failed":
                return List.of(Check.fail("server", "the last start failed: " + server.path("reason").asText(),
                        "fix what the reason says; the next docker command tries again (dockbridge logs" + profileFlag() + " has details)"),
                        Check.skip("remote docker", "no server to ask"));
            default:
                return List.of(Check.warn("server", state + " " + where, "wait, then run doctor again"), Check.skip("remote docker", "server not ready"));
        }
        List<Check> out = new ArrayList<>();
        out.add(Check.ok("server", "ready: " + where));
        try {
            JsonNode version = dockerVersion(socket);
            out.add(Check.ok("remote docker", "Docker " + version.path("Version").asText() + " (API " + version.path("ApiVersion").asText() + ", "
                    + version.path("Os").asText() + "/" + version.path("Arch").asText() + ") through " + socket));
        } catch (AsynchronousCloseException e) {
            out.add(Check.fail("remote docker", "GET /version through " + socket + " got no answer within " + DOCKER_TIMEOUT_S + " s",
                    "dockbridge logs" + profileFlag() + " shows why; 'dockbridge stop && dockbridge start --detach' reconnects"));
        } catch (IOException e) {
            out.add(Check.fail("remote docker", "GET /version through " + socket + " failed: " + e.getMessage(),
                    "dockbridge logs" + profileFlag() + " shows why; 'dockbridge stop && dockbridge start --detach' reconnects"));
        }
        return out;
    }

    /** Without a daemon: connect to the host the profile has (never create one) and ask Docker. */
    private List<Check> direct(DockBridgeConfig config) {
        try (HostLifecycle lifecycle = new DaemonAssembly(ctx, profile, config).lifecycle()) {
            List<ProvisionedHost> hosts = lifecycle.findExisting(); // a query: nothing is powered on or taken over
            if (hosts.isEmpty()) {
                return List.of(Check.ok("server", "none: the first docker command after 'dockbridge start' creates one"),
                        Check.skip("remote docker", "no server to ask"));
            }
            ProvisionedHost host = hosts.get(0);
            String also = hosts.size() == 1 ? "" : "; " + (hosts.size() - 1) + " more server(s) of this profile are billed but unused: "
                    + String.join(", ", hosts.subList(1, hosts.size()).stream().map(ProvisionedHost::name).toList());
            if (host.status() != null && !"running".equals(host.status())) {
                return List.of(Check.ok("server", host.name() + " is " + host.status() + also + " (the next docker command brings it up)"),
                        Check.skip("remote docker", "the server is not running"));
            }
            lifecycle.probe(host);
            return List.of(Check.ok("server", "reachable over SSH, host key verified: " + host.ssh().address() + also),
                    Check.ok("remote docker", "answers /_ping on " + lifecycle.remoteSocket()));
        } catch (UserException e) {
            return List.of(Check.skip("server", "see the checks above"), Check.skip("remote docker", "see the checks above"));
        } catch (IOException e) {
            return List.of(Check.fail("server", e.getMessage(), "the message says what to fix; for provider ssh check ssh.host, ssh.port and the server's sshd"),
                    Check.skip("remote docker", "server not reachable"));
        }
    }

    /** {@code GET /version} on the profile's socket; the channel is closed if it takes longer than the timeout. */
    private static JsonNode dockerVersion(Path socket) throws IOException {
        try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            CompletableFuture.delayedExecutor(DOCKER_TIMEOUT_S, TimeUnit.SECONDS).execute(() -> {
                try {
                    ch.close();
                } catch (IOException ignored) {
                    // closing is all we can do
                }
            });
            ch.connect(UnixDomainSocketAddress.of(socket));
            ch.write(ByteBuffer.wrap("GET /version HTTP/1.0\r\nHost: docker\r\n\r\n".getBytes(StandardCharsets.US_ASCII)));
            InputStream in = Channels.newInputStream(ch);
            String reply = new String(in.readNBytes(1 << 20), StandardCharsets.UTF_8);
            int body = reply.indexOf("\r\n\r\n");
            if (!reply.startsWith("HTTP/1.") || body < 0) {
                throw new IOException("no HTTP answer");
            }
            String first = reply.lines().findFirst().orElse("");
            JsonNode json = JSON.readTree(reply.substring(body + 4));
            if (!first.contains(" 200 ")) {
                throw new IOException(first.strip() + (json.has("message") ? ": " + json.path("message").asText() : ""));
            }
            return json;
        }
    }

    private String profileFlag() {
        return profile.name().equals("default") ? "" : " --profile " + profile.name();
    }
}

package dev.dockbridge.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;

import dev.dockbridge.bridge.daemon.BridgeDaemon;
import dev.dockbridge.bridge.docker.DockerSocketProxy;
import dev.dockbridge.bridge.tunnel.HostKeyTrust;
import dev.dockbridge.bridge.tunnel.IdentityFiles;
import dev.dockbridge.bridge.tunnel.KnownHostsTrust;
import dev.dockbridge.bridge.tunnel.SshTarget;
import dev.dockbridge.bridge.tunnel.SshTunnel;
import dev.dockbridge.cli.config.DockBridgeConfig;

/** The composition root: turns a profile and its configuration into a wired daemon. Nothing else wires. */
public final class DaemonAssembly {
    private final CliContext ctx;
    private final Profile profile;
    private final DockBridgeConfig config;

    public DaemonAssembly(CliContext ctx, Profile profile, DockBridgeConfig config) {
        this.ctx = ctx;
        this.profile = profile;
        this.config = config;
    }

    /** The local Docker socket of this profile. */
    public static Path dockerSocket(CliContext ctx, Profile profile, DockBridgeConfig config) {
        String configured = config.local().socket();
        return configured != null ? ctx.expand(configured).toAbsolutePath() : profile.stateDir().resolve("docker.sock");
    }

    public BridgeDaemon build() {
        if (config.provider() != DockBridgeConfig.Provider.SSH) {
            throw new UserException(ExitCodes.USAGE,
                    "provider '" + config.provider().name().toLowerCase(java.util.Locale.ROOT)
                            + "' is not available in this build yet; set provider: ssh and ssh.host to use an existing host");
        }
        try {
            profile.ensureStateDir();
        } catch (IOException e) {
            throw new UserException(ExitCodes.FAILURE, "cannot create " + profile.stateDir() + ": " + e.getMessage(), e);
        }
        SshTunnel tunnel = new SshTunnel(sshTarget());
        String remoteSocket = config.remote().dockerSocket();
        DockerSocketProxy proxy = new DockerSocketProxy(dockerSocket(ctx, profile, config),
                () -> tunnel.openUnixSocket(remoteSocket), DockerSocketProxy.ProxyListener.NONE);
        return new BridgeDaemon(tunnel, proxy);
    }

    private SshTarget sshTarget() {
        var ssh = config.ssh();
        Path identityFile = identityFile(ssh.identityFile());
        KeyPair identity;
        try {
            identity = IdentityFiles.load(identityFile);
        } catch (IOException e) {
            throw new UserException(ExitCodes.USAGE, "ssh.identity_file: " + e.getMessage(), e);
        }
        Path knownHosts = ctx.expand(ssh.knownHosts());
        HostKeyTrust trust = new KnownHostsTrust(knownHosts, ssh.hostKeyPolicy() == DockBridgeConfig.HostKeyPolicy.ACCEPT_NEW);
        return new SshTarget(ssh.host(), ssh.port(), ssh.user(), identity, identityFile.toString(), trust,
                ssh.connectTimeout(), ssh.keepaliveInterval(), ssh.keepaliveMaxMisses());
    }

    private Path identityFile(String configured) {
        if (configured != null) {
            return ctx.expand(configured);
        }
        Path ed25519 = ctx.userHome().resolve(".ssh/id_ed25519");
        Path rsa = ctx.userHome().resolve(".ssh/id_rsa");
        return !Files.exists(ed25519) && Files.exists(rsa) ? rsa : ed25519;
    }
}

package dev.dockbridge.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.time.Clock;
import java.time.Duration;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

import dev.dockbridge.bridge.daemon.BridgeDaemon;
import dev.dockbridge.bridge.daemon.ControlServer;
import dev.dockbridge.bridge.daemon.DaemonLock;
import dev.dockbridge.bridge.daemon.StatusReport;
import dev.dockbridge.bridge.daemon.Threads;
import dev.dockbridge.bridge.forward.ContainerWatcher;
import dev.dockbridge.bridge.forward.SshChannelOpener;
import dev.dockbridge.portforward.ForwardManager;
import dev.dockbridge.bridge.docker.ConnectionLimits;
import dev.dockbridge.bridge.docker.DockerSocketProxy;
import dev.dockbridge.bridge.host.ExistingHostProvider;
import dev.dockbridge.bridge.host.HetznerHostProvider;
import dev.dockbridge.bridge.host.HostLifecycle;
import dev.dockbridge.bridge.host.HostProvider;
import dev.dockbridge.bridge.host.ProfileKeys;
import dev.dockbridge.bridge.host.ProvisionedHost;
import dev.dockbridge.bridge.idle.ActivityTracker;
import dev.dockbridge.bridge.idle.CostBook;
import dev.dockbridge.bridge.idle.IdlePolicy;
import dev.dockbridge.bridge.idle.IdleReaper;
import dev.dockbridge.bridge.tunnel.HostKeyTrust;
import dev.dockbridge.bridge.tunnel.IdentityFiles;
import dev.dockbridge.bridge.tunnel.KnownHostsTrust;
import dev.dockbridge.bridge.tunnel.SshTarget;
import dev.dockbridge.bridge.tunnel.SshTunnel;
import dev.dockbridge.cli.config.ConfigLoader;
import dev.dockbridge.cli.config.DockBridgeConfig;
import dev.dockbridge.hetzner.HetznerClient;

/** The composition root: turns a profile and its configuration into wired parts. Nothing else wires. */
public final class DaemonAssembly {
    private static final Duration ACTION_TIMEOUT = Duration.ofMinutes(5);
    /** Events trigger reconciles at once; this catches what events missed. */
    private static final Duration RECONCILE_EVERY = Duration.ofSeconds(10);
    /** Billing-aware deletions land this long before the paid hour ends, so the delete is inside the hour. */
    private static final Duration BILLING_MARGIN = Duration.ofMinutes(2);

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

    /** @param lock the profile's daemon lock; the daemon releases it last when it stops */
    public BridgeDaemon build(DaemonLock lock) {
        HostLifecycle lifecycle = lifecycle();
        Path socket = dockerSocket(ctx, profile, config);
        Clock clock = Clock.systemUTC();
        ActivityTracker activity = new ActivityTracker(clock);
        var local = config.local();
        DockerSocketProxy proxy = new DockerSocketProxy(socket, lifecycle::openDocker,
                () -> lifecycle.snapshot().state() == dev.dockbridge.bridge.host.HostState.READY, activity,
                new ConnectionLimits(local.maxConnections(), local.acceptsPerSecond(), local.firstByteTimeout()));
        ForwardManager forwards = null;
        ContainerWatcher watcher = null;
        if (config.forward().enabled()) {
            ExecutorService opening = Executors.newCachedThreadPool(Threads.named("forward-open"));
            forwards = new ForwardManager(new SshChannelOpener(lifecycle, opening), config.forward().bind(), config.forward().maxConnections(),
                    Clock.systemUTC());
            watcher = new ContainerWatcher(lifecycle, forwards, profile.stateDir().resolve("watcher.sock"), RECONCILE_EVERY,
                    config.forward().directToContainer());
        }
        ForwardManager forwardsForStatus = forwards;
        IdleReaper reaper = null;
        if (lifecycle.provider().disposable()) {
            IdlePolicy policy = new IdlePolicy(config.idle().timeout(), config.idle().billingAware(), BILLING_MARGIN);
            reaper = new IdleReaper(lifecycle, activity, () -> forwardsForStatus == null ? List.of() : forwardsForStatus.snapshot(), policy, clock);
        }
        IdleReaper reaperForStatus = reaper;
        CostBook costs = new CostBook(profile.stateDir().resolve("costs.json"), clock);
        lifecycle.addListener(new HostLifecycle.Listener() {
            @Override
            public void ready(ProvisionedHost host) {
                try {
                    if (host.created() != null) {
                        lifecycle.provider().price(host).ifPresent(p -> costs.running(host.id(), host.name(), host.created(), p));
                    }
                } catch (IOException e) {
                    org.slf4j.LoggerFactory.getLogger(DaemonAssembly.class).warn("cannot read the price of {}: {}", host.name(), e.getMessage());
                }
            }

            @Override
            public void deleted(ProvisionedHost host) {
                costs.deleted(host.id());
            }
        });
        String dockerHost = "unix://" + socket;
        java.util.concurrent.atomic.AtomicReference<BridgeDaemon> self = new java.util.concurrent.atomic.AtomicReference<>();
        ControlServer control = new ControlServer(profile.stateDir().resolve("control.sock"), Map.of(
                "stop", request -> stop(self.get(), request),
                "server_create", request -> serverCreate(lifecycle),
                "server_destroy", request -> serverDestroy(lifecycle),
                "hold", request -> hold(reaperForStatus, request),
                "status", request -> StatusReport.status(profile.name(), dockerHost, lifecycle, forwardsForStatus, reaperForStatus, costs, clock),
                "ports", request -> StatusReport.forwards(forwardsForStatus)));
        BridgeDaemon daemon = new BridgeDaemon(new BridgeDaemon.Parts(lifecycle, proxy, forwards, watcher, reaper, control), lock);
        self.set(daemon);
        return daemon;
    }

    private static Object serverCreate(HostLifecycle lifecycle) {
        try {
            lifecycle.ensureReady();
            ProvisionedHost h = lifecycle.snapshot().host();
            return Map.of("id", h.id(), "name", h.name(), "ip", h.ssh().host());
        } catch (IOException e) {
            return Map.of("error", String.valueOf(e.getMessage()));
        }
    }

    private static Object serverDestroy(HostLifecycle lifecycle) {
        try {
            java.util.Optional<ProvisionedHost> h = lifecycle.provider().findExisting();
            if (h.isEmpty()) {
                return Map.of("deleted", "");
            }
            lifecycle.destroy();
            return Map.of("deleted", h.get().name(), "id", h.get().id());
        } catch (IOException e) {
            return Map.of("error", String.valueOf(e.getMessage()));
        }
    }

    /**
     * {@code {"command":"stop","destroy":bool,"purge_volume":bool}}: deletes the server (and the data volume)
     * first, so a failure reaches the user and the daemon keeps running to retry; then answers and stops.
     */
    private static Object stop(BridgeDaemon daemon, com.fasterxml.jackson.databind.JsonNode request) {
        boolean destroy = request.path("destroy").asBoolean(false);
        boolean purge = request.path("purge_volume").asBoolean(false);
        Map<String, Object> answer = new java.util.LinkedHashMap<>();
        answer.put("stopping", true);
        answer.put("pid", String.valueOf(ProcessHandle.current().pid()));
        if (destroy) {
            HostLifecycle lifecycle = daemon.lifecycle();
            if (!lifecycle.provider().disposable()) {
                return Map.of("error", "this profile's host is not DockBridge's to delete; use 'dockbridge stop' without --destroy");
            }
            try {
                java.util.Optional<ProvisionedHost> host = java.util.Optional.ofNullable(lifecycle.snapshot().host());
                if (host.isEmpty()) {
                    host = lifecycle.provider().findExisting();
                }
                lifecycle.destroy();
                answer.put("deleted", host.map(ProvisionedHost::name).orElse(""));
                if (purge) {
                    lifecycle.provider().purgeDataVolume().ifPresent(v -> {
                        org.slf4j.LoggerFactory.getLogger(DaemonAssembly.class).info("deleted the data volume {} ({})", v.name(), v.id());
                        answer.put("purged_volume", v.name());
                    });
                }
            } catch (IOException e) {
                return Map.of("error", "deleting failed, the daemon keeps running: " + e.getMessage());
            }
        }
        Thread stopper = new Thread(daemon::close, "stop");
        stopper.start();
        return answer;
    }

    /** {@code {"command":"hold","seconds":N}} keeps the server N seconds regardless of idleness; 0 releases. */
    private static Object hold(IdleReaper reaper, com.fasterxml.jackson.databind.JsonNode request) {
        if (reaper == null) {
            return Map.of("error", "this profile's host is never deleted, so there is nothing to hold");
        }
        long seconds = request.path("seconds").asLong(0);
        java.time.Instant until = seconds > 0 ? java.time.Instant.now().plusSeconds(seconds) : null;
        reaper.hold(until);
        return Map.of("held_until", until == null ? "released" : until.toString());
    }


    /** The host lifecycle alone (for commands that manage the server without serving a socket). */
    public HostLifecycle lifecycle() {
        try {
            profile.ensureStateDir();
        } catch (IOException e) {
            throw new UserException(ExitCodes.FAILURE, "cannot create " + profile.stateDir() + ": " + e.getMessage(), e);
        }
        HostProvider provider = config.provider() == DockBridgeConfig.Provider.SSH ? existingHost() : hetzner();
        return new HostLifecycle(provider, SshTunnel::new, config.remote().dockerSocket(), config.hetzner().bootTimeout(),
                Clock.systemUTC());
    }

    private HostProvider existingHost() {
        var ssh = config.ssh();
        Path identityFile = identityFile(ctx, ssh.identityFile());
        KeyPair identity;
        try {
            identity = IdentityFiles.load(identityFile);
        } catch (IOException e) {
            throw new UserException(ExitCodes.USAGE, "ssh.identity_file: " + e.getMessage(), e);
        }
        Path knownHosts = ctx.expand(ssh.knownHosts());
        HostKeyTrust trust = new KnownHostsTrust(knownHosts, ssh.hostKeyPolicy() == DockBridgeConfig.HostKeyPolicy.ACCEPT_NEW);
        return new ExistingHostProvider(new SshTarget(ssh.host(), ssh.port(), ssh.user(), identity, identityFile.toString(), trust,
                ssh.connectTimeout(), ssh.keepaliveInterval(), ssh.keepaliveMaxMisses(), ssh.reconnectWait()));
    }

    private HostProvider hetzner() {
        String token = ctx.env().get("HCLOUD_TOKEN");
        if (token == null || token.isBlank()) {
            throw new UserException(ExitCodes.USAGE, "HCLOUD_TOKEN is not set: provider hetzner needs a Hetzner Cloud API token "
                    + "(Cloud Console → your project → Security → API tokens, Read & Write)");
        }
        String endpoint = ctx.env().get("HCLOUD_ENDPOINT");
        if (endpoint != null && !endpoint.isBlank()) {
            if (!ConfigLoader.isHttpUrl(endpoint)) {
                throw new UserException(ExitCodes.USAGE, "HCLOUD_ENDPOINT: '" + endpoint + "' is not an http(s) URL");
            }
        } else {
            endpoint = config.hetzner().endpoint();
        }
        ProfileKeys clientKey;
        ProfileKeys hostKey;
        try {
            clientKey = ProfileKeys.loadOrCreate(profile.stateDir().resolve("id_ed25519"), "dockbridge-" + profile.name());
            hostKey = ProfileKeys.loadOrCreate(profile.stateDir().resolve("host_ed25519"), "dockbridge-host-" + profile.name());
        } catch (IOException e) {
            throw new UserException(ExitCodes.FAILURE, "cannot prepare the keys of profile " + profile.name() + ": " + e.getMessage(), e);
        }
        var h = config.hetzner();
        var ssh = config.ssh();
        return new HetznerHostProvider(new HetznerClient(endpoint, token),
                new HetznerHostProvider.Settings(profile.name(), h.serverType(), h.location(), h.image(), h.firewall(), h.volumeSizeGb(),
                        ACTION_TIMEOUT, ssh.connectTimeout(), ssh.keepaliveInterval(), ssh.keepaliveMaxMisses(), ssh.reconnectWait()),
                clientKey, hostKey);
    }

    /** The configured key, else {@code ~/.ssh/id_ed25519}, else {@code ~/.ssh/id_rsa} if only that exists. */
    public static Path identityFile(CliContext ctx, String configured) {
        if (configured != null) {
            return ctx.expand(configured);
        }
        Path ed25519 = ctx.userHome().resolve(".ssh/id_ed25519");
        Path rsa = ctx.userHome().resolve(".ssh/id_rsa");
        return !Files.exists(ed25519) && Files.exists(rsa) ? rsa : ed25519;
    }
}

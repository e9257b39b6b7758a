package dev.dockbridge.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;

import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import java.util.function.Function;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

import org.slf4j.LoggerFactory;

import dev.dockbridge.bridge.daemon.BridgeDaemon;
import dev.dockbridge.bridge.daemon.ControlServer;
import dev.dockbridge.bridge.daemon.DaemonLock;
import dev.dockbridge.bridge.daemon.ControlCommands;
import dev.dockbridge.bridge.concurrent.Threads;
import dev.dockbridge.bridge.forward.ContainerWatcher;
import dev.dockbridge.bridge.forward.DockerStatsSampler;
import dev.dockbridge.bridge.forward.SshChannelOpener;
import dev.dockbridge.portforward.ForwardManager;
import dev.dockbridge.portforward.NetworkLoop;
import dev.dockbridge.portforward.Transport;
import dev.dockbridge.bridge.tunnel.io.SshLoopThreads;
import dev.dockbridge.bridge.docker.ConnectionLimits;
import dev.dockbridge.bridge.docker.DockerSocketProxy;
import dev.dockbridge.bridge.docker.DockerUpstream;
import dev.dockbridge.bridge.tunnel.RemoteStream;
import dev.dockbridge.bridge.docker.NoServerAnswers;
import dev.dockbridge.bridge.docker.NoServerResponder;
import dev.dockbridge.bridge.docker.RequestPathWarmup;
import dev.dockbridge.bridge.docker.RequestRewriter;
import dev.dockbridge.bridge.host.ExistingHostProvider;
import dev.dockbridge.bridge.host.HostState;
import dev.dockbridge.bridge.host.HourlyPrice;
import dev.dockbridge.bridge.host.hetzner.HetznerHostProvider;
import dev.dockbridge.bridge.host.hetzner.ServerGuard;
import dev.dockbridge.bridge.host.hetzner.ServerHostKeys;
import dev.dockbridge.bridge.host.HostLifecycle;
import dev.dockbridge.bridge.host.HostProvider;
import dev.dockbridge.bridge.host.ProfileKeys;
import dev.dockbridge.bridge.host.ProvisionedHost;
import dev.dockbridge.bridge.idle.ActivityTracker;
import dev.dockbridge.bridge.idle.CostBook;
import dev.dockbridge.bridge.idle.CostSettlement;
import dev.dockbridge.bridge.idle.IdlePolicy;
import dev.dockbridge.bridge.idle.ContainerWork;
import dev.dockbridge.bridge.idle.IdleReaper;
import dev.dockbridge.bridge.idle.ServerPresence;
import dev.dockbridge.bridge.idle.WorkMonitor;
import dev.dockbridge.bridge.mounts.BindMounts;
import dev.dockbridge.bridge.mounts.ContainerBindSources;
import dev.dockbridge.bridge.mounts.FolderSync;
import dev.dockbridge.bridge.mounts.MountSettings;
import dev.dockbridge.bridge.mounts.MountedFolders;
import dev.dockbridge.bridge.tunnel.Tunnel;
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
    /** Enough for C2 to compile the request path (bench/bridge-latency.sh: 1.3-1.4x direct before, 1.0x after 2,000). */
    private static final int WARMUP_EXCHANGES = 2000;
    private static final int WARMUP_CLIENTS = 2;
    private static final String DEFAULT_ENDPOINT = "https://api.hetzner.cloud/v1";
    /** The simulator's API as a test-bed server reaches it; a name no user sets by accident. */
    private static final String TESTBED_SERVER_ENDPOINT = "DOCKBRIDGE_TESTBED_SERVER_API_ENDPOINT";

    private final CliContext ctx;
    private final Profile profile;
    private final DockBridgeConfig config;
    private final Clock clock;

    public DaemonAssembly(CliContext ctx, Profile profile, DockBridgeConfig config) {
        this(ctx, profile, config, Clock.systemUTC());
    }

    public DaemonAssembly(CliContext ctx, Profile profile, DockBridgeConfig config, Clock clock) {
        this.ctx = ctx;
        this.profile = profile;
        this.config = config;
        this.clock = clock;
    }

    /** The local Docker socket of this profile. */
    public static Path dockerSocket(CliContext ctx, Profile profile, DockBridgeConfig config) {
        String configured = config.local().socket();
        return configured != null ? ctx.expand(configured).toAbsolutePath() : profile.stateDir().resolve("docker.sock");
    }

    /** @param lock the profile's daemon lock; the daemon releases it last when it stops */
    public BridgeDaemon build(DaemonLock lock) {
        CostBook costs = costBook();
        // one thread for the SSH connection and the forwards over it (BridgeDaemon closes it after both)
        NetworkLoop network = new NetworkLoop(Transport.best(), SshLoopThreads.named("network"));
        HostLifecycle lifecycle = lifecycle(costs, target -> new SshTunnel(target, clock, network));
        if (lifecycle.disposable()) {
            settle(costs, lifecycle.provider());
        }
        Path socket = dockerSocket(ctx, profile, config);
        ActivityTracker activity = new ActivityTracker(clock);
        var local = config.local();
        MountedFolders mounts = mountedFolders(lifecycle);
        DockerUpstream upstream = new DockerUpstream() {
            @Override
            public RemoteStream open() throws IOException {
                return lifecycle.openDocker();
            }

            @Override
            public RemoteStream openIfReady() {
                return lifecycle.openDockerIfReady();
            }
        };
        BooleanSupplier hostReady = () -> lifecycle.snapshot().state() == HostState.READY;
        NoServerAnswers looks = lookAnswers(lifecycle);
        RequestRewriter binds = mounts == null ? null : new BindMounts(mounts);
        DockerSocketProxy proxy = new DockerSocketProxy(socket, upstream, hostReady, looks, binds, activity,
                new ConnectionLimits(local.maxConnections(), local.acceptsPerSecond(), local.firstByteTimeout()));
        ForwardManager forwards = null;
        ContainerWatcher watcher = null;
        if (config.forward().enabled()) {
            ExecutorService opening = Executors.newCachedThreadPool(Threads.named("forward-open"));
            forwards = new ForwardManager(new SshChannelOpener(lifecycle, opening), config.forward().bind(), config.forward().maxConnections(),
                    network, clock);
            watcher = new ContainerWatcher(lifecycle, forwards, profile.stateDir().resolve("watcher.sock"), RECONCILE_EVERY,
                    config.forward().directToContainer());
        }
        ForwardManager forwardsForStatus = forwards;
        IdleReaper reaper = null;
        WorkMonitor work = null;
        ServerPresence presence = null;
        if (lifecycle.disposable()) {
            IdlePolicy policy = new IdlePolicy(config.idle().timeout(), config.idle().billingAware(), BILLING_MARGIN);
            ContainerWork containers = new ContainerWork(config.idle().workingCpuPercent(), clock, activity::touch);
            DockerStatsSampler sampler = new DockerStatsSampler(lifecycle, profile.stateDir().resolve("work.sock"));
            work = new WorkMonitor(containers, sampler, sampler, () -> lifecycle.snapshot().state() == HostState.READY);
            presence = new ServerPresence(lifecycle, lifecycle.provider(), machineId(), activity::lastActivity, config.idle().timeout(), clock);
            ServerPresence present = presence;
            // the guard goes on a new server at once, not within the next half minute
            lifecycle.addListener(HostLifecycle.Listener.onReady(present::wake));
            reaper = new IdleReaper(lifecycle, activity, () -> forwardsForStatus == null ? List.of() : forwardsForStatus.snapshot(), policy, clock,
                    containers, profile.stateDir().resolve("hold"), present::otherMachines);
        }
        ControlCommands commands = new ControlCommands(profile.name(), "unix://" + socket, lifecycle, forwards, reaper, costs, mounts, clock);
        AtomicReference<BridgeDaemon> self = new AtomicReference<>();
        ControlServer control = new ControlServer(profile.stateDir().resolve("control.sock"), commands.handlers(() -> self.get().close()));
        // with forwarding off there is nothing of it to learn
        AotRecording aot = AotRecording.ofThisJvm(forwards == null ? () -> true : AotRecording.forwardsUsed(forwards::snapshot));
        RequestPathWarmup warmup = local.warmup() ? requestPathWarmup(lifecycle, hostReady, looks, binds, aot) : null;
        if (warmup == null) { // without a warm-up the training can end once the first engine is ready (and the forwards were used)
            lifecycle.addListener(HostLifecycle.Listener.onReady(aot::endOnceForwardsProfiled));
        }
        BridgeDaemon daemon = new BridgeDaemon(new BridgeDaemon.Parts(network, lifecycle, proxy, forwards, watcher, reaper, work, presence, mounts, control,
                warmup, aot), lock);
        self.set(daemon);
        return daemon;
    }

    /**
     * The user's folders in containers ({@code mounts:}); null when turned off. Conflict copies go to
     * {@code $DOCKBRIDGE_HOME/conflicts}, beside every profile's state, where the README says to look.
     */
    private MountedFolders mountedFolders(HostLifecycle lifecycle) {
        var m = config.mounts();
        if (!m.enabled()) {
            return null;
        }
        List<Path> roots = m.roots().stream().map(r -> ctx.expand(r).toAbsolutePath().normalize()).toList();
        MountSettings settings = new MountSettings(true, roots, m.ignore(), profile.home().resolve("conflicts"));
        FolderSync.Server server = new FolderSync.Server() {
            @Override
            public Tunnel tunnel() throws IOException {
                return lifecycle.currentTunnel();
            }

            @Override
            public String id() {
                HostLifecycle.Snapshot s = lifecycle.snapshot();
                return s.state() == HostState.READY && s.host() != null ? s.host().id() + "@" + s.host().ssh().host() : null;
            }
        };
        return new MountedFolders(settings, server, new ContainerBindSources(lifecycle, profile.stateDir().resolve("mounts.sock")), clock);
    }

    /**
     * The request path run through once the first engine is ready, on a private socket that never brings a host up; an
     * ahead-of-time training can end only after it, so that the cache holds the path's profiles.
     */
    private RequestPathWarmup requestPathWarmup(HostLifecycle lifecycle, BooleanSupplier hostReady, NoServerAnswers looks, RequestRewriter binds,
            AotRecording aot) {
        DockerUpstream readyOnly = () -> {
            RemoteStream stream = lifecycle.openDockerIfReady();
            if (stream == null) {
                throw new IOException("no engine is ready");
            }
            return stream;
        };
        RequestPathWarmup warmup = new RequestPathWarmup(profile.stateDir().resolve("warmup.sock"), readyOnly, hostReady, looks, binds,
                WARMUP_EXCHANGES, WARMUP_CLIENTS, aot::endOnceForwardsProfiled);
        lifecycle.addListener(HostLifecycle.Listener.onReady(warmup::start)); // it runs the first time only
        return warmup;
    }

    /**
     * Where looks are answered without a server: none runs, or the one there is being deleted. Not after a failed
     * bring-up: the failure must reach the user, and the next attempt is bounded to one a minute anyway.
     */
    private static final Set<HostState> NO_SERVER = EnumSet.of(HostState.ABSENT, HostState.CLOSED, HostState.QUIESCING,
            HostState.DESTROYING, HostState.DELETE_RETRYING);

    /** Looks while no server runs are answered without one (a poller never brings a deleted server back); null for an existing host. */
    private NoServerAnswers lookAnswers(HostLifecycle lifecycle) {
        // a ready engine's /_ping is answered here from its own answer (taken when it became ready): one round trip less.
        // Not while its session is lost: then the ping waits for the session, as the engine's would, and the CLI sees why.
        BooleanSupplier pingsHere = () -> lifecycle.snapshot().state() == HostState.READY && lifecycle.sessionOpen()
                && lifecycle.engineHeaders() != null;
        if (!lifecycle.disposable()) {
            return new NoServerResponder(() -> false, () -> false, lifecycle::engineHeaders, lifecycle::engineVersion, pingsHere, clock);
        }
        Path savedPing = profile.stateDir().resolve("engine-ping");
        Path savedVersion = profile.stateDir().resolve("engine-version");
        lifecycle.addListener(HostLifecycle.Listener.onReady(() -> {
            keep(savedPing, lifecycle.engineHeaders());
            keep(savedVersion, lifecycle.engineVersion());
        }));
        boolean volume = config.hetzner().volumeSizeGb() > 0;
        return new NoServerResponder(
                () -> NO_SERVER.contains(lifecycle.snapshot().state()),
                () -> !volume && lifecycle.snapshot().state() != HostState.QUIESCING,
                () -> liveOrSaved(lifecycle.engineHeaders(), savedPing),
                () -> liveOrSaved(lifecycle.engineVersion(), savedVersion),
                pingsHere, clock);
    }

    /** What the last engine said, kept across restarts of the daemon (the next server runs the same image). */
    private static void keep(Path file, String text) {
        if (text == null) {
            return;
        }
        try {
            Files.writeString(file, text);
        } catch (IOException e) {
            LoggerFactory.getLogger(DaemonAssembly.class).debug("cannot keep {}: {}", file, e.toString());
        }
    }

    private static String liveOrSaved(String live, Path file) {
        if (live != null) {
            return live;
        }
        try {
            return Files.exists(file) ? Files.readString(file) : null;
        } catch (IOException e) {
            return null;
        }
    }

    private CostBook costBook() {
        return new CostBook(profile.stateDir().resolve("costs.json"), clock);
    }

    /** The host lifecycle alone (for commands that manage the server without serving a socket); it keeps the cost book too. */
    public HostLifecycle lifecycle() {
        return lifecycle(costBook(), target -> new SshTunnel(target, clock));
    }

    private HostLifecycle lifecycle(CostBook costs, Function<SshTarget, Tunnel> tunnels) {
        try {
            profile.ensureStateDir();
        } catch (IOException e) {
            throw new UserException(ExitCodes.FAILURE, "cannot create " + profile.stateDir() + ": " + e.getMessage(), e);
        }
        HostProvider provider = config.provider() == DockBridgeConfig.Provider.SSH ? existingHost() : hetzner();
        HostLifecycle lifecycle = new HostLifecycle(provider, tunnels, config.remote().dockerSocket(), config.hetzner().bootTimeout(),
                clock);
        lifecycle.addListener(new HostLifecycle.Listener() {
            @Override
            public void ready(ProvisionedHost host, Optional<HourlyPrice> price) {
                if (host.created() != null) {
                    price.ifPresent(p -> costs.running(host.id(), host.name(), host.created(), p));
                }
            }

            @Override
            public void deleted(ProvisionedHost host) {
                costs.deleted(host.id());
            }

            @Override
            public void gone(ProvisionedHost host, Optional<Instant> deletedAt) {
                costs.deleted(host.id(), deletedAt.orElseGet(clock::instant));
            }
        });
        return lifecycle;
    }

    /** Servers deleted while no daemon ran (their guard, the Cloud Console) stop counting in the cost book. */
    private void settle(CostBook costs, HostProvider provider) {
        try {
            new CostSettlement(costs, provider, profile.name(), clock).settle();
        } catch (IOException | RuntimeException e) {
            LoggerFactory.getLogger(DaemonAssembly.class).warn("profile {}: cannot check which servers of the cost book still exist "
                    + "(the next start tries again): {}", profile.name(), e.getMessage());
        }
    }

    /**
     * Logs in as OpenSSH would: the agent's keys first ({@code SSH_AUTH_SOCK}), then the identity file. A key with a
     * passphrase is asked for once on a terminal; with an agent it is left to the agent; detached it is refused.
     */
    private HostProvider existingHost() {
        var ssh = config.ssh();
        Path identityFile = identityFile(ctx, ssh.identityFile());
        Path agent = agentSocket(ctx);
        KeyPair identity = null;
        String described = identityFile.toString();
        if (agent != null && ssh.identityFile() == null && !Files.exists(identityFile)) {
            described = "of the ssh-agent at " + agent;
        } else {
            try {
                identity = IdentityFiles.load(identityFile, agent != null ? IdentityFiles.PassphraseSource.NOBODY : ctx.passphrases());
                described = identityFile + (agent != null ? " (and the ssh-agent's keys)" : "");
            } catch (IdentityFiles.PassphraseRequired e) {
                if (agent == null) {
                    throw new UserException(ExitCodes.USAGE, "ssh.identity_file: " + e.getMessage() + " and there is no terminal to ask "
                            + "for it (start --detach, a service): add it to an ssh-agent ('ssh-add " + identityFile + "') and start with "
                            + "SSH_AUTH_SOCK set, or run 'dockbridge start' in a terminal", e);
                }
                described = "of the ssh-agent at " + agent + " (" + identityFile + " has a passphrase: 'ssh-add " + identityFile + "' adds it)";
            } catch (IOException e) {
                throw new UserException(ExitCodes.USAGE, "ssh.identity_file: " + e.getMessage(), e);
            }
        }
        Path knownHosts = ctx.expand(ssh.knownHosts());
        HostKeyTrust trust = new KnownHostsTrust(knownHosts, ssh.hostKeyPolicy() == DockBridgeConfig.HostKeyPolicy.ACCEPT_NEW);
        return new ExistingHostProvider(new SshTarget(ssh.host(), ssh.port(), ssh.user(), identity, described, trust,
                ssh.connectTimeout(), ssh.keepaliveInterval(), ssh.keepaliveMaxMisses(), ssh.reconnectWait(), agent));
    }

    /** {@code SSH_AUTH_SOCK}, when it names a socket that exists. */
    public static Path agentSocket(CliContext ctx) {
        String socket = ctx.env().get("SSH_AUTH_SOCK");
        if (socket == null || socket.isBlank()) {
            return null;
        }
        Path p = Path.of(socket);
        return Files.exists(p) ? p : null;
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
            if (ConfigLoader.sendsTokenInClear(endpoint)) {
                throw new UserException(ExitCodes.USAGE, "HCLOUD_ENDPOINT: " + ConfigLoader.cleartextRefusal(endpoint));
            }
        } else {
            endpoint = config.hetzner().endpoint();
        }
        ProfileKeys clientKey;
        try {
            clientKey = ProfileKeys.loadOrCreate(profile.stateDir().resolve("id_ed25519"), "dockbridge-" + profile.name());
        } catch (IOException e) {
            throw new UserException(ExitCodes.FAILURE, "cannot prepare the keys of profile " + profile.name() + ": " + e.getMessage(), e);
        }
        var h = config.hetzner();
        var ssh = config.ssh();
        return new HetznerHostProvider(new HetznerClient(endpoint, token),
                new HetznerHostProvider.Settings(profile.name(), h.serverTypes(), h.locations(), h.image(), h.firewall(), h.volumeSizeGb(),
                        h.containerMetadata(), ACTION_TIMEOUT, ssh.connectTimeout(), ssh.keepaliveInterval(), ssh.keepaliveMaxMisses(),
                        ssh.reconnectWait()),
                clientKey, serverHostKeys(profile), guard(token, endpoint));
    }

    /**
     * What the server does when no DockBridge session is there. It calls the API from the server, so it needs an
     * endpoint the server can reach: the configured one when it is https, else Hetzner's own (a loopback proxy here is
     * not there). A test bed gives its simulator's address as the servers see it, which may be plain http.
     */
    private ServerGuard guard(String token, String endpoint) {
        var idle = config.idle();
        if (idle.unattendedTimeout().isZero()) {
            return null;
        }
        String fromServer = ctx.env().get(TESTBED_SERVER_ENDPOINT);
        if (fromServer == null || fromServer.isBlank()) {
            fromServer = endpoint.startsWith("https://") ? endpoint : DEFAULT_ENDPOINT;
        }
        return new ServerGuard(fromServer, token, idle.unattendedTimeout(), idle.billingAware(), BILLING_MARGIN, idle.workingCpuPercent());
    }

    /**
     * Names this machine (this {@code DOCKBRIDGE_HOME}) to the servers it uses, so that they can tell machines apart:
     * random, made once, kept in {@code $DOCKBRIDGE_HOME/machine-id}.
     */
    private String machineId() {
        Path file = profile.home().resolve("machine-id");
        try {
            if (Files.exists(file)) {
                String id = Files.readString(file).strip();
                if (id.matches("[a-f0-9]{16}")) {
                    return id;
                }
            }
            byte[] seed = new byte[8];
            new SecureRandom().nextBytes(seed);
            String id = HexFormat.of().formatHex(seed);
            Files.writeString(file, id + "\n");
            return id;
        } catch (IOException e) {
            throw new UserException(ExitCodes.FAILURE, "cannot keep " + file + ": " + e.getMessage(), e);
        }
    }

    /** Each server's own host key; {@code host_ed25519} is the one key of servers made before there were per-server keys. */
    public static ServerHostKeys serverHostKeys(Profile profile) {
        return new ServerHostKeys(profile.stateDir(), profile.stateDir().resolve("host_ed25519"), profile.name());
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

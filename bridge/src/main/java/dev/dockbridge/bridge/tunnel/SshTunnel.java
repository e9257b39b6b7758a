package dev.dockbridge.bridge.tunnel;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;

import org.apache.sshd.client.SshClient;
import org.apache.sshd.client.config.hosts.HostConfigEntryResolver;
import org.apache.sshd.client.channel.AbstractClientChannel;
import org.apache.sshd.client.channel.ChannelExec;
import org.apache.sshd.client.channel.ClientChannelEvent;
import org.apache.sshd.client.future.OpenFuture;
import org.apache.sshd.client.session.ClientSession;
import org.apache.sshd.client.session.ClientUserAuthServiceFactory;
import org.apache.sshd.common.AttributeRepository.AttributeKey;
import org.apache.sshd.common.Property;
import org.apache.sshd.common.cipher.BuiltinCiphers;
import org.apache.sshd.common.channel.exception.SshChannelOpenException;
import org.apache.sshd.common.session.ConnectionService;
import org.apache.sshd.common.session.Session;
import org.apache.sshd.common.session.SessionListener;
import org.apache.sshd.common.kex.KexProposalOption;
import org.apache.sshd.core.CoreModuleProperties;
import org.slf4j.Logger;

import org.slf4j.LoggerFactory;

import dev.dockbridge.bridge.tunnel.io.NettyIoServiceFactoryFactory;
import dev.dockbridge.bridge.tunnel.io.SshLoopThreads;
import dev.dockbridge.portforward.NetworkLoop;
import dev.dockbridge.portforward.Transport;
import dev.dockbridge.portforward.ChannelOpener;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * One persistent SSH session to one host, shared by every stream the daemon opens. The session is made on
 * first use and made again when it was lost; concurrent callers share one connection attempt.
 *
 * <p>Thread-safe. The tunnel owns its SSH client and session; {@link #close()} ends both.
 */
public final class SshTunnel implements Tunnel {
    private static final int COMMAND_OUTPUT_LIMIT = 4096;
    private static final Logger log = LoggerFactory.getLogger(SshTunnel.class);
    private static final AttributeKey<String> HOST_KEY_REFUSAL = new AttributeKey<>();
    private static final Duration FRESH_ATTEMPT_AFTER = Duration.ofSeconds(2);
    /** Channels to a socket kept open ahead of need: a docker command's connections rarely come more than two at once. */
    private static final int SPARES = 2;
    /** Spares go once no connection took one for this long (an IDE's poll every few seconds keeps them). */
    private static final Duration SPARES_IDLE = Duration.ofMinutes(2);

    private final Clock clock;

    private final SshTarget target;
    private final SshClient client;
    private final NetworkLoop ownLoop; // null: the loop was given, and its giver closes it
    private final Object lock = new Object();
    private ClientSession session; // guarded by lock
    private CompletableFuture<ClientSession> connecting; // guarded by lock
    private long connectingSince; // guarded by lock
    private boolean closed; // guarded by lock
    private volatile boolean streamLocalRefused;
    /** When the session was lost without us closing it; null while connected (or never connected). Guarded by lock. */
    private Instant lostAt;
    private int reconnectAttempts; // guarded by lock
    private final ScheduledExecutorService reconnector =
            Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "ssh-reconnect");
                t.setDaemon(true);
                return t;
            });
    /**
     * Timeouts of channel opens, removed when cancelled, so the thread sleeps while none is pending. Not
     * CompletableFuture.orTimeout: JDK 25's shared delay scheduler behind it cost a forward 80 µs of CPU per connection.
     */
    private final List<Listener> listeners = new CopyOnWriteArrayList<>();
    private final Map<String, SpareChannels> spares = new ConcurrentHashMap<>();
    private final AtomicBoolean cipherWarmed = new AtomicBoolean();

    /** A tunnel on its own network thread (commands that manage a server without a daemon, tests). */
    public SshTunnel(SshTarget target, Clock clock) {
        this(target, clock, new NetworkLoop(Transport.best(), SshLoopThreads.named("ssh-io")), true);
    }

    /**
     * A tunnel whose connection runs on {@code loop} (threads from {@link SshLoopThreads}), which the caller closes after
     * the tunnel: the daemon's forwards share it, so their packets go out and in without changing threads.
     */
    public SshTunnel(SshTarget target, Clock clock, NetworkLoop loop) {
        this(target, clock, loop, false);
    }

    private SshTunnel(SshTarget target, Clock clock, NetworkLoop loop, boolean ownsLoop) {
        this.target = target;
        this.clock = clock;
        this.ownLoop = ownsLoop ? loop : null;
        this.client = SshClient.setUpDefaultClient();
        client.setIoServiceFactoryFactory(new NettyIoServiceFactoryFactory(loop));
        client.setServiceFactories(List.of(ClientUserAuthServiceFactory.INSTANCE, new ForwardChannels.Factory()));
        client.setServerKeyVerifier((s, remote, key) -> {
            String refusal = target.hostKeyTrust().refusal(s, remote, key);
            if (refusal != null) {
                s.setAttribute(HOST_KEY_REFUSAL, refusal);
            }
            return refusal == null;
        });
        client.setKeyIdentityProvider(s -> target.identity() == null ? List.of() : List.of(target.identity()));
        if (target.agentSocket() != null) {
            client.setAgentFactory(UnixSocketAgent.factory(target.agentSocket()));
        }
        // DockBridge's config says where and how to log in; ~/.ssh/config is not read (README: "SSH setups")
        client.setHostConfigEntryResolver(HostConfigEntryResolver.EMPTY);
        CoreModuleProperties.HEARTBEAT_INTERVAL.set(client, target.keepaliveInterval());
        CoreModuleProperties.HEARTBEAT_NO_REPLY_MAX.set(client, target.keepaliveMaxMisses());
        // The heartbeat decides when a session is dead; sshd's own idle timeout would cut idle tunnels.
        CoreModuleProperties.IDLE_TIMEOUT.set(client, Duration.ZERO);
        // Docker API calls are small request/response exchanges: Nagle plus delayed ACKs would add 40 ms to each.
        CoreModuleProperties.TCP_NODELAY.set(client, true);
        // read for every channel (its windows, its registration, its close): set here, a lookup ends at the client instead
        // of building "org.apache.sshd.<name>" and asking the system properties, 4 % of a forwarded connection's CPU
        for (Property<?> perChannel : List.of(CoreModuleProperties.WINDOW_SIZE, CoreModuleProperties.MAX_PACKET_SIZE,
                CoreModuleProperties.LIMIT_PACKET_SIZE, CoreModuleProperties.MAX_CONCURRENT_CHANNELS, CoreModuleProperties.CHANNEL_CLOSE_TIMEOUT)) {
            setDefault(perChannel);
        }
        // AES-GCM runs on the JDK's intrinsics (AES-NI, CLMUL); sshd's CTR+HMAC and chacha20 are plain Java and
        // several times slower, which caps port-forward throughput.
        client.setCipherFactories(List.of(BuiltinCiphers.aes128gcm, BuiltinCiphers.aes256gcm,
                BuiltinCiphers.aes128ctr, BuiltinCiphers.aes192ctr, BuiltinCiphers.aes256ctr));
        client.setRandomFactory(SessionRandom.factory());
        // why a session ended, in one line (sshd's own loggers stay at WARN): a peer's disconnect names its reason
        client.addSessionListener(new SessionListener() {
            @Override
            public void sessionDisconnect(Session session, int reason, String message, String language, boolean initiator) {
                log.info("ssh session to {}: {} disconnect, reason {}: {}", target.address(), initiator ? "our" : "the server's", reason, message);
            }

            @Override
            public void sessionException(Session session, Throwable t) {
                log.info("ssh session to {} failed: {}", target.address(), rootMessage(t));
            }
        });
        client.start();
        reconnector.scheduleWithFixedDelay(this::expireSpares, 10, 10, TimeUnit.SECONDS);
    }

    private <T> void setDefault(Property<T> property) {
        property.set(client, property.getRequiredDefault());
    }

    private void expireSpares() {
        try {
            spares.values().forEach(SpareChannels::expire);
        } catch (RuntimeException e) {
            log.warn("ssh session to {}: closing idle spare channels failed: {}", target.address(), e.toString()); // the next round runs
        }
    }

    /** Channels to {@code path} open and waiting for a connection (see {@link SpareChannels}). */
    public int spareChannels(String path) {
        SpareChannels s = spares.get(path);
        return s == null ? 0 : s.available();
    }

    @Override
    public boolean sessionOpen() {
        synchronized (lock) {
            return !closed && lostAt == null && session != null && session.isOpen();
        }
    }

    @Override
    public void addListener(Listener listener) {
        listeners.add(listener);
    }

    /** Whether a session is open right now (does not connect). */
    public boolean isConnected() {
        synchronized (lock) {
            return session != null && session.isOpen();
        }
    }

    @Override
    public void connect() throws TunnelException {
        session();
    }

    /**
     * Returns the open session, connecting first if there is none. While a lost session is being redialled,
     * callers share one wait of {@code reconnectWait} counted from the loss: once it has run out, they fail at
     * once with the same message until the session is back (an outage costs one wait, not one per connection).
     */
    public ClientSession session() throws TunnelException {
        while (true) {
            try {
                return sessionOnce();
            } catch (TunnelException e) {
                Instant lost;
                synchronized (lock) {
                    if (closed) {
                        throw e;
                    }
                    lost = lostAt;
                }
                if (e.permanent() || lost == null) {
                    throw e;
                }
                long left = Duration.between(clock.instant(), lost.plus(target.reconnectWait())).toMillis();
                if (left <= 0) {
                    throw new TunnelException(e.kind(), "the SSH session to " + target.address()
                            + " was lost " + Duration.between(lost, clock.instant()).toSeconds()
                            + " s ago and is not back yet (waited " + target.reconnectWait().toSeconds() + " s; DockBridge keeps trying): "
                            + e.getMessage(), e);
                }
                // a lost session: wait for it to come back, up to the outage's bound, trying again every second
                try {
                    Thread.sleep(Math.min(left + 1, 1000));
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    throw e;
                }
            }
        }
    }

    private ClientSession sessionOnce() throws TunnelException {
        CompletableFuture<ClientSession> attempt;
        boolean mine = false;
        synchronized (lock) {
            if (closed) {
                throw new TunnelException(TunnelException.Kind.UNREACHABLE, "DockBridge is shutting down", null);
            }
            if (session != null && session.isOpen()) {
                return session;
            }
            // An attempt that has been dialling for a while may be stuck in SYN backoff from a network that was
            // down; a fresh one gets through at once when the network is back (the first to finish wins).
            if (connecting == null || System.nanoTime() - connectingSince > FRESH_ATTEMPT_AFTER.toNanos()) {
                connecting = new CompletableFuture<>();
                connectingSince = System.nanoTime();
                mine = true;
            }
            attempt = connecting;
        }
        if (mine) {
            connectInto(attempt);
        }
        try {
            return attempt.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new TunnelException(TunnelException.Kind.UNREACHABLE, "interrupted while connecting to " + target.address(), e);
        } catch (ExecutionException e) {
            throw (TunnelException) e.getCause();
        }
    }

    private void connectInto(CompletableFuture<ClientSession> attempt) {
        try {
            ClientSession connected = dial();
            Instant wasLost;
            int attempts;
            ClientSession winner = connected;
            synchronized (lock) {
                if (connecting == attempt) {
                    connecting = null;
                }
                wasLost = lostAt;
                attempts = reconnectAttempts;
                if (closed) {
                    connected.close(true);
                } else if (session != null && session.isOpen()) {
                    winner = session; // a parallel attempt got there first
                    wasLost = null;
                } else {
                    session = connected;
                    lostAt = null;
                    reconnectAttempts = 0;
                }
            }
            if (winner != connected) {
                connected.close(true);
            }
            attempt.complete(winner);
            if (wasLost != null) {
                log.info("ssh session to {} is back after {} s ({} background attempts)", target.address(),
                        Duration.between(wasLost, clock.instant()).toSeconds(), attempts);
            }
        } catch (TunnelException e) {
            synchronized (lock) {
                if (connecting == attempt) {
                    connecting = null;
                }
            }
            attempt.completeExceptionally(e);
        } catch (RuntimeException e) {
            synchronized (lock) {
                if (connecting == attempt) {
                    connecting = null;
                }
            }
            attempt.completeExceptionally(new TunnelException(TunnelException.Kind.UNREACHABLE,
                    "cannot connect to " + target.address() + ": " + e, e));
        }
    }

    private ClientSession dial() throws TunnelException {
        long started = System.nanoTime();
        Duration timeout = target.connectTimeout();
        ClientSession s;
        try {
            s = client.connect(target.user(), target.host(), target.port()).verify(timeout).getClientSession();
        } catch (IOException e) {
            throw new TunnelException(TunnelException.Kind.UNREACHABLE,
                    "cannot reach SSH host " + target.host() + ":" + target.port() + " (" + rootMessage(e) + ")", e);
        }
        try {
            s.auth().verify(timeout);
        } catch (IOException e) {
            String refusal = s.getAttribute(HOST_KEY_REFUSAL);
            boolean serverSpoke = s.getServerVersion() != null;
            s.close(true);
            if (refusal != null) {
                throw new TunnelException(TunnelException.Kind.HOST_KEY_REJECTED, refusal, e);
            }
            String why = rootMessage(e);
            if (why.toLowerCase(Locale.ROOT).contains("authentication")) {
                throw new TunnelException(TunnelException.Kind.AUTH_FAILED, "SSH host " + target.address()
                        + " refused the key " + target.identityDescription() + ": add its public key to ~" + target.user()
                        + "/.ssh/authorized_keys on the host", e);
            }
            // a TCP connect can succeed without an SSH server behind it (middleboxes): still unreachable
            throw new TunnelException(TunnelException.Kind.UNREACHABLE, serverSpoke
                    ? "SSH login to " + target.address() + " failed (" + why + ")"
                    : "cannot reach SSH host " + target.host() + ":" + target.port() + " (no SSH answer: " + why + ")", e);
        }
        log.info("ssh session open to {} in {} ms (host key {})", target.address(),
                (System.nanoTime() - started) / 1_000_000, KnownHostsTrust.describe(s.getServerKey()));
        s.addCloseFutureListener(f -> onSessionClosed(s));
        if (cipherWarmed.compareAndSet(false, true)) {
            CipherWarmup.start(s.getNegotiatedKexParameter(KexProposalOption.C2SENC)); // what we send: uploads
        }
        holdInteractive(s);
        return s;
    }

    /**
     * OpenSSH's sshd leaves Nagle's algorithm on for a connection until a command runs on it, so a small packet right
     * after another (a channel's EOF after the last bytes of an answer) waits for this side's delayed ACK: 40 ms more
     * for every stream that ends (an attach when its container exits, a reply read to its end). sshd's first command
     * turns TCP_NODELAY on for the whole connection, and with a terminal also marks its packets interactive (IP QoS),
     * so one idle {@code sleep} with a pty starts right after login and is kept for the session's life; sshd hangs it
     * up with the session. The price is CPU on both sides: each packet in its own TCP segment (docs/benchmarks.md,
     * forwards with and without a command on OpenSSH's session). Where the server refuses a pty nothing changes.
     */
    private void holdInteractive(ClientSession s) {
        try {
            ChannelExec hold = CommandChannel.open(s, "exec sleep 2147483647");
            hold.setUsePty(true);
            hold.setOut(OutputStream.nullOutputStream());
            hold.setErr(OutputStream.nullOutputStream());
            hold.open().addListener(f -> {
                if (!f.isOpened()) {
                    log.debug("no interactive hold on {}: {}", target.address(), f.getException() == null ? "refused" : f.getException().toString());
                }
            });
        } catch (IOException | RuntimeException e) {
            log.debug("no interactive hold on {}: {}", target.address(), e.toString());
        }
    }

    private void onSessionClosed(ClientSession s) {
        synchronized (lock) {
            if (session != s || closed) {
                return;
            }
            session = null;
            lostAt = clock.instant();
            reconnectAttempts = 0;
        }
        log.warn("ssh session to {} lost; reconnecting in the background (backoff {} s up to {} s); new docker connections wait up to {} s",
                target.address(), RECONNECT_FIRST.toSeconds(), RECONNECT_CAP.toSeconds(), target.reconnectWait().toSeconds());
        listeners.forEach(l -> l.lost(target.address()));
        scheduleReconnect();
    }

    /** Jittered exponential backoff: 1, 2, 4 ... 30 s, each +-20 %, so many clients of one server do not retry in step. */
    static long backoffMillis(int attempt, double random) {
        long base = Math.min(RECONNECT_CAP.toMillis(), RECONNECT_FIRST.toMillis() << Math.min(attempt, 16));
        return Math.round(base * (0.8 + 0.4 * random));
    }

    private static final Duration RECONNECT_FIRST = Duration.ofSeconds(1);
    private static final Duration RECONNECT_CAP = Duration.ofSeconds(30);

    private void scheduleReconnect() {
        int attempt;
        synchronized (lock) {
            if (closed || lostAt == null) {
                return;
            }
            attempt = reconnectAttempts;
        }
        long delay = backoffMillis(attempt, ThreadLocalRandom.current().nextDouble());
        try {
            reconnector.schedule(this::reconnectInBackground, delay, TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException e) {
            // closing
        }
    }

    private void reconnectInBackground() {
        Instant since;
        synchronized (lock) {
            if (closed || lostAt == null) {
                return; // closed, or a docker connection already brought it back
            }
            since = lostAt;
            reconnectAttempts++;
        }
        try {
            sessionOnce();
        } catch (TunnelException e) {
            log.info("ssh session to {}: reconnect attempt failed ({}); lost {} s ago", target.address(), e.getMessage(),
                    Duration.between(since, clock.instant()).toSeconds());
            listeners.forEach(l -> l.reconnectFailed(target.address(), since, e));
            if (!e.permanent()) {
                scheduleReconnect();
            }
        } catch (RuntimeException e) {
            log.warn("ssh session to {}: reconnect attempt failed unexpectedly: {}", target.address(), e.toString());
            scheduleReconnect(); // the loop must survive a failed iteration
        }
    }

    /**
     * Opens a stream to a unix socket on the host: an OpenSSH stream-local channel, or, if the server
     * refuses those, {@code docker system dial-stdio} (meant for the Docker socket only).
     */
    @Override
    public RemoteStream openUnixSocket(String path) throws TunnelException {
        ClientSession s = session();
        if (!streamLocalRefused) {
            StreamLocalChannel spare = spares.computeIfAbsent(path, p -> new SpareChannels(p, SPARES, SPARES_IDLE, clock)).take(s);
            if (spare != null) {
                return new ChannelRemoteStream(spare);
            }
            StreamLocalChannel channel = new StreamLocalChannel(path);
            try {
                open(s, channel);
                return new ChannelRemoteStream(channel);
            } catch (IOException e) {
                if (!openRefused(e)) {
                    throw channelFailure(path, e);
                }
                // OpenSSH answers "connect failed" both when the socket is missing and when forwarding is
                // forbidden (AllowStreamLocalForwarding no); only looking at the host tells them apart.
                if (!socketExists(s, path)) {
                    throw new TunnelException(TunnelException.Kind.CHANNEL_REFUSED, "there is no socket " + path + " on "
                            + target.host() + ": is Docker running there, and is remote.docker_socket right?", e);
                }
                streamLocalRefused = true;
                log.warn("{} refuses stream-local forwarding ({}); using 'docker system dial-stdio', which sshd's MaxSessions limits",
                        target.host(), rootMessage(e));
            }
        }
        DialStdioChannel channel = new DialStdioChannel(path);
        try {
            open(s, channel);
        } catch (IOException e) {
            throw channelFailure(path, e);
        }
        return new ChannelRemoteStream(channel);
    }

    /**
     * Opens a {@code direct-tcpip} channel to {@code host:port} as seen from the server (a published port) without
     * blocking when a session is open: the server's answer completes the future (or the connect timeout fails it). Only a
     * missing session (reconnecting) is waited for, on {@code blockingWork}.
     */
    @Override
    public CompletableFuture<ChannelOpener.RemoteEnd> openTcpAsync(String host, int port, ChannelOpener.RemoteSink sink,
            Executor blockingWork) {
        ClientSession s;
        synchronized (lock) {
            s = session != null && session.isOpen() ? session : null;
        }
        if (s == null) {
            return CompletableFuture.supplyAsync(() -> {
                try {
                    return session();
                } catch (TunnelException e) {
                    throw new CompletionException(e);
                }
            }, blockingWork).thenCompose(ready -> openTcpOn(ready, host, port, sink));
        }
        return openTcpOn(s, host, port, sink);
    }

    private CompletableFuture<ChannelOpener.RemoteEnd> openTcpOn(ClientSession s, String host, int port, ChannelOpener.RemoteSink sink) {
        ForwardChannels forwards = s.getService(ForwardChannels.class);
        if (forwards == null) {
            return CompletableFuture.failedFuture(new TunnelException(TunnelException.Kind.UNREACHABLE,
                    "the SSH session to " + target.host() + " has no connection service", null));
        }
        return forwards.openTcp(host, port, target.host(), sink, target.connectTimeout());
    }

    /** Channel-open timeouts not yet cancelled or fired. */
    int pendingOpenTimeouts() {
        ForwardChannels forwards = currentForwards();
        return forwards == null ? 0 : forwards.pendingOpenTimeouts();
    }

    /** The current session's {@code direct-tcpip} channels not yet forgotten (both sides closed). */
    int tcpChannels() {
        ForwardChannels forwards = currentForwards();
        return forwards == null ? 0 : forwards.tcpChannels();
    }

    /** Packet arrays the current session keeps for reuse (its forwards' bulk data packets, once written). */
    int keptPacketArrays() {
        ForwardChannels forwards = currentForwards();
        return forwards == null ? 0 : forwards.keptPacketArrays();
    }

    private ForwardChannels currentForwards() {
        ClientSession s;
        synchronized (lock) {
            s = session;
        }
        return s == null ? null : s.getService(ForwardChannels.class);
    }

    /** sshd-core wraps the server's open failure; it is the only failure that says the server said no. */
    private static boolean openRefused(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof SshChannelOpenException) {
                return true;
            }
        }
        return false;
    }

    /**
     * Runs a shell command on the host and waits for it, at most {@code timeout}.
     *
     * @return its exit status (none if it did not finish in time) and the end of its output
     * @throws IOException also when it ended without an exit status (a signal, or its channel or session closed)
     */
    @Override
    public CommandResult run(String command, byte[] stdin, Duration timeout) throws IOException {
        try (ChannelExec exec = CommandChannel.open(session(), command)) {
            ByteArrayOutputStream output = new ByteArrayOutputStream();
            OutputStream bounded = new BoundedOutput(output, COMMAND_OUTPUT_LIMIT);
            exec.setOut(bounded);
            exec.setErr(bounded);
            awaitOpen(exec);
            // The input is written here, not by sshd-core's pump thread, and its end goes through CommandChannel's
            // ChannelWriteGate: a packet after the channel's close (a command that exits without reading) makes OpenSSH end the
            // whole session ("ieof packet referred to nonexistent channel"), with every docker connection on it.
            try (OutputStream in = exec.getInvertedIn()) {
                if (stdin != null && stdin.length > 0) {
                    in.write(stdin);
                }
            } catch (IOException e) {
                // the command ended before reading all of it: its exit status tells what happened
            }
            Set<ClientChannelEvent> events = exec.waitFor(EnumSet.of(ClientChannelEvent.CLOSED), timeout);
            Integer status = events.contains(ClientChannelEvent.EXIT_STATUS) || events.contains(ClientChannelEvent.CLOSED) ? exec.getExitStatus() : null;
            if (status == null && events.contains(ClientChannelEvent.CLOSED)) {
                // not "did not finish in time": the caller must not take a lost session or a killed command for a hang
                String signal = exec.getExitSignal();
                throw new IOException("a command on " + target.host() + " ended without an exit status ("
                        + (signal != null ? "killed by signal " + signal : "its channel closed under it, the SSH session with it or the server") + ")");
            }
            synchronized (output) {
                return new CommandResult(status, output.toString(StandardCharsets.UTF_8));
            }
        }
    }

    @Override
    public RemoteProcess start(String command) throws IOException {
        ChannelExec exec = CommandChannel.open(session(), command);
        ByteArrayOutputStream errors = new ByteArrayOutputStream();
        exec.setErr(new BoundedOutput(errors, COMMAND_OUTPUT_LIMIT));
        try {
            awaitOpen(exec);
        } catch (IOException | RuntimeException e) {
            String message = "cannot start a command on " + target.host() + " (" + rootMessage(e) + ")";
            // refused: the server said no (OpenSSH's MaxSessions while a slot is still held), unlike a lost session
            throw openRefused(e) ? new TunnelException(TunnelException.Kind.CHANNEL_REFUSED, message, e) : new IOException(message, e);
        }
        return new RemoteProcess() {
            @Override
            public OutputStream stdin() {
                return exec.getInvertedIn();
            }

            @Override
            public InputStream stdout() {
                return exec.getInvertedOut();
            }

            @Override
            public Optional<Integer> waitFor(Duration timeout) {
                Set<ClientChannelEvent> events = exec.waitFor(EnumSet.of(ClientChannelEvent.CLOSED, ClientChannelEvent.EXIT_STATUS), timeout);
                return events.contains(ClientChannelEvent.EXIT_STATUS) ? Optional.ofNullable(exec.getExitStatus()) : Optional.empty();
            }

            @Override
            public String stderr() {
                synchronized (errors) {
                    return errors.toString(StandardCharsets.UTF_8);
                }
            }

            @Override
            public void close() {
                exec.close(false);
            }
        };
    }

    /** Keeps the first {@code limit} bytes a command writes; its two streams write from SSHD's threads. */
    private static final class BoundedOutput extends OutputStream {
        private final ByteArrayOutputStream sink;
        private final int limit;

        BoundedOutput(ByteArrayOutputStream sink, int limit) {
            this.sink = sink;
            this.limit = limit;
        }

        @Override
        public void write(int b) {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) {
            synchronized (sink) {
                sink.write(b, off, Math.max(0, Math.min(len, limit - sink.size())));
            }
        }
    }

    private boolean socketExists(ClientSession s, String path) throws TunnelException {
        String command = "test -S '" + path.replace("'", "") + "' && echo socket";
        try (ChannelExec probe = CommandChannel.open(s, command)) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            probe.setOut(out);
            probe.setErr(OutputStream.nullOutputStream());
            awaitOpen(probe);
            probe.waitFor(EnumSet.of(ClientChannelEvent.CLOSED), target.connectTimeout());
            return out.toString(StandardCharsets.UTF_8).strip().equals("socket");
        } catch (IOException e) {
            throw channelFailure(path, e);
        }
    }

    private TunnelException channelFailure(String path, IOException e) {
        return new TunnelException(TunnelException.Kind.UNREACHABLE,
                "cannot open a channel to " + path + " on " + target.host() + " (" + rootMessage(e) + ")", e);
    }

    private void open(ClientSession s, AbstractClientChannel channel) throws IOException {
        try {
            s.getService(ConnectionService.class).registerChannel(channel);
        } catch (IOException | RuntimeException e) {
            channel.close(true);
            throw e;
        }
        awaitOpen(channel);
    }

    /**
     * Waits for the server to confirm a registered channel, at most the connect timeout; on failure the channel
     * is closed. Until the server answers, the channel has no number there to close: one given up on (a timeout,
     * an interrupted caller) and dropped here at once stays open on the server until the connection ends, and a
     * session channel holds one of the ten slots sshd's MaxSessions allows. So a late answer is closed properly.
     */
    private void awaitOpen(AbstractClientChannel channel) throws IOException {
        OpenFuture opening;
        try {
            opening = channel.open();
        } catch (IOException | RuntimeException e) {
            channel.close(true);
            throw e;
        }
        boolean answered = opening.awaitUninterruptibly(target.connectTimeout().toMillis());
        if (opening.isOpened()) {
            return;
        }
        if (!answered) {
            opening.addListener(late -> channel.close(!late.isOpened()));
            throw new IOException("no answer to a channel open within " + target.connectTimeout().toSeconds() + " s");
        }
        channel.close(true);
        Throwable cause = opening.getException();
        throw new IOException(cause == null ? "channel open failed" : rootMessage(cause), cause);
    }

    static String rootMessage(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        String message = t.getMessage();
        return message == null || message.isBlank() ? t.getClass().getSimpleName() : message;
    }

    @Override
    public void close() {
        ClientSession s;
        synchronized (lock) {
            if (closed) {
                return;
            }
            closed = true;
            s = session;
            session = null;
        }
        reconnector.shutdownNow();
        spares.values().forEach(SpareChannels::close);
        if (s != null) {
            s.close(true);
        }
        client.stop();
        if (ownLoop != null) {
            ownLoop.close();
        }
    }
}

package dev.dockbridge.bridge.host;

import static dev.dockbridge.bridge.host.HostLifecycle.Event.BRING_UP_FAILED;
import static dev.dockbridge.bridge.host.HostLifecycle.Event.CLOSE;
import static dev.dockbridge.bridge.host.HostLifecycle.Event.DELETE;
import static dev.dockbridge.bridge.host.HostLifecycle.Event.DELETED;
import static dev.dockbridge.bridge.host.HostLifecycle.Event.DELETE_FAILED;
import static dev.dockbridge.bridge.host.HostLifecycle.Event.HOST_GONE;
import static dev.dockbridge.bridge.host.HostLifecycle.Event.IDLE_DELETE;
import static dev.dockbridge.bridge.host.HostLifecycle.Event.PROGRESS;
import static dev.dockbridge.bridge.host.HostLifecycle.Event.QUIESCED;
import static dev.dockbridge.bridge.host.HostLifecycle.Event.RESUMED;
import static dev.dockbridge.bridge.host.HostLifecycle.Event.RETRY_DELETE;
import static dev.dockbridge.bridge.host.HostLifecycle.Event.UP;
import static dev.dockbridge.bridge.host.HostLifecycle.Event.WANT;

import java.io.Closeable;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.function.Function;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.dockbridge.bridge.concurrent.Threads;
import dev.dockbridge.bridge.host.HostMessages.BringUpFailed;
import dev.dockbridge.bridge.host.HostMessages.Close;
import dev.dockbridge.bridge.host.HostMessages.Delete;
import dev.dockbridge.bridge.host.HostMessages.DeleteFailed;
import dev.dockbridge.bridge.host.HostMessages.Deleted;
import dev.dockbridge.bridge.host.HostMessages.HostGone;
import dev.dockbridge.bridge.host.HostMessages.IdleDelete;
import dev.dockbridge.bridge.host.HostMessages.Msg;
import dev.dockbridge.bridge.host.HostMessages.Progress;
import dev.dockbridge.bridge.host.HostMessages.Quiesced;
import dev.dockbridge.bridge.host.HostMessages.Resumed;
import dev.dockbridge.bridge.host.HostMessages.RetryDelete;
import dev.dockbridge.bridge.host.HostMessages.Up;
import dev.dockbridge.bridge.host.HostMessages.Want;
import dev.dockbridge.bridge.tunnel.RemoteStream;
import dev.dockbridge.bridge.tunnel.CommandResult;
import dev.dockbridge.bridge.tunnel.SshTarget;
import dev.dockbridge.bridge.tunnel.Tunnel;
import dev.dockbridge.bridge.tunnel.TunnelException;
import java.util.concurrent.CompletionException;

/**
 * The one owner of a profile's host and its tunnel, as an explicit state machine. Every transition runs on
 * one thread ({@code host-lifecycle}); what takes time (provider calls, SSH waits, the quiesce before a
 * deletion) runs on worker threads and comes back as a message. {@link #LEGAL} says which message is legal in
 * which state: anything else is a bug, logged and refused, never a silent overwrite. Each operation carries
 * the epoch it was started in, so the result of one that was overtaken (closed, replaced) is recognised as
 * stale and its resources closed.
 *
 * <p>The tunnel of a ready host is handed out without a message (a volatile read), and withdrawn before the
 * idle re-check runs, so a connection either counted as use before the re-check or waits in the machine.
 */
public final class HostLifecycle implements Closeable {
    private static final Logger log = LoggerFactory.getLogger(HostLifecycle.class);
    /**
     * Stopping Docker and unmounting its volume: the containers' own stop timeouts (bounded by the command at 5 min)
     * and the unmount. A host that hangs past this must not stop the deletion.
     */
    private static final Duration QUIESCE_TIMEOUT = Duration.ofMinutes(6);
    private static final Duration READY_COMMAND_TIMEOUT = Duration.ofSeconds(30);
    /**
     * One docker command opens several connections within milliseconds; they all get the failure of one
     * bring-up instead of each starting another. The next command, later, tries again.
     */
    static final Duration FAILURE_SHARED_FOR = Duration.ofSeconds(3);
    /**
     * A failed create may have been billed an hour (Hetzner bills from the create call): a poller or a script in
     * a loop against a sold-out server type must not buy one every few seconds. At most one failed create per
     * this interval; meanwhile commands hear the last error and when the next attempt is.
     */
    static final Duration FAILED_CREATE_HOLD = Duration.ofMinutes(1);
    private static final Duration EXISTENCE_CHECK_EVERY = Duration.ofSeconds(10);
    /** Closing waits this long for a deletion or a cancelled bring-up's cleanup: a half-made server has no owner. */
    private static final Duration CLOSE_WAIT = Duration.ofSeconds(90);
    private static final Duration DELETE_RETRY_FIRST = Duration.ofSeconds(1);
    private static final Duration DELETE_RETRY_CAP = Duration.ofSeconds(15);

    /** What can happen to the lifecycle: each message is one of these. */
    enum Event { WANT, PROGRESS, UP, BRING_UP_FAILED, IDLE_DELETE, DELETE, QUIESCED, RESUMED, DELETED, DELETE_FAILED, RETRY_DELETE, HOST_GONE, CLOSE }

    /** The transition table: which events each state accepts. */
    static final Map<HostState, Set<Event>> LEGAL = legalEvents();

    private static Map<HostState, Set<Event>> legalEvents() {
        Map<HostState, Set<Event>> t = new EnumMap<>(HostState.class);
        t.put(HostState.ABSENT, EnumSet.of(WANT, DELETE, CLOSE));
        t.put(HostState.PROVISIONING, EnumSet.of(WANT, PROGRESS, UP, BRING_UP_FAILED, DELETE, CLOSE));
        t.put(HostState.BOOTING, EnumSet.of(WANT, PROGRESS, UP, BRING_UP_FAILED, DELETE, CLOSE));
        t.put(HostState.READY, EnumSet.of(WANT, IDLE_DELETE, DELETE, HOST_GONE, CLOSE));
        t.put(HostState.QUIESCING, EnumSet.of(WANT, QUIESCED, DELETE, HOST_GONE, CLOSE));
        t.put(HostState.RESUMING, EnumSet.of(WANT, RESUMED, DELETE, HOST_GONE, CLOSE));
        t.put(HostState.DESTROYING, EnumSet.of(WANT, PROGRESS, DELETED, DELETE_FAILED, DELETE, CLOSE));
        t.put(HostState.DELETE_RETRYING, EnumSet.of(WANT, RETRY_DELETE, DELETE, CLOSE));
        t.put(HostState.FAILED, EnumSet.of(WANT, DELETE, CLOSE));
        t.put(HostState.CLOSED, EnumSet.of(CLOSE));
        return t;
    }

    /** Told when a host becomes ready and when DockBridge deletes one (e.g. to keep the cost book). On the machine's thread. */
    public interface Listener {
        void ready(ProvisionedHost host, Optional<HourlyPrice> price);

        void deleted(ProvisionedHost host);

        /** The host turned out to be gone, deleted outside this daemon: by its own guard at {@code deletedAt}, if it said. */
        default void gone(ProvisionedHost host, Optional<Instant> deletedAt) {
            deleted(host);
        }

        /** Every change of state, in order (for tests and debugging). */
        default void transition(HostState from, HostState to) {
        }

        /** A listener that runs {@code work} each time a host is ready, and does nothing else. */
        static Listener onReady(Runnable work) {
            return new Listener() {
                @Override
                public void ready(ProvisionedHost host, Optional<HourlyPrice> price) {
                    work.run();
                }

                @Override
                public void deleted(ProvisionedHost host) {
                }
            };
        }
    }

    /**
     * What status shows.
     *
     * @param host           the host in hand (being booted, ready, being deleted), or null
     * @param reason         why the last bring-up or deletion attempt failed
     * @param step           what the current operation is doing, for status
     * @param stepSince      when that step began
     * @param deleteAttempts failed DELETE attempts of the deletion under way
     * @param others         further servers of the profile that DockBridge does not use
     * @param epoch          identifies the current state's occupancy (for {@link #requestIdleDeletion})
     */
    public record Snapshot(HostState state, ProvisionedHost host, String reason, Instant since, String step, Instant stepSince, int deleteAttempts,
                           List<ProvisionedHost> others, long epoch) {
    }

    private final HostProvider provider;
    private final Function<SshTarget, Tunnel> tunnels;
    private final String remoteSocket;
    private final Duration bootTimeout;
    private final Clock clock;
    private final ScheduledExecutorService machine = Executors.newSingleThreadScheduledExecutor(Threads.named("host-lifecycle"));
    private final ExecutorService work = Executors.newCachedThreadPool(Threads.named("host-work"));
    private final ExecutorService checker = Executors.newSingleThreadExecutor(Threads.named("host-check"));
    private final List<Listener> listeners = new CopyOnWriteArrayList<>();
    private final DockerReadiness readiness;
    private final ShellCheck shellCheck;

    // Confined to the machine's thread.
    private HostState state = HostState.ABSENT;
    private ProvisionedHost host;
    private List<ProvisionedHost> others = List.of();
    private Tunnel tunnel;
    private String reason;
    private String step;
    private Instant since;
    private Instant stepSince;
    private long epoch;
    private int deleteAttempts;
    private Future<?> operation;
    private ScheduledFuture<?> retry;
    private List<ProvisionedHost> doomed = List.of(); // what the deletion under way deletes
    private final List<CompletableFuture<Tunnel>> waiters = new ArrayList<>();
    private final List<CompletableFuture<Optional<ProvisionedHost>>> deletions = new ArrayList<>();
    private CompletableFuture<Boolean> idleDeletion; // completes true once deleted, false when called off
    private boolean callOff; // a docker command arrived while an idle deletion quiesced the host
    private boolean refused; // the host resumes because its deletion was refused, not called off
    private boolean deleteWhenSettled; // an explicit delete arrived during a bring-up or a resume
    private CompletableFuture<Void> closing;
    private Instant nextCreateAllowed; // after a failed create

    // Published by the machine after every message.
    private volatile Snapshot view;
    private volatile Tunnel ready;

    // The existence check after a lost session (its own small lock: it never blocks the machine).
    private final Object checkLock = new Object();
    private CompletableFuture<Boolean> existenceCheck; // guarded by checkLock
    private Instant lastExistenceCheck; // guarded by checkLock

    public HostLifecycle(HostProvider provider, Function<SshTarget, Tunnel> tunnels, String remoteSocket, Duration bootTimeout, Clock clock) {
        this.provider = provider;
        this.tunnels = tunnels;
        this.remoteSocket = remoteSocket;
        this.bootTimeout = bootTimeout;
        this.clock = clock;
        this.readiness = new DockerReadiness(remoteSocket, clock);
        this.shellCheck = new ShellCheck(clock);
        this.since = clock.instant();
        publish();
    }

    public void addListener(Listener listener) {
        listeners.add(listener);
    }

    public Snapshot snapshot() {
        return view;
    }

    /** For logs and status, e.g. "hetzner cx23 in fsn1". */
    public String describe() {
        return provider.describe();
    }

    /** Whether this profile's hosts are DockBridge's to delete. */
    public boolean disposable() {
        return provider.disposable();
    }

    /** The price of the host in hand, from the provider's cache (one lookup per daemon). */
    public Optional<HourlyPrice> price(ProvisionedHost h) {
        try {
            return provider.price(h);
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    public Optional<DataVolume> dataVolume() {
        return provider.dataVolume();
    }

    /** One read-only call that proves the credentials (for {@code doctor}). */
    public Optional<String> checkAccess() throws IOException {
        return provider.checkAccess();
    }

    /** Every server the profile owns at the provider now: a query, it changes nothing. */
    public List<ProvisionedHost> findExisting() throws IOException {
        return provider.findExisting();
    }

    public String remoteSocket() {
        return remoteSocket;
    }

    /** The last ready engine's own {@code /_ping} headers, for answers while no server runs; null if none was seen. */
    public String engineHeaders() {
        return readiness.engineHeaders();
    }

    /** The last ready engine's {@code GET /version} answer (JSON), for answers while no server runs; null if none was seen. */
    public String engineVersion() {
        return readiness.engineVersion();
    }

    /** Deletes the profile's data volume; the provider refuses while a server of the profile exists. */
    public Optional<DataVolume> purgeDataVolume() throws IOException {
        return provider.purgeDataVolume();
    }

    /**
     * Logs in to a host with its pinned key and pings its Docker on a tunnel of its own, then closes it: for
     * {@code doctor}, which must not take over (or power on) anything.
     */
    public void probe(ProvisionedHost h) throws IOException {
        Tunnel t = tunnels.apply(h.ssh());
        try {
            readiness.await(t, Duration.ZERO, clock.millis());
        } finally {
            t.close();
        }
    }

    /**
     * Runs a command on the host if one is ready now, on its session; never brings one up (background work such as
     * the presence heartbeat must not create servers). Empty when no host is ready.
     */
    public Optional<CommandResult> runOnReadyHost(String command, byte[] stdin, Duration timeout) throws IOException {
        Tunnel t = ready;
        return t == null ? Optional.empty() : Optional.of(t.run(command, stdin, timeout));
    }

    /** Whether a host is ready and its session open now (not lost and reconnecting). */
    public boolean sessionOpen() {
        Tunnel t = ready;
        return t != null && t.sessionOpen();
    }

    /** The provider's hooks for background work on a ready host (the presence heartbeat, the server's guard). */
    public HostProvider provider() {
        return provider;
    }

    // ---- requests

    /** The tunnel of the ready host, bringing one up (adopting or creating) if needed. Blocks until then. */
    public Tunnel ensureReady() throws IOException {
        Tunnel t = ready;
        if (t != null) {
            return t;
        }
        CompletableFuture<Tunnel> waiter = new CompletableFuture<>();
        post(new Want(waiter));
        return await(waiter);
    }

    /**
     * At daemon start: brings up the host the profile already owns, if any, without creating one. A running
     * host is waited for (a refused host key fails the start); one that is still starting, off or being moved
     * is brought up in the background while the daemon serves (status shows it).
     *
     * @return whether there was one
     * @throws IOException from the provider's lookup (a refused token) or from connecting to a running host
     */
    public boolean adopt() throws IOException {
        List<ProvisionedHost> found = provider.findExisting();
        if (found.isEmpty()) {
            return false;
        }
        CompletableFuture<Tunnel> waiter = new CompletableFuture<>();
        post(new Want(waiter));
        if (found.get(0).booting()) {
            waiter.whenComplete((t, e) -> {
                if (e != null) {
                    log.warn("adopting {} failed: {}", found.get(0).name(), unwrap(e).getMessage());
                }
            });
            return true;
        }
        await(waiter);
        return true;
    }

    /**
     * The tunnel of the ready host, without bringing one up: for the daemon's own traffic (the container
     * watcher, port forwards), which must never create a server or count as use.
     *
     * @throws HostUnavailableException if no host is ready
     */
    public Tunnel currentTunnel() throws HostUnavailableException {
        Tunnel t = ready;
        if (t == null) {
            throw new HostUnavailableException("no host is ready (" + view.state().label() + ")", null);
        }
        return t;
    }

    /**
     * Opens a stream to the remote Docker socket of the host that is ready now; null if none is, or the channel did
     * not open (the caller's {@link #openDocker()} then finds out why, and recovers what can be). Never brings a host
     * up nor calls a deletion off: for a client that may only look.
     */
    public RemoteStream openDockerIfReady() {
        Tunnel t = ready;
        if (t == null) {
            return null;
        }
        try {
            return t.openUnixSocket(remoteSocket);
        } catch (TunnelException e) {
            log.debug("docker channel opened ahead failed: {}", e.getMessage());
            return null;
        }
    }

    /**
     * Opens a stream to the remote Docker socket, bringing the host up first if needed. If the host turns
     * out to be gone meanwhile (deleted outside DockBridge), brings up a new one.
     */
    public RemoteStream openDocker() throws IOException {
        Tunnel t = ensureReady();
        try {
            return t.openUnixSocket(remoteSocket);
        } catch (TunnelException e) {
            if (!provider.disposable() || e.permanent()) {
                throw e;
            }
            if (ready == t && !checkStillThere(view.host(), t).join()) {
                throw e; // still there: a real network problem, not a deleted server
            }
            return ensureReady().openUnixSocket(remoteSocket);
        }
    }

    /**
     * Deletes the profile's server (explicit: {@code server destroy}, {@code stop --destroy}): the one in hand,
     * or whatever the provider finds. A failed DELETE is retried until the server is gone.
     *
     * @param wait how long to wait for the deletion
     * @return the deleted server, or empty if there was none
     * @throws HostUnavailableException if it is not done within {@code wait} (it goes on) or cannot be done
     */
    public Optional<ProvisionedHost> destroy(Duration wait) throws IOException {
        if (!provider.disposable()) {
            throw new HostUnavailableException("the host of provider '" + provider.describe() + "' is not DockBridge's to delete", null);
        }
        CompletableFuture<Optional<ProvisionedHost>> done = new CompletableFuture<>();
        post(new Delete(done));
        try {
            return done.get(wait.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            Snapshot s = view;
            throw new HostUnavailableException("the deletion is still under way" + (s.reason() == null ? "" : " (" + s.reason() + ")")
                    + "; DockBridge keeps trying, and 'dockbridge status' shows it", null);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new HostUnavailableException("interrupted while deleting the server", e);
        } catch (ExecutionException e) {
            throw asIo(e.getCause());
        }
    }

    /**
     * The idle reaper's request: delete the ready host of {@code epoch} if {@code stillIdle} still says so when
     * re-checked inside the machine, immediately before the deletion starts.
     *
     * @return completes true once deleted, false if it was called off (used meanwhile, stale)
     */
    public CompletableFuture<Boolean> requestIdleDeletion(long epoch, BooleanSupplier stillIdle) {
        CompletableFuture<Boolean> done = new CompletableFuture<>();
        post(new IdleDelete(epoch, stillIdle, done));
        return done;
    }

    /**
     * Closes the tunnel; a ready host keeps running (a restarted daemon adopts it). A bring-up in progress is
     * cancelled, and waited for while it deletes the server it was creating; a deletion under way is finished.
     */
    @Override
    public void close() {
        CompletableFuture<Void> done = new CompletableFuture<>();
        post(new Close(done));
        try {
            done.get(CLOSE_WAIT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | TimeoutException e) {
            log.warn("closing the host lifecycle: {}", e.toString());
        }
        machine.shutdownNow();
        work.shutdownNow();
        checker.shutdownNow();
    }

    private void post(Msg m) {
        try {
            machine.execute(() -> handle(m));
        } catch (RejectedExecutionException e) {
            m.refuse("DockBridge is shutting down");
        }
    }

    // ---- the machine (its thread only)

    private void handle(Msg m) {
        try {
            if (m.epoch() != HostMessages.ANY_EPOCH && m.epoch() != epoch) {
                log.debug("{} of epoch {} is stale (now {} in epoch {})", m.event(), m.epoch(), state.phase(), epoch);
                m.stale();
                return;
            }
            if (m instanceof HostGone g && g.tunnel() != tunnel) {
                g.handled().complete(true); // that tunnel's host is already not ours
                return;
            }
            if (state == HostState.CLOSED && !(m instanceof Close)) {
                m.refuse("DockBridge is shutting down");
                return;
            }
            if (!LEGAL.get(state).contains(m.event())) {
                log.error("bug: {} is not a legal event in state {}; ignored", m.event(), state.phase());
                m.refuse("DockBridge internal error: " + m.event() + " while " + state.phase());
                return;
            }
            dispatch(m);
        } catch (RuntimeException e) {
            log.error("host lifecycle: handling {} in state {} failed", m.event(), state.phase(), e);
            m.refuse("DockBridge internal error: " + e);
        } finally {
            publish();
        }
    }

    private void dispatch(Msg m) {
        if (m instanceof Want w) {
            onWant(w);
        } else if (m instanceof Progress p) {
            onProgress(p);
        } else if (m instanceof Up u) {
            onUp(u);
        } else if (m instanceof BringUpFailed f) {
            onBringUpFailed(f);
        } else if (m instanceof IdleDelete d) {
            onIdleDelete(d);
        } else if (m instanceof Delete d) {
            onDelete(d);
        } else if (m instanceof Quiesced q) {
            onQuiesced(q);
        } else if (m instanceof Resumed r) {
            onResumed(r);
        } else if (m instanceof Deleted d) {
            onDeleted(d);
        } else if (m instanceof DeleteFailed f) {
            onDeleteFailed(f);
        } else if (m instanceof RetryDelete) {
            deleteNow(doomed);
        } else if (m instanceof HostGone g) {
            onHostGone(g);
        } else if (m instanceof Close c) {
            onClose(c);
        }
    }

    private void onWant(Want w) {
        if (closing != null) {
            w.refuse("DockBridge is shutting down");
            return;
        }
        switch (state) {
            case READY -> w.waiter().complete(tunnel);
            case ABSENT -> {
                waiters.add(w.waiter());
                startBringUp();
            }
            case FAILED -> {
                Instant now = clock.instant();
                if (nextCreateAllowed != null && now.isBefore(nextCreateAllowed)) {
                    w.refuse(reason + " (DockBridge tries again in " + Math.max(1, Duration.between(now, nextCreateAllowed).toSeconds())
                            + " s, at most one failed create a minute)");
                } else if (now.isBefore(since.plus(FAILURE_SHARED_FOR))) {
                    w.refuse(reason);
                } else {
                    waiters.add(w.waiter());
                    startBringUp();
                }
            }
            case QUIESCING -> {
                waiters.add(w.waiter());
                if (idleDeletion != null && !callOff && deletions.isEmpty()) {
                    callOff = true;
                    log.info("a docker command arrived while {} was being prepared for deletion: the deletion is called off", host.name());
                }
            }
            case DELETE_RETRYING -> w.refuse("the previous server " + host.name() + " is still being deleted (" + reason
                    + "); DockBridge keeps trying and brings up a new one once it is gone: try again in a minute");
            default -> waiters.add(w.waiter()); // provisioning, booting, resuming, destroying: served when that ends
        }
    }

    private void startBringUp() {
        long e = ++epoch;
        host = null;
        others = List.of();
        enter(HostState.PROVISIONING, "looking for the profile's server");
        operation = work.submit(() -> bringUp(e));
    }

    private void onProgress(Progress p) {
        if (p.to() != null && p.to() != state) {
            enter(p.to(), p.step());
        } else {
            step = p.step();
            stepSince = clock.instant();
        }
        if (p.host() != null) {
            host = p.host();
        }
        if (p.others() != null) {
            others = p.others();
        }
        if (state == HostState.DESTROYING && p.host() != null) {
            // a deletion of what was found: a failed attempt retries all of it
            List<ProvisionedHost> all = new ArrayList<>(List.of(p.host()));
            all.addAll(others);
            doomed = List.copyOf(all);
        }
    }

    private void onUp(Up u) {
        epoch++;
        nextCreateAllowed = null;
        host = u.host();
        tunnel = u.tunnel();
        reason = null;
        enter(HostState.READY, null);
        ProvisionedHost h = u.host();
        Tunnel t = u.tunnel();
        t.addListener(new Tunnel.Listener() {
            @Override
            public void lost(String address) {
                checkStillThere(h, t);
            }

            @Override
            public void reconnectFailed(String address, Instant lostSince, TunnelException why) {
                checkStillThere(h, t);
            }
        });
        // the cost book first: a command released here may be the last thing before a kill -9
        notifyListeners(l -> l.ready(h, u.price()));
        waiters.forEach(w -> w.complete(t));
        waiters.clear();
        settled(this::startDeletion);
    }

    /** An operation ended: a close or an explicit deletion that waited for it goes ahead now. */
    private void settled(Runnable deletion) {
        if (closing != null) {
            finishClose();
        } else if (deleteWhenSettled) {
            deleteWhenSettled = false;
            deletion.run();
        }
    }

    private void onBringUpFailed(BringUpFailed f) {
        nextCreateAllowed = f.createTried() ? clock.instant().plus(FAILED_CREATE_HOLD) : null;
        host = null;
        reason = message(f.error());
        enter(HostState.FAILED, null);
        waiters.forEach(w -> w.completeExceptionally(f.error()));
        waiters.clear();
        settled(this::deleteWhatIsFound);
    }

    private void onIdleDelete(IdleDelete d) {
        if (closing != null) {
            d.done().complete(false);
            return;
        }
        ready = null; // withdrawn before the re-check: a connection either counted as use already, or waits for the machine
        boolean still;
        try {
            still = d.stillIdle().getAsBoolean();
        } catch (RuntimeException e) {
            log.warn("idle re-check of {} failed ({}); not deleting", host.name(), e.toString());
            still = false;
        }
        if (!still) {
            log.info("idle deletion of {} called off: it was used", host.name());
            d.done().complete(false);
            return;
        }
        log.info("deleting idle server {} ({})", host.name(), host.id());
        idleDeletion = d.done();
        callOff = false;
        startDeletion();
    }

    private void onDelete(Delete d) {
        if (!provider.disposable()) {
            d.refuse("the host of provider '" + provider.describe() + "' is not DockBridge's to delete");
            return;
        }
        deletions.add(d.done());
        switch (state) {
            case READY -> startDeletion();
            case ABSENT, FAILED -> deleteWhatIsFound();
            case PROVISIONING, BOOTING, RESUMING -> deleteWhenSettled = true;
            case QUIESCING -> callOff = false; // an explicit deletion is not called off by a docker command
            case DELETE_RETRYING -> {
                retry.cancel(false);
                deleteNow(doomed);
            }
            default -> {
                // destroying: answered when that deletion ends
            }
        }
    }

    /** From ready: quiesce first if the provider asks for it, then delete. */
    private void startDeletion() {
        ProvisionedHost h = host;
        Optional<String> before = provider.beforeDeleteCommand();
        doomed = List.of(h);
        if (before.isEmpty() || tunnel == null) {
            deleteNow(doomed);
            return;
        }
        long e = ++epoch;
        enter(HostState.QUIESCING, "stopping Docker and unmounting its volume");
        Tunnel t = tunnel;
        operation = work.submit(() -> {
            CommandResult r = runOnHost(t, before.get(), h, "before deleting", QUIESCE_TIMEOUT);
            // only a definite failure keeps the server: one that does not answer is deleted as before
            post(new Quiesced(e, r != null && r.finished() && !r.succeeded() ? r.describe() : null));
        });
    }

    private void onQuiesced(Quiesced q) {
        if (q.refusal() != null) {
            refuseDeletion(q.refusal());
            return;
        }
        if (!callOff || !deletions.isEmpty()) {
            deleteNow(doomed);
            return;
        }
        resume("deletion called off: starting Docker again");
    }

    /**
     * The data volume could not be released: deleting now would cut it off mid-write, so the server stays (and is
     * billed). Docker starts again; an idle deletion is tried again after another idle timeout, counted from now.
     */
    private void refuseDeletion(String why) {
        reason = "not deleted: its data volume could not be unmounted (" + why + ")";
        log.warn("server {} not deleted: its data volume could not be unmounted ({}); Docker is started again and the server keeps "
                + "costing money; see what holds /var/lib/docker with 'dockbridge ssh -- fuser -vm /var/lib/docker'", host.name(), why);
        HostUnavailableException refusal = new HostUnavailableException("server " + host.name() + " was not deleted: its data volume "
                + "could not be unmounted (" + why + "); end what holds /var/lib/docker ('dockbridge ssh -- fuser -vm /var/lib/docker') "
                + "and try again", null);
        deletions.forEach(f -> f.completeExceptionally(refusal));
        deletions.clear();
        if (closing != null) {
            log.error("DockBridge is stopping and server {} stays: it keeps costing money until deleted ('dockbridge server destroy')", host.name());
        }
        refused = true;
        resume("not deleted: starting Docker again");
    }

    private void resume(String stepNow) {
        long e = ++epoch;
        enter(HostState.RESUMING, stepNow);
        Tunnel t = tunnel;
        ProvisionedHost h = host;
        Optional<String> undo = provider.cancelledDeleteCommand();
        operation = work.submit(() -> {
            IOException error = null;
            try {
                undo.ifPresent(command -> runOnHost(t, command, h, "after the called-off deletion", QUIESCE_TIMEOUT));
                readiness.await(t, bootTimeout, clock.millis());
            } catch (IOException ex) {
                error = ex;
            }
            post(new Resumed(e, error));
        });
    }

    private void onResumed(Resumed r) {
        boolean afterRefusal = refused;
        refused = false;
        if (r.error() != null && afterRefusal) {
            // the volume is still mounted: never cut off by a deletion; the session's own recovery takes over
            log.warn("Docker on {} did not answer after the refused deletion ({})", host.name(), message(r.error()));
        } else if (r.error() != null) {
            // a server whose Docker does not come back is of no use: finish the deletion, the waiters get a new one
            log.warn("Docker on {} did not come back after the called-off deletion ({}); deleting it after all", host.name(),
                    message(r.error()));
            deleteNow(doomed);
            return;
        }
        epoch++;
        callOff = false;
        enter(HostState.READY, null);
        if (!afterRefusal) {
            log.info("deletion of {} called off; Docker answers again", host.name());
        }
        waiters.forEach(w -> w.complete(tunnel));
        waiters.clear();
        completeIdleDeletion(false);
        settled(this::startDeletion);
    }

    /** The point of no return: the tunnel closes and the API DELETE goes out; docker commands now wait for a new server. */
    private void deleteNow(List<ProvisionedHost> hosts) {
        long e = ++epoch;
        Tunnel t = tunnel;
        tunnel = null;
        if (t != null) {
            t.close();
        }
        enter(HostState.DESTROYING, "deleting " + names(hosts));
        operation = work.submit(() -> {
            try {
                for (ProvisionedHost h : hosts) {
                    deleteOne(h);
                }
                post(new Deleted(e, hosts));
            } catch (IOException | RuntimeException ex) {
                post(new DeleteFailed(e, asIo(ex)));
            }
        });
    }

    /** Nothing in hand (absent, failed, or no daemon): delete what the provider finds for the profile. */
    private void deleteWhatIsFound() {
        long e = ++epoch;
        host = null;
        enter(HostState.DESTROYING, "looking for the profile's servers");
        operation = work.submit(() -> {
            try {
                List<ProvisionedHost> found = provider.findExisting();
                if (!found.isEmpty()) {
                    post(new Progress(e, null, found.get(0), found.subList(1, found.size()), "deleting " + names(found)));
                }
                for (ProvisionedHost h : found) {
                    deleteOne(h);
                }
                post(new Deleted(e, found));
            } catch (IOException | RuntimeException ex) {
                post(new DeleteFailed(e, asIo(ex)));
            }
        });
    }

    private void deleteOne(ProvisionedHost h) throws IOException {
        try {
            provider.destroy(h);
        } catch (ProviderException ex) {
            if (ex.kind() != ProviderException.Kind.NOT_FOUND) {
                throw ex;
            }
        }
        log.info("deleted {} ({})", h.name(), h.id());
    }

    private void onDeleted(Deleted d) {
        d.hosts().forEach(h -> notifyListeners(l -> l.deleted(h)));
        Optional<ProvisionedHost> first = d.hosts().stream().findFirst();
        host = null;
        others = List.of();
        doomed = List.of();
        deleteAttempts = 0;
        reason = null;
        enter(HostState.ABSENT, null);
        deletions.forEach(f -> f.complete(first));
        deletions.clear();
        completeIdleDeletion(true);
        if (closing != null) {
            finishClose();
        } else if (!waiters.isEmpty()) {
            startBringUp();
        }
    }

    private void onDeleteFailed(DeleteFailed f) {
        deleteAttempts++;
        if (doomed.isEmpty() && host != null) {
            doomed = List.of(host);
        }
        if (doomed.isEmpty()) {
            // the lookup itself failed: nothing is known to exist, so nothing is retried
            reason = "looking for the profile's servers failed: " + message(f.error());
            deleteAttempts = 0;
            enter(host == null ? HostState.ABSENT : HostState.FAILED, null);
            deletions.forEach(x -> x.completeExceptionally(f.error()));
            deletions.clear();
            waiters.forEach(w -> w.completeExceptionally(f.error()));
            waiters.clear();
            if (closing != null) {
                finishClose();
            }
            return;
        }
        reason = "deleting " + names(doomed) + " failed (attempt " + deleteAttempts + "): " + message(f.error());
        long delay = Math.min(DELETE_RETRY_CAP.toMillis(), DELETE_RETRY_FIRST.toMillis() << Math.min(deleteAttempts - 1, 10));
        enter(HostState.DELETE_RETRYING, "retrying the deletion in " + Math.round(delay / 1000.0) + " s");
        HostUnavailableException busy = new HostUnavailableException("the previous server " + names(doomed) + " is still being deleted ("
                + reason + "); DockBridge keeps trying and brings up a new one once it is gone: try again in a minute", f.error());
        waiters.forEach(w -> w.completeExceptionally(busy));
        waiters.clear();
        if (closing != null) {
            log.error("{}; DockBridge is stopping, so the server keeps costing money: delete it with 'dockbridge server destroy'", reason);
            finishClose();
            return;
        }
        log.warn("{}; retrying in {} s (the server costs money until it is gone)", reason, Math.round(delay / 1000.0));
        long e = ++epoch;
        retry = machine.schedule(() -> handle(new RetryDelete(e)), delay, TimeUnit.MILLISECONDS);
    }

    private void onHostGone(HostGone g) {
        ProvisionedHost h = host;
        if (state != HostState.READY) {
            g.handled().complete(true); // the operation under way finds out itself (a DELETE of a gone server is done)
            return;
        }
        Tunnel t = tunnel;
        tunnel = null;
        host = null;
        epoch++;
        t.close();
        notifyListeners(l -> l.gone(h, g.deletedAt())); // before the log line: whoever reads it finds the cost book closed
        if (g.deletedAt().isPresent()) {
            log.warn("server {} ({}) deleted itself at {}: no DockBridge session reached it for the guard's time; the next docker command "
                    + "creates a new one", h.name(), h.id(), g.deletedAt().get());
        } else {
            log.warn("server {} ({}) no longer exists (deleted outside DockBridge?); the next docker command creates a new one", h.name(), h.id());
        }
        enter(HostState.ABSENT, null);
        g.handled().complete(true);
    }

    private void onClose(Close c) {
        if (closing != null) {
            closing.whenComplete((v, e) -> c.done().complete(null));
            return;
        }
        closing = c.done();
        HostUnavailableException stopping = new HostUnavailableException("DockBridge is shutting down", null);
        waiters.forEach(w -> w.completeExceptionally(stopping));
        waiters.clear();
        switch (state) {
            case PROVISIONING, BOOTING -> {
                log.info("stopping during provisioning: cancelling it");
                operation.cancel(true); // the bring-up deletes what it created, then reports
            }
            case QUIESCING, RESUMING, DESTROYING -> log.info("stopping: waiting for the {} of {} to finish", state.phase(), names(doomed));
            case DELETE_RETRYING -> {
                retry.cancel(false);
                log.error("{}; DockBridge is stopping, so the server keeps costing money: delete it with 'dockbridge server destroy'", reason);
                finishClose();
            }
            default -> finishClose();
        }
    }

    private void finishClose() {
        Tunnel t = tunnel;
        tunnel = null;
        if (t != null) {
            t.close();
        }
        HostUnavailableException stopping = new HostUnavailableException("DockBridge is shutting down", null);
        deletions.forEach(f -> f.completeExceptionally(stopping));
        deletions.clear();
        completeIdleDeletion(false);
        epoch++;
        enter(HostState.CLOSED, null);
        closing.complete(null);
    }

    private void completeIdleDeletion(boolean deleted) {
        if (idleDeletion != null) {
            idleDeletion.complete(deleted);
            idleDeletion = null;
        }
        callOff = false;
    }

    private void enter(HostState to, String stepNow) {
        HostState from = state;
        state = to;
        if (to != from) {
            log.debug("host lifecycle: {} -> {}", from.phase(), to.phase());
            notifyListeners(l -> l.transition(from, to));
        }
        step = stepNow;
        since = clock.instant();
        stepSince = since;
        publish(); // before anyone waiting on this transition is told
    }

    private void publish() {
        view = new Snapshot(state, host, reason, since, step, stepSince, deleteAttempts, others, epoch);
        ready = state == HostState.READY ? tunnel : null;
    }

    private void notifyListeners(Consumer<Listener> event) {
        for (Listener l : listeners) {
            try {
                event.accept(l);
            } catch (RuntimeException e) {
                log.warn("lifecycle listener failed: {}", e.toString());
            }
        }
    }

    // ---- operations (worker threads): they report back with a message

    private void bringUp(long e) {
        long started = clock.millis();
        ProvisionedHost h = null;
        boolean created = false;
        boolean createTried = false;
        Tunnel t = null;
        Consumer<String> progress = line -> {
            log.info("provisioning: {} ({} s)", line, seconds(started));
            post(new Progress(e, null, null, null, line));
        };
        try {
            List<ProvisionedHost> found = provider.findExisting();
            if (!found.isEmpty()) {
                h = found.get(0);
                List<ProvisionedHost> rest = List.copyOf(found.subList(1, found.size()));
                if (provider.disposable()) {
                    log.info("adopting {} ({}) at {} ({})", h.name(), h.id(), h.ssh().host(), h.status());
                }
                if (!rest.isEmpty()) {
                    log.warn("profile has {} more server(s) ({}); using {}. Delete the others in the Cloud Console ('dockbridge status' lists them)",
                            rest.size(), names(rest), h.name());
                }
                post(new Progress(e, HostState.BOOTING, h, rest, "adopting " + h.name() + " (" + h.status() + ")"));
                h = provider.prepare(h, progress);
            } else {
                log.info("provisioning: {}", provider.describe());
                post(new Progress(e, HostState.PROVISIONING, null, List.of(), "creating a server (" + provider.describe() + ")"));
                createTried = true;
                h = provider.create(progress);
                created = true;
            }
            post(new Progress(e, HostState.BOOTING, h, null, "waiting for SSH with the pinned host key and Docker's /_ping"));
            t = tunnels.apply(h.ssh());
            readiness.await(t, h.booting() ? bootTimeout : Duration.ZERO, started);
            ProvisionedHost ready = h;
            Tunnel session = t;
            provider.readyCommand().ifPresent(command -> runOnHost(session, command, ready, "ready settings on", READY_COMMAND_TIMEOUT));
            Optional<HourlyPrice> price = provider.disposable() ? price(h) : Optional.empty();
            log.info("host ready: {} at {} after {} s", h.name(), h.ssh().host(), seconds(started));
            post(new Up(e, h, t, price));
            checkShell(session, ready);
        } catch (IOException | RuntimeException ex) {
            if (t != null) {
                t.close();
            }
            String why = message(ex);
            if (created && provider.disposable()) {
                why = cleanUp(h, why);
            }
            log.warn("host not ready: {}", why);
            post(new BringUpFailed(e, ex instanceof IOException io && why.equals(message(ex)) ? io : new HostUnavailableException(why, ex),
                    createTried));
        }
    }

    /** On its own thread, after the Up: the first command does not wait for it. */
    private void checkShell(Tunnel t, ProvisionedHost h) {
        try {
            work.execute(() -> shellCheck.problem(t, h.ssh().user(), h.ssh().host()).ifPresent(problem -> log.warn("{}: {}", h.name(), problem)));
        } catch (RejectedExecutionException closing) {
            // the lifecycle is closing: nobody would act on the answer
        }
    }

    private String cleanUp(ProvisionedHost h, String why) {
        boolean interrupted = Thread.interrupted(); // a cancelled bring-up still deletes its server
        try {
            provider.destroy(h);
            log.info("deleted {} ({}) after the failed start", h.name(), h.id());
            return why + " (the server was deleted again)";
        } catch (IOException | RuntimeException e) {
            log.error("could not delete {} ({}) after the failed start: {}; delete it in the Hetzner console", h.name(), h.id(), e.getMessage());
            return why + " (and deleting the server failed: " + e.getMessage() + ")";
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Best effort: a host that does not answer is deleted anyway (its volume then recovers like after a power cut). */
    /** Null when the command could not be run (the session failed). */
    private CommandResult runOnHost(Tunnel t, String command, ProvisionedHost h, String when, Duration timeout) {
        try {
            CommandResult r = t.run(command, timeout);
            if (r.succeeded()) {
                log.info("{} {}: done", when, h.name());
            } else {
                log.warn("{} {}: {}", when, h.name(), r.describe());
            }
            return r;
        } catch (IOException e) {
            log.warn("{} {}: the command could not be run: {}", when, h.name(), e.getMessage());
            return null;
        }
    }

    /**
     * After a lost session: asks the provider whether the host still exists; if it is gone, the machine hears it.
     * At most one question per {@link #EXISTENCE_CHECK_EVERY}; the answer is whether the host was found gone.
     */
    private CompletableFuture<Boolean> checkStillThere(ProvisionedHost h, Tunnel t) {
        if (h == null || !provider.disposable()) {
            return CompletableFuture.completedFuture(false);
        }
        synchronized (checkLock) {
            if (existenceCheck != null && !existenceCheck.isDone()) {
                return existenceCheck;
            }
            if (lastExistenceCheck != null && clock.instant().isBefore(lastExistenceCheck.plus(EXISTENCE_CHECK_EVERY))) {
                return CompletableFuture.completedFuture(false);
            }
            lastExistenceCheck = clock.instant();
            try {
                existenceCheck = CompletableFuture.supplyAsync(() -> hostGone(h, t), checker);
            } catch (RejectedExecutionException e) {
                return CompletableFuture.completedFuture(false);
            }
            return existenceCheck;
        }
    }

    private boolean hostGone(ProvisionedHost h, Tunnel t) {
        try {
            if (provider.exists(h)) {
                return false;
            }
        } catch (IOException | RuntimeException e) {
            log.warn("cannot ask whether {} still exists: {}", h.name(), e.getMessage());
            return false;
        }
        Optional<Instant> deletedAt = Optional.empty();
        try {
            deletedAt = Optional.ofNullable(provider.selfDeletions().get(h.id()));
        } catch (IOException | RuntimeException e) {
            log.warn("cannot ask when {} was deleted: {}", h.name(), e.getMessage());
        }
        CompletableFuture<Boolean> handled = new CompletableFuture<>();
        post(new HostGone(t, deletedAt, handled));
        boolean gone = handled.join();
        if (deletedAt.isPresent()) {
            try {
                provider.forgetSelfDeletions(Set.of(h.id())); // the listeners (the cost book) have it now
            } catch (IOException | RuntimeException e) {
                log.warn("cannot clear the deletion mark of {}: {}", h.name(), e.getMessage());
            }
        }
        return gone;
    }

    // ---- helpers

    private static Tunnel await(CompletableFuture<Tunnel> f) throws IOException {
        try {
            return f.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new HostUnavailableException("interrupted while waiting for the host", e);
        } catch (ExecutionException e) {
            throw asIo(e.getCause());
        }
    }

    private static Throwable unwrap(Throwable e) {
        return e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
    }

    private static IOException asIo(Throwable e) {
        Throwable cause = unwrap(e);
        return cause instanceof IOException io ? io : new HostUnavailableException("DockBridge internal error: " + cause, cause);
    }

    private static String message(Throwable e) {
        return e.getMessage() != null ? e.getMessage() : e.toString();
    }

    private static String names(List<ProvisionedHost> hosts) {
        return String.join(", ", hosts.stream().map(h -> h.name() + " (" + h.id() + ")").toList());
    }

    private long seconds(long startedMillis) {
        return Math.round((clock.millis() - startedMillis) / 1000.0);
    }
}

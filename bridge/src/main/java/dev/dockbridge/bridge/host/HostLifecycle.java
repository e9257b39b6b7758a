package dev.dockbridge.bridge.host;

import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Function;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.dockbridge.bridge.tunnel.RemoteStream;
import dev.dockbridge.bridge.tunnel.SshTarget;
import dev.dockbridge.bridge.tunnel.SshTunnel;
import dev.dockbridge.bridge.tunnel.TunnelException;

/**
 * Owns the one host of a profile and its tunnel: finds (adopts) or creates the host on first use, waits
 * until SSH answers with the trusted key and the remote Docker answers {@code /_ping}, and deletes it on
 * request. Concurrent callers share one bring-up; a failed bring-up is retried by the next caller.
 *
 * <p>Thread-safe. Owns the tunnel it opens; {@link #close()} closes it but leaves the host running.
 */
public final class HostLifecycle implements Closeable {
    private static final Logger log = LoggerFactory.getLogger(HostLifecycle.class);
    /** Stopping Docker and unmounting its volume takes seconds; a host that hangs must not stop the deletion. */
    private static final Duration BEFORE_DELETE_TIMEOUT = Duration.ofSeconds(60);
    private static final Duration RETRY_INTERVAL = Duration.ofMillis(500);
    /**
     * One docker command opens several connections within milliseconds; they all get the failure of one
     * bring-up instead of each starting another. The next command, later, tries again.
     */
    static final Duration FAILURE_SHARED_FOR = Duration.ofSeconds(3);

    private final HostProvider provider;
    private final Function<SshTarget, SshTunnel> tunnels;
    private final String remoteSocket;
    private final Duration bootTimeout;
    private final Clock clock;
    private final ExecutorService worker = Executors.newSingleThreadExecutor(dev.dockbridge.bridge.daemon.Threads.named("host-lifecycle"));
    private final Object lock = new Object();
    private HostState state = HostState.ABSENT; // guarded by lock
    private String reason; // guarded by lock
    private Instant since; // guarded by lock
    private ProvisionedHost host; // guarded by lock
    private SshTunnel tunnel; // guarded by lock
    private CompletableFuture<SshTunnel> bringUp; // guarded by lock

    /** Told when a host becomes ready and when DockBridge deletes one (e.g. to keep the cost book). */
    public interface Listener {
        void ready(ProvisionedHost host);

        void deleted(ProvisionedHost host);
    }

    private final java.util.List<Listener> listeners = new java.util.concurrent.CopyOnWriteArrayList<>();

    public void addListener(Listener listener) {
        listeners.add(listener);
    }

    private void notify(java.util.function.Consumer<Listener> event) {
        for (Listener l : listeners) {
            try {
                event.accept(l);
            } catch (RuntimeException e) {
                log.warn("lifecycle listener failed: {}", e.toString());
            }
        }
    }

    /** What status shows: the state, the host if any, why it failed, and since when. */
    public record Snapshot(HostState state, ProvisionedHost host, String reason, Instant since) {
    }

    public HostLifecycle(HostProvider provider, Function<SshTarget, SshTunnel> tunnels, String remoteSocket,
            Duration bootTimeout, Clock clock) {
        this.provider = provider;
        this.tunnels = tunnels;
        this.remoteSocket = remoteSocket;
        this.bootTimeout = bootTimeout;
        this.clock = clock;
        this.since = clock.instant();
    }

    public Snapshot snapshot() {
        synchronized (lock) {
            return new Snapshot(state, host, reason, since);
        }
    }

    public HostProvider provider() {
        return provider;
    }

    /** The tunnel of the ready host, bringing one up (adopting or creating) if needed. Blocks until then. */
    public SshTunnel ensureReady() throws IOException {
        CompletableFuture<SshTunnel> attempt;
        synchronized (lock) {
            if (state == HostState.READY && tunnel != null) {
                return tunnel;
            }
            if (state == HostState.FAILED && bringUp == null && clock.instant().isBefore(since.plus(FAILURE_SHARED_FOR))) {
                throw new HostUnavailableException(reason, null);
            }
            if (bringUp == null) {
                bringUp = CompletableFuture.supplyAsync(this::bringUp, worker);
            }
            attempt = bringUp;
        }
        try {
            return attempt.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new HostUnavailableException("interrupted while waiting for the host", e);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause() instanceof CompletionException c && c.getCause() != null ? c.getCause() : e.getCause();
            if (cause instanceof IOException io) {
                throw io;
            }
            throw new HostUnavailableException("DockBridge internal error: " + cause, cause);
        }
    }

    /**
     * At daemon start: brings up the host the profile already owns, if any, without creating one.
     *
     * @return whether there was one
     * @throws IOException from the provider's lookup (a refused token) or from connecting to the host
     */
    public boolean adopt() throws IOException {
        if (provider.findExisting().isEmpty()) {
            return false;
        }
        ensureReady();
        return true;
    }

    /**
     * The tunnel of the ready host, without bringing one up: for the daemon's own traffic (the container
     * watcher, port forwards), which must never create a server or count as use.
     *
     * @throws HostUnavailableException if no host is ready
     */
    public SshTunnel currentTunnel() throws HostUnavailableException {
        synchronized (lock) {
            if (state != HostState.READY || tunnel == null) {
                throw new HostUnavailableException("no host is ready (" + state.label() + ")", null);
            }
            return tunnel;
        }
    }

    public String remoteSocket() {
        return remoteSocket;
    }

    /**
     * Opens a stream to the remote Docker socket, bringing the host up first if needed. If the host turns
     * out to be gone meanwhile (deleted outside DockBridge), brings up a new one.
     */
    public RemoteStream openDocker() throws IOException {
        SshTunnel t = ensureReady();
        try {
            return t.openUnixSocket(remoteSocket);
        } catch (TunnelException e) {
            if (!provider.disposable() || e.permanent()) {
                throw e;
            }
            boolean replaced;
            synchronized (lock) {
                replaced = tunnel != t;
            }
            if (!replaced && !checkStillThere(snapshot().host(), t).join()) {
                throw e; // still there: a real network problem, not a deleted server
            }
            return ensureReady().openUnixSocket(remoteSocket);
        }
    }

    /**
     * After a lost session: asks the provider whether the host still exists. If it is gone, the state goes
     * back to absent (the next docker command provisions). At most one question per
     * {@link #EXISTENCE_CHECK_EVERY}; the answer is whether the host was found gone.
     */
    private CompletableFuture<Boolean> checkStillThere(ProvisionedHost h, SshTunnel t) {
        if (h == null || !provider.disposable()) {
            return CompletableFuture.completedFuture(false);
        }
        synchronized (lock) {
            if (tunnel != t) {
                return CompletableFuture.completedFuture(true);
            }
            if (existenceCheck != null && !existenceCheck.isDone()) {
                return existenceCheck;
            }
            if (lastExistenceCheck != null && clock.instant().isBefore(lastExistenceCheck.plus(EXISTENCE_CHECK_EVERY))) {
                return CompletableFuture.completedFuture(false);
            }
            lastExistenceCheck = clock.instant();
            existenceCheck = CompletableFuture.supplyAsync(() -> hostGone(h, t), checker);
            return existenceCheck;
        }
    }

    private boolean hostGone(ProvisionedHost h, SshTunnel t) {
        try {
            if (provider.exists(h)) {
                return false;
            }
        } catch (IOException | RuntimeException e) {
            log.warn("cannot ask whether {} still exists: {}", h.name(), e.getMessage());
            return false;
        }
        synchronized (lock) {
            if (tunnel != t) {
                return true;
            }
            tunnel = null;
            host = null;
            state = HostState.ABSENT;
            reason = null;
            since = clock.instant();
        }
        t.close();
        log.warn("server {} ({}) no longer exists (deleted outside DockBridge?); the next docker command creates a new one", h.name(), h.id());
        notify(l -> l.deleted(h));
        return true;
    }

    private static final Duration EXISTENCE_CHECK_EVERY = Duration.ofSeconds(10);
    /** A cancelled bring-up deletes what it created: a DELETE and its action, normally seconds. */
    private static final Duration CANCEL_CLEANUP_WAIT = Duration.ofSeconds(60);
    private final ExecutorService checker = Executors.newSingleThreadExecutor(dev.dockbridge.bridge.daemon.Threads.named("host-check"));
    private CompletableFuture<Boolean> existenceCheck; // guarded by lock
    private Instant lastExistenceCheck; // guarded by lock

    private SshTunnel bringUp() {
        long started = clock.millis();
        ProvisionedHost h = null;
        boolean created = false;
        SshTunnel t = null;
        try {
            Optional<ProvisionedHost> existing = provider.findExisting();
            if (existing.isPresent()) {
                h = existing.get();
                if (provider.disposable()) {
                    log.info("adopting {} ({}) at {}", h.name(), h.id(), h.ssh().host());
                }
            } else {
                set(HostState.PROVISIONING, null, null);
                log.info("provisioning: {}", provider.describe());
                h = provider.create(step -> log.info("provisioning: {} ({} s)", step, seconds(started)));
                created = true;
            }
            set(HostState.BOOTING, h, null);
            t = tunnels.apply(h.ssh());
            awaitReady(t, h.booting() ? bootTimeout : Duration.ZERO, started);
            synchronized (lock) {
                host = h;
                tunnel = t;
                state = HostState.READY;
                reason = null;
                since = clock.instant();
                bringUp = null;
            }
            log.info("host ready: {} at {} after {} s", h.name(), h.ssh().host(), seconds(started));
            ProvisionedHost readyHost = h;
            SshTunnel readyTunnel = t;
            t.addListener(new SshTunnel.Listener() {
                @Override
                public void lost(String address) {
                    checkStillThere(readyHost, readyTunnel);
                }

                @Override
                public void reconnectFailed(String address, Instant lostSince, TunnelException why) {
                    checkStillThere(readyHost, readyTunnel);
                }
            });
            notify(l -> l.ready(readyHost));
            return t;
        } catch (IOException | RuntimeException e) {
            if (t != null) {
                t.close();
            }
            String why = e.getMessage() != null ? e.getMessage() : e.toString();
            if (created && provider.disposable()) {
                why = cleanUp(h, why);
            }
            synchronized (lock) {
                state = HostState.FAILED;
                reason = why;
                since = clock.instant();
                host = null;
                bringUp = null;
            }
            log.warn("host not ready: {}", why);
            throw new CompletionException(new HostUnavailableException(why, e));
        }
    }

    private String cleanUp(ProvisionedHost h, String why) {
        boolean interrupted = Thread.interrupted(); // a cancelled bring-up still deletes its server
        try {
            provider.destroy(h);
            log.info("deleted {} ({}) after the failed start", h.name(), h.id());
            notify(l -> l.deleted(h));
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

    /** SSH with the trusted key, then Docker's {@code /_ping}; retried until {@code timeout} (zero: one try). */
    private void awaitReady(SshTunnel t, Duration timeout, long started) throws IOException {
        long deadline = clock.millis() + timeout.toMillis();
        boolean sshLogged = false;
        while (true) {
            try {
                t.session();
                if (!sshLogged && !timeout.isZero()) {
                    log.info("provisioning: ssh answers with the pinned host key ({} s)", seconds(started));
                    sshLogged = true;
                }
                ping(t);
                return;
            } catch (TunnelException e) {
                if (e.permanent() || clock.millis() >= deadline) {
                    throw timeout.isZero() ? e : new HostUnavailableException("the server did not become ready within "
                            + timeout.toSeconds() + " s: " + e.getMessage(), e);
                }
            } catch (IOException e) {
                if (clock.millis() >= deadline) {
                    throw timeout.isZero() ? e : new HostUnavailableException("Docker on the server did not answer within "
                            + timeout.toSeconds() + " s: " + e.getMessage(), e);
                }
            }
            try {
                Thread.sleep(RETRY_INTERVAL.toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new HostUnavailableException("interrupted while waiting for the server", e);
            }
        }
    }

    private void ping(SshTunnel t) throws IOException {
        try (RemoteStream s = t.openUnixSocket(remoteSocket)) {
            byte[] request = "GET /_ping HTTP/1.1\r\nHost: docker\r\nConnection: close\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
            s.write(request, 0, request.length);
            StringBuilder answer = new StringBuilder();
            byte[] chunk;
            while ((chunk = s.read()) != null && answer.length() < 4096) {
                answer.append(new String(chunk, StandardCharsets.US_ASCII));
                s.release(chunk.length);
            }
            if (!answer.toString().startsWith("HTTP/1.1 200")) {
                String first = answer.toString().lines().findFirst().orElse("no answer");
                throw new IOException("Docker's /_ping answered '" + first + "'");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new HostUnavailableException("interrupted while pinging Docker", e);
        }
    }

    /** Deletes the host (explicit destroy, idle): its tunnel closes; the next use brings up a new one. */
    public void destroy() throws IOException {
        ProvisionedHost h;
        SshTunnel t;
        synchronized (lock) {
            if (!provider.disposable()) {
                throw new IOException("the host of provider '" + provider.describe() + "' is not DockBridge's to delete");
            }
            h = host;
            t = tunnel;
            state = HostState.DESTROYING;
            since = clock.instant();
            tunnel = null;
        }
        if (t != null) {
            quiesce(t, h);
            t.close();
        }
        try {
            if (h == null) {
                h = provider.findExisting().orElse(null);
            }
            if (h != null) {
                provider.destroy(h);
                log.info("deleted {} ({})", h.name(), h.id());
                ProvisionedHost deletedHost = h;
                notify(l -> l.deleted(deletedHost));
            }
        } finally {
            set(HostState.ABSENT, null, null);
        }
    }

    /** Best effort: a host that does not answer is deleted anyway (its volume then recovers like after a power cut). */
    private void quiesce(SshTunnel t, ProvisionedHost h) {
        Optional<String> command = provider.beforeDeleteCommand();
        if (command.isEmpty() || h == null) {
            return;
        }
        try {
            Optional<Integer> status = t.run(command.get(), BEFORE_DELETE_TIMEOUT);
            log.info("before deleting {}: data written out and unmounted ({})", h.name(),
                    status.map(code -> "exit " + code).orElse("timed out after " + BEFORE_DELETE_TIMEOUT.toSeconds() + " s"));
        } catch (IOException e) {
            log.warn("before deleting {}: could not write out its data: {}", h.name(), e.getMessage());
        }
    }

    private void set(HostState s, ProvisionedHost h, String why) {
        synchronized (lock) {
            state = s;
            host = h;
            reason = why;
            since = clock.instant();
        }
    }

    private long seconds(long startedMillis) {
        return Math.round((clock.millis() - startedMillis) / 1000.0);
    }

    /**
     * Closes the tunnel; a ready host keeps running (a restarted daemon adopts it). A bring-up in progress is
     * cancelled, and waited for while it deletes the server it was creating: a half-made server has no owner.
     */
    @Override
    public void close() {
        SshTunnel t;
        CompletableFuture<SshTunnel> pending;
        synchronized (lock) {
            t = tunnel;
            tunnel = null;
            pending = bringUp;
        }
        if (t != null) {
            t.close();
        }
        worker.shutdownNow();
        if (pending != null) {
            log.info("stopping during provisioning: cancelling it");
            try {
                pending.get(CANCEL_CLEANUP_WAIT.toSeconds(), java.util.concurrent.TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (ExecutionException | java.util.concurrent.TimeoutException | java.util.concurrent.CancellationException e) {
                // cancelled as intended; what it cleaned up is logged by the bring-up itself
            }
        }
        checker.shutdownNow();
    }
}

package dev.dockbridge.bridge.mounts;

import java.io.BufferedReader;
import java.io.Closeable;
import java.io.IOException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.dockbridge.bridge.concurrent.Threads;
import dev.dockbridge.bridge.tunnel.Tunnel;
import io.methvin.watcher.DirectoryChangeEvent;
import io.methvin.watcher.DirectoryWatcher;

/**
 * Keeps one local folder and its copy on the server in step, both ways (Mutagen's model): a watcher here and one on
 * the server report changes, which are carried in batches as tar streams over the daemon's session. What both sides
 * had when they last agreed (the base) tells which side changed; see {@link SyncPlan} for who wins. After the session
 * was lost, or at the start, both sides are compared whole. A new server starts from an empty base, so its empty copy
 * never deletes a local file.
 *
 * <p>All decisions and transfers run on one thread; it owns the base. Owns both watchers.
 */
public final class FolderSync implements Closeable {
    private static final Logger log = LoggerFactory.getLogger(FolderSync.class);
    /** Changes that come this close together travel in one batch (an editor's save is several events). */
    private static final Duration BATCH = Duration.ofMillis(30);
    private static final Duration RETRY = Duration.ofSeconds(2);
    /** Tries of the first copy before the container waiting for it is refused. */
    private static final int FIRST_COPY_ATTEMPTS = 3;
    private static final DateTimeFormatter STAMP = DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss").withZone(ZoneOffset.UTC);

    /** Where a folder's server side is: the ready server's session, and which server it is. */
    public interface Server {
        /** The ready server's session; throws if none is ready. */
        Tunnel tunnel() throws IOException;

        /** Names the ready server (a new one has an empty copy); null if none is ready. */
        String id();
    }

    public enum State { COPYING, IN_STEP, BEHIND, STOPPED }

    /** What status shows of a folder. */
    public record Status(Path local, String server, long files, State state, Instant lastChange, String problem) {
    }

    private final Path root; // the folder (for a bind of one file: its directory)
    private final PathFilter filter;
    private final Server server;
    private final Path conflicts;
    private final Clock clock;
    private final String remoteDir;
    private final ScheduledExecutorService worker;
    private final Semaphore commands; // shared by every folder: the server's sshd allows few session channels
    private final Map<String, MountEntry> base = new TreeMap<>(); // worker thread only
    private final Set<String> dirty = ConcurrentHashMap.newKeySet();
    private final AtomicBoolean flushQueued = new AtomicBoolean();
    private final CompletableFuture<Void> firstCopy = new CompletableFuture<>();
    /** By server id: done once that server has a complete copy (a new server after an idle deletion has none). */
    private final Map<String, CompletableFuture<Void>> copies = new ConcurrentHashMap<>();
    private final AtomicBoolean closed = new AtomicBoolean();
    private String baseServer; // worker thread only
    /** A round failed: what it was to carry is known only to a comparison of both sides whole (worker thread only). */
    private boolean compareWhole;
    private int firstCopyFailures; // worker thread only
    private volatile State state = State.COPYING;
    private volatile Instant lastChange;
    private volatile String problem;
    private volatile long files;
    private volatile DirectoryWatcher localWatcher;
    private volatile boolean remoteUp;

    /**
     * @param root      the local folder
     * @param filter    what is not carried
     * @param conflicts where the server's side of a file changed on both sides is kept
     */
    public FolderSync(Path root, PathFilter filter, Server server, Semaphore commands, Path conflicts, Clock clock) {
        this.commands = commands;
        this.root = root.toAbsolutePath().normalize();
        this.filter = filter;
        this.server = server;
        this.conflicts = conflicts;
        this.clock = clock;
        this.remoteDir = RemoteFolder.serverPath(this.root);
        String name = this.root.getFileName() == null ? "root" : this.root.getFileName().toString();
        this.worker = Executors.newSingleThreadScheduledExecutor(Threads.named("mount-sync-" + name));
    }

    public Path root() {
        return root;
    }

    /** The server path of the folder's copy (what a container's bind names instead of the local path). */
    public String remoteDir() {
        return remoteDir;
    }

    /**
     * Starts watching the local side; the server's side is compared once {@link ServerWatcher} says it watches it.
     * The future completes once the server has a complete copy.
     */
    public CompletableFuture<Void> start() {
        try {
            startLocalWatcher(); // before the first comparison: what changes during it is seen
        } catch (IOException e) {
            firstCopy.completeExceptionally(new IOException("cannot watch " + root + ": " + e.getMessage(), e));
            close();
        }
        return firstCopy;
    }

    public CompletableFuture<Void> firstCopy() {
        return firstCopy;
    }

    /** Completes once server {@code serverId} has a complete copy of the folder (at once if it has). */
    public CompletableFuture<Void> copiedTo(String serverId) {
        CompletableFuture<Void> f = copies.computeIfAbsent(String.valueOf(serverId), k -> new CompletableFuture<>());
        if (closed.get()) {
            f.completeExceptionally(new IOException("the sync of " + root + " stopped"));
        }
        return f;
    }

    public Status status() {
        State s = state;
        if (s == State.IN_STEP && (!dirty.isEmpty() || !remoteUp)) {
            s = State.BEHIND;
        }
        return new Status(filter.only() != null ? root.resolve(filter.only()) : root, remoteDir, files, s, lastChange, problem);
    }

    // ---- the server's side

    private RemoteFolder folder() throws IOException {
        return new RemoteFolder(server.tunnel(), remoteDir, commands);
    }

    /** The server's watcher watches the copy from now on: both sides are compared whole (the first copy, or catching up). */
    void connected(String serverId) {
        onWorker(() -> {
            try {
                reconcileAll(folder(), serverId);
                remoteUp = true;
                problem = null;
                compareWhole = false;
                if (firstCopy.complete(null)) {
                    log.info("mount {}: on the server as {} ({} files)", root, remoteDir, files);
                }
            } catch (IOException | RuntimeException e) {
                String why = e.getMessage() != null ? e.getMessage() : e.toString();
                if (!firstCopy.isDone() && ++firstCopyFailures < FIRST_COPY_ATTEMPTS) {
                    // a container waits for this copy: one command cut short is not yet a reason to refuse it
                    log.warn("mount {}: the first copy to the server failed ({}); trying again", root, why);
                    try {
                        worker.schedule(() -> connected(serverId), RETRY.toMillis(), TimeUnit.MILLISECONDS);
                    } catch (RejectedExecutionException stopped) {
                        // stopped meanwhile
                    }
                    return;
                }
                failed(why, e);
                compareWhole = true;
                retryLater();
            }
        });
    }

    /** The server's side is out of reach (the session is lost, the watcher ended); before the first copy, that fails it. */
    void failed(String why, Throwable cause) {
        remoteUp = false;
        if (!firstCopy.isDone()) {
            IOException e = new IOException("cannot provide " + root + " to the server: " + why, cause);
            firstCopy.completeExceptionally(e);
            copies.values().forEach(c -> c.completeExceptionally(e));
            close();
            return;
        }
        if (!why.equals(problem)) {
            log.warn("mount {}: behind, catching up when the server answers again ({})", root, why);
        }
        problem = why;
    }

    /** Whether it stopped (closed, or its first copy failed). */
    boolean stopped() {
        return closed.get();
    }

    private void later(long ms) {
        try {
            worker.schedule(guarded(this::flushLocal), ms, TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException e) {
            // stopped meanwhile
        }
    }

    private void onWorker(Runnable task) {
        try {
            worker.execute(task);
        } catch (RejectedExecutionException e) {
            // stopped meanwhile: nothing more to carry
        }
    }

    /** A batch of the server's watcher for this folder. */
    void remoteBatch(List<String> lines) {
        onWorker(guarded(() -> {
            try {
                remoteChanged(folder(), lines);
            } catch (IOException e) {
                compareWhole = true;
                retryLater();
            }
        }));
    }

    /** Both sides whole: at the start and after the session was lost. */
    private void reconcileAll(RemoteFolder folder, String serverId) throws IOException {
        RemoteFolder.Listing listing = folder.list();
        if (serverId == null || !serverId.equals(baseServer) || listing.absent()) {
            base.clear(); // another server, or a copy that is gone: nothing there was ever agreed on
            baseServer = serverId;
        }
        Map<String, MountEntry> local = LocalTree.all(root, filter);
        Map<String, MountEntry> remote = new TreeMap<>();
        listing.entries().forEach((p, e) -> {
            if (!filter.skips(p)) {
                remote.put(p, e);
            }
        });
        Set<String> paths = new LinkedHashSet<>(local.keySet());
        paths.addAll(remote.keySet());
        paths.addAll(base.keySet());
        apply(folder, paths, local, remote);
        state = State.IN_STEP;
        copiedTo(serverId).complete(null);
    }

    /** A batch of the server's watcher: listing lines that went and came. */
    private void remoteChanged(RemoteFolder folder, List<String> lines) {
        Map<String, MountEntry> remote = new HashMap<>();
        Set<String> paths = new LinkedHashSet<>();
        for (String line : lines) {
            MountEntry.Listed l = line.length() > 2 ? MountEntry.parse(line.substring(2)) : null;
            if (l == null || filter.skips(l.path())) {
                continue;
            }
            paths.add(l.path());
            if (line.startsWith("+ ")) {
                remote.put(l.path(), l.entry());
            }
        }
        try {
            apply(folder, paths, localEntries(paths), remote);
        } catch (IOException e) {
            problem = e.getMessage();
            log.warn("mount {}: cannot bring the container's changes here yet: {}", root, e.getMessage());
            compareWhole = true;
            retryLater();
        }
    }

    // ---- this machine's side

    private void startLocalWatcher() throws IOException {
        if (filter.only() != null) {
            localWatcher = DirectoryWatcher.builder().paths(List.of()).listener(e -> { }).build(); // a poll stands in for it
            MountEntry[] last = {MountEntry.of(root.resolve(filter.only()))};
            worker.scheduleWithFixedDelay(guarded(() -> {
                try {
                    MountEntry now = MountEntry.of(root.resolve(filter.only()));
                    if (!MountEntry.same(now, last[0])) {
                        last[0] = now;
                        changed(filter.only());
                    }
                } catch (IOException e) {
                    log.debug("mount {}: {}", root, e.toString());
                }
            }), 250, 250, TimeUnit.MILLISECONDS);
            return;
        }
        DirectoryWatcher w = DirectoryWatcher.builder().path(root).fileHashing(false).listener(this::localEvent).build();
        localWatcher = w;
        w.watchAsync(Executors.newSingleThreadExecutor(Threads.named("mount-local-" + root.getFileName())))
                .whenComplete((v, e) -> {
                    if (e != null && !closed.get()) {
                        log.warn("mount {}: the local watcher stopped: {}", root, e.toString());
                    }
                });
    }

    private void localEvent(DirectoryChangeEvent event) {
        if (event.eventType() == DirectoryChangeEvent.EventType.OVERFLOW) {
            onWorker(guarded(() -> {
                try {
                    reconcileAll(folder(), server.id());
                } catch (IOException e) {
                    retryLater();
                }
            }));
            return;
        }
        Path p = event.path();
        if (p == null || p.equals(root) || !p.startsWith(root)) {
            return;
        }
        String rel = LocalTree.relative(root, p);
        if (!filter.skips(rel)) {
            changed(rel);
        }
    }

    private void changed(String rel) {
        dirty.add(rel);
        if (flushQueued.compareAndSet(false, true)) {
            later(BATCH.toMillis());
        }
    }

    private void flushLocal() {
        flushQueued.set(false);
        if (compareWhole) {
            try {
                reconcileAll(folder(), server.id());
                compareWhole = false;
                problem = null;
            } catch (IOException e) {
                problem = e.getMessage();
                retryLater();
                return;
            }
        }
        Set<String> paths = new LinkedHashSet<>();
        for (String p : dirty) {
            dirty.remove(p);
            paths.add(p);
        }
        if (paths.isEmpty()) {
            return;
        }
        try {
            Map<String, MountEntry> local = new HashMap<>();
            for (String p : new ArrayList<>(paths)) {
                MountEntry e = MountEntry.of(root.resolve(p));
                if (e != null && e.type() == 'd' && !base.containsKey(p)) {
                    local.putAll(LocalTree.walk(root, root.resolve(p), filter)); // a new directory: all that is in it
                } else if (e == null) {
                    String prefix = p + "/";
                    base.keySet().stream().filter(k -> k.startsWith(prefix)).forEach(paths::add); // what it held goes too
                }
            }
            paths.addAll(local.keySet());
            local.putAll(localEntries(paths));
            // what is as both sides last agreed is the echo of a change carried here: nothing to ask the server about
            paths.removeIf(p -> base.containsKey(p) ? MountEntry.same(local.get(p), base.get(p)) : !local.containsKey(p));
            if (paths.isEmpty()) {
                return;
            }
            RemoteFolder folder = folder();
            try (RemoteFolder.Update update = folder.update()) {
                apply(folder, paths, local, update.stat(paths), update);
            }
        } catch (IOException e) {
            dirty.addAll(paths);
            compareWhole = true; // a push may have been cut half way
            if (!e.getMessage().equals(problem)) {
                log.warn("mount {}: {} local changes wait for the server: {}", root, paths.size(), e.getMessage());
            }
            problem = e.getMessage();
            retryLater();
        }
    }

    /** A round that fails unexpectedly is logged, and the next full comparison catches up; the worker goes on. */
    private Runnable guarded(Runnable task) {
        return () -> {
            try {
                task.run();
            } catch (RuntimeException e) {
                problem = e.toString();
                log.warn("mount {}: {}", root, e.toString(), e);
                compareWhole = true;
                retryLater();
            }
        };
    }

    private void retryLater() {
        if (flushQueued.compareAndSet(false, true)) {
            later(RETRY.toMillis());
        }
    }

    private Map<String, MountEntry> localEntries(Set<String> paths) throws IOException {
        Map<String, MountEntry> local = new HashMap<>();
        for (String p : paths) {
            MountEntry e = MountEntry.of(root.resolve(p));
            if (e != null) {
                local.put(p, e);
            }
        }
        return local;
    }

    // ---- carrying changes

    private void apply(RemoteFolder folder, Set<String> paths, Map<String, MountEntry> local, Map<String, MountEntry> remote) throws IOException {
        apply(folder, paths, local, remote, null);
    }

    /** @param update a command that looked at the server's side of {@code paths} and waits to be told what to write; null: none yet */
    private void apply(RemoteFolder folder, Set<String> paths, Map<String, MountEntry> local, Map<String, MountEntry> remote,
                       RemoteFolder.Update update) throws IOException {
        SyncPlan plan = SyncPlan.of(paths, local, remote, base);
        for (String p : paths) {
            MountEntry l = local.get(p);
            if (MountEntry.same(l, remote.get(p))) {
                if (l == null) {
                    base.remove(p);
                } else {
                    base.put(p, l);
                }
            }
        }
        if (plan.empty()) {
            if (update != null) {
                update.write(List.of(), root, List.of(), (p, e) -> { });
            }
            countFiles();
            return;
        }
        if (!plan.conflicts().isEmpty()) {
            Path keep = conflicts.resolve(STAMP.format(clock.instant())).resolve(root.toString().substring(1));
            folder.fetch(plan.conflicts(), keep, p -> true, (p, e) -> { });
            for (String p : plan.conflicts()) {
                log.warn("mount {}: {} changed here and in the container; kept this machine's, the container's is at {}", root, p,
                        keep.resolve(p));
            }
        }
        plan.deleteRemote().forEach(base::remove); // before the writes: a path whose type changed is deleted, then written
        if (update != null) {
            update.write(plan.deleteRemote(), root, plan.push(), base::put);
        } else {
            folder.delete(plan.deleteRemote());
            folder.push(root, plan.push(), base::put);
        }
        for (String p : plan.deleteLocal()) {
            Path target = root.resolve(p);
            try {
                Files.deleteIfExists(target);
            } catch (DirectoryNotEmptyException e) {
                // something new of this machine's is in it: it stays, and goes to the server
                changed(p);
            }
            base.remove(p);
        }
        folder.fetch(plan.fetch(), root, p -> !filter.skips(p), base::put);
        lastChange = clock.instant();
        countFiles();
        if (log.isDebugEnabled()) {
            log.debug("mount {}: pushed {}, fetched {}, deleted {} there and {} here", root, plan.push().size(), plan.fetch().size(),
                    plan.deleteRemote().size(), plan.deleteLocal().size());
        }
    }

    private void countFiles() {
        files = base.values().stream().filter(e -> e.type() == 'f').count();
    }


    /** Stops keeping the folder in step; the server's copy stays until the server goes. Idempotent. */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        state = State.STOPPED;
        DirectoryWatcher w = localWatcher;
        if (w != null) {
            try {
                w.close();
            } catch (IOException e) {
                log.debug("mount {}: {}", root, e.toString());
            }
        }
        worker.shutdownNow();
        IOException stopped = new IOException("the sync of " + root + " stopped");
        firstCopy.completeExceptionally(stopped);
        copies.values().forEach(c -> c.completeExceptionally(stopped));
    }
}

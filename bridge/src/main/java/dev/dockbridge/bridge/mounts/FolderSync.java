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
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.dockbridge.bridge.concurrent.Threads;
import dev.dockbridge.bridge.tunnel.RemoteProcess;
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
    private final Thread remoteThread;
    private final Map<String, MountEntry> base = new TreeMap<>(); // worker thread only
    private final Set<String> dirty = ConcurrentHashMap.newKeySet();
    private final AtomicBoolean flushQueued = new AtomicBoolean();
    private final CompletableFuture<Void> firstCopy = new CompletableFuture<>();
    private final AtomicBoolean closed = new AtomicBoolean();
    private String baseServer; // worker thread only
    private volatile State state = State.COPYING;
    private volatile Instant lastChange;
    private volatile String problem;
    private volatile long files;
    private volatile RemoteProcess watching;
    private volatile DirectoryWatcher localWatcher;
    private volatile boolean remoteUp;

    /**
     * @param root      the local folder
     * @param filter    what is not carried
     * @param conflicts where the server's side of a file changed on both sides is kept
     */
    public FolderSync(Path root, PathFilter filter, Server server, Path conflicts, Clock clock) {
        this.root = root.toAbsolutePath().normalize();
        this.filter = filter;
        this.server = server;
        this.conflicts = conflicts;
        this.clock = clock;
        this.remoteDir = RemoteFolder.serverPath(this.root);
        String name = this.root.getFileName() == null ? "root" : this.root.getFileName().toString();
        this.worker = Executors.newSingleThreadScheduledExecutor(Threads.named("mount-sync-" + name));
        this.remoteThread = new Thread(this::remoteLoop, "mount-watch-" + name);
        this.remoteThread.setDaemon(true);
    }

    public Path root() {
        return root;
    }

    /** The server path of the folder's copy (what a container's bind names instead of the local path). */
    public String remoteDir() {
        return remoteDir;
    }

    /** Starts keeping the folder in step; the future completes once the server has a complete copy. */
    public CompletableFuture<Void> start() {
        remoteThread.start();
        return firstCopy;
    }

    public CompletableFuture<Void> firstCopy() {
        return firstCopy;
    }

    public Status status() {
        State s = state;
        if (s == State.IN_STEP && (!dirty.isEmpty() || !remoteUp)) {
            s = State.BEHIND;
        }
        return new Status(filter.only() != null ? root.resolve(filter.only()) : root, remoteDir, files, s, lastChange, problem);
    }

    // ---- the server's side

    /** Runs the server's watcher; after a lost session, compares both sides whole and watches again. */
    private void remoteLoop() {
        long backoff = 500;
        while (!closed.get()) {
            RemoteProcess p = null;
            try {
                String id = server.id();
                RemoteFolder folder = new RemoteFolder(server.tunnel(), remoteDir);
                p = folder.watch();
                watching = p;
                BufferedReader lines = RemoteFolder.lines(p);
                String first = lines.readLine();
                if (!"ready".equals(first)) {
                    throw new IOException("the server's watcher of " + remoteDir + " did not start" + detail(p));
                }
                if (!firstCopy.isDone() && localWatcher == null) {
                    startLocalWatcher(); // before the first comparison: what changes during it is seen
                }
                onWorker(() -> reconcileAll(folder, id));
                remoteUp = true;
                problem = null;
                backoff = 500;
                if (!firstCopy.isDone()) {
                    firstCopy.complete(null);
                    log.info("mount {}: on the server as {} ({} files)", root, remoteDir, files);
                }
                List<String> batch = new ArrayList<>();
                String line;
                while ((line = lines.readLine()) != null) {
                    if (line.equals("~")) {
                        continue; // the watcher's heartbeat
                    }
                    if (line.equals(".")) {
                        List<String> b = batch;
                        batch = new ArrayList<>();
                        worker.execute(guarded(() -> remoteChanged(folder, b)));
                    } else {
                        batch.add(line);
                    }
                }
                if (!closed.get()) {
                    throw new IOException("the server's watcher ended" + detail(p));
                }
            } catch (IOException | RuntimeException e) {
                remoteUp = false;
                if (closed.get()) {
                    return;
                }
                String why = e.getMessage() != null ? e.getMessage() : e.toString();
                if (!firstCopy.isDone()) {
                    firstCopy.completeExceptionally(new IOException("cannot provide " + root + " to the server: " + why, e));
                    close();
                    return;
                }
                if (!why.equals(problem)) {
                    log.warn("mount {}: behind, catching up when the server answers again ({})", root, why);
                }
                problem = why;
                sleep(backoff);
                backoff = Math.min(backoff * 2, 5_000);
            } finally {
                watching = null;
                if (p != null) {
                    p.close();
                }
            }
        }
    }

    private static String detail(RemoteProcess p) {
        String err = p.stderr().strip();
        return err.isEmpty() ? "" : ": " + err;
    }

    /** Runs on the worker thread and waits for it; its failure is thrown here. */
    private void onWorker(IoTask task) throws IOException {
        try {
            worker.submit(() -> {
                task.run();
                return null;
            }).get();
        } catch (ExecutionException e) {
            if (e.getCause() instanceof IOException io) {
                throw io;
            }
            throw new IOException(e.getCause().toString(), e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
    }

    private interface IoTask {
        void run() throws IOException;
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
            log.warn("mount {}: cannot bring the container's changes here: {}", root, e.getMessage());
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
            worker.execute(guarded(() -> {
                try {
                    reconcileAll(new RemoteFolder(server.tunnel(), remoteDir), server.id());
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
            worker.schedule(guarded(this::flushLocal), BATCH.toMillis(), TimeUnit.MILLISECONDS);
        }
    }

    private void flushLocal() {
        flushQueued.set(false);
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
            RemoteFolder folder = new RemoteFolder(server.tunnel(), remoteDir);
            apply(folder, paths, local, folder.stat(paths));
        } catch (IOException e) {
            dirty.addAll(paths);
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
                retryLater();
            }
        };
    }

    private void retryLater() {
        if (flushQueued.compareAndSet(false, true)) {
            worker.schedule(guarded(this::flushLocal), RETRY.toMillis(), TimeUnit.MILLISECONDS);
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
        folder.delete(plan.deleteRemote());
        plan.deleteRemote().forEach(base::remove);
        folder.push(root, plan.push(), base::put);
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

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Stops keeping the folder in step; the server's copy stays until the server goes. Idempotent. */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        state = State.STOPPED;
        RemoteProcess p = watching;
        if (p != null) {
            p.close();
        }
        DirectoryWatcher w = localWatcher;
        if (w != null) {
            try {
                w.close();
            } catch (IOException e) {
                log.debug("mount {}: {}", root, e.toString());
            }
        }
        remoteThread.interrupt();
        worker.shutdownNow();
        firstCopy.completeExceptionally(new IOException("the sync of " + root + " stopped"));
    }
}

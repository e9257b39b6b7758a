package dev.dockbridge.bridge.mounts;

import java.io.Closeable;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.dockbridge.bridge.concurrent.Threads;

/**
 * The local folders provided to the server: one {@link FolderSync} per folder, however many containers bind it. A
 * folder stops being kept in step once no container on the server names its copy (after a grace for a container
 * being created); one that a container names is provided again after a daemon restart or on a new server. Owns the
 * syncs.
 */
public final class MountedFolders implements Closeable {
    private static final Logger log = LoggerFactory.getLogger(MountedFolders.class);
    /** A sync made for a create call is kept this long before a missing container may end it. */
    private static final Duration GRACE = Duration.ofMinutes(1);

    private final MountSettings settings;
    private final FolderSync.Server server;
    private final BindSources sourcesInUse;
    private final Clock clock;
    private final PathFilter ignore;
    private final Map<String, Entry> syncs = new ConcurrentHashMap<>();
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(Threads.named("mount-keeper"));
    private final ServerWatcher watcher;
    /** Command channels the syncs may have open at once: with the watcher's, half of what an sshd allows by default. */
    private final Semaphore commands = new Semaphore(4);

    private record Entry(FolderSync sync, Instant wanted) {
    }

    /** @param sourcesInUse the bind sources of every container on the ready server (null if none is ready); may throw */
    public MountedFolders(MountSettings settings, FolderSync.Server server, BindSources sourcesInUse, Clock clock) {
        this.settings = settings;
        this.server = server;
        this.sourcesInUse = sourcesInUse;
        this.clock = clock;
        this.ignore = PathFilter.ignoring(settings.ignore());
        this.watcher = new ServerWatcher(server);
    }

    public MountSettings settings() {
        return settings;
    }

    /**
     * The sync that provides local path {@code source} (a folder, or one file) to the server, made and started if
     * needed; null if the path is not the user's to provide (not under a root, not here, or mounts are off).
     */
    public FolderSync provide(Path source) {
        Path p = source.toAbsolutePath().normalize();
        if (!settings.enabled() || !settings.covers(p) || !Files.exists(p, LinkOption.NOFOLLOW_LINKS)) {
            return null;
        }
        boolean folder = Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS);
        Path root = folder ? p : p.getParent();
        PathFilter filter = folder ? ignore : ignore.onlyFile(p.getFileName().toString());
        String key = folder ? root.toString() : root + "\0" + p.getFileName();
        Entry e = syncs.compute(key, (k, old) -> {
            if (old != null && !old.sync().firstCopy().isCompletedExceptionally()) {
                return new Entry(old.sync(), clock.instant());
            }
            if (old != null) {
                watcher.remove(old.sync());
            }
            FolderSync s = new FolderSync(root, filter, server, commands, settings.conflicts(), clock);
            log.info("mount {}: providing it to the server", p);
            s.start();
            watcher.add(s);
            return new Entry(s, clock.instant());
        });
        return e.sync();
    }

    /** The ready server's id (what {@link FolderSync#copiedTo} takes); null if none is ready. */
    public String currentServer() {
        return server.id();
    }

    /** Status of each folder, by local path. */
    public List<FolderSync.Status> statuses() {
        return syncs.values().stream().map(e -> e.sync().status()).sorted(Comparator.comparing(s -> s.local().toString())).toList();
    }

    public void start(Duration every) throws IOException {
        sourcesInUse.start();
        watcher.start();
        timer.scheduleWithFixedDelay(this::keep, every.toMillis(), every.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** Provides what containers on the server name, and ends what none does. A failed round is logged; the next runs. */
    void keep() {
        try {
            Set<String> inUse = sourcesInUse.get();
            if (inUse == null) {
                return; // no server ready: nothing to tell
            }
            Set<String> needed = new HashSet<>();
            for (String source : inUse) {
                if (source.startsWith(RemoteFolder.ROOT + "/")) {
                    Path local = Path.of(source.substring(RemoteFolder.ROOT.length()));
                    needed.add(local.toString());
                    if (settings.enabled()) {
                        provide(local);
                    }
                }
            }
            Instant now = clock.instant();
            syncs.entrySet().removeIf(en -> {
                FolderSync s = en.getValue().sync();
                Path bound = s.status().local();
                boolean unused = !needed.contains(bound.toString()) && en.getValue().wanted().plus(GRACE).isBefore(now);
                if (unused || s.firstCopy().isCompletedExceptionally()) {
                    if (unused) {
                        log.info("mount {}: no container uses it any more; no longer kept in step", bound);
                    }
                    watcher.remove(s);
                    s.close();
                    return true;
                }
                return false;
            });
        } catch (RuntimeException e) {
            log.warn("mounts: cannot check which folders containers use: {}", e.toString());
        }
    }

    @Override
    public void close() {
        timer.shutdownNow();
        watcher.close();
        sourcesInUse.close();
        syncs.values().forEach(e -> e.sync().close());
        syncs.clear();
    }

    /** Thrown through {@link #provide} users: the first copy did not complete. */
    static IOException failure(Throwable t) {
        Throwable c = t.getCause() != null ? t.getCause() : t;
        return c instanceof IOException io ? io : new IOException(c.toString(), c);
    }
}

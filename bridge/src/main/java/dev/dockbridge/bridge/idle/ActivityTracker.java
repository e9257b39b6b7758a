package dev.dockbridge.bridge.idle;

import java.time.Clock;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicInteger;

import dev.dockbridge.bridge.docker.DockerSocketProxy;

/**
 * Use of the user's Docker socket: connections opened, bytes moved, connections held open (a
 * {@code logs -f}, an attach). The daemon's own traffic (watcher, keepalives) never reaches it. Port
 * forwards report through their own statistics. Thread-safe.
 */
public final class ActivityTracker implements DockerSocketProxy.ProxyListener {
    private final Clock clock;
    private final AtomicInteger open = new AtomicInteger();
    private volatile Instant last;

    public ActivityTracker(Clock clock) {
        this.clock = clock;
        this.last = clock.instant();
    }

    @Override
    public void opened() {
        open.incrementAndGet();
        touch();
    }

    @Override
    public void bytes(int count) {
        touch();
    }

    @Override
    public void closed() {
        open.decrementAndGet();
        touch();
    }

    /** Counts as use (e.g. a server was just created or adopted). */
    public void touch() {
        last = clock.instant();
    }

    public Instant lastActivity() {
        return last;
    }

    public int openDockerConnections() {
        return open.get();
    }
}

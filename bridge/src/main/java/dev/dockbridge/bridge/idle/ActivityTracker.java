package dev.dockbridge.bridge.idle;

import java.time.Clock;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicInteger;

import dev.dockbridge.bridge.docker.DockerSocketProxy;
import dev.dockbridge.bridge.docker.RequestClass;

/**
 * Use of the user's Docker socket, request by request: a request that uses the engine (create, start, exec,
 * logs, build, …) counts, and so do bytes moving on its connection and the connection while it stays open (a
 * {@code logs -f}, an attach). Looks ({@code docker ps}, an IDE's polling, an {@code /events} stream held
 * open) do not. The daemon's own traffic (watcher, keepalives) never reaches it. Port forwards report through
 * their own statistics. Thread-safe.
 */
public final class ActivityTracker implements DockerSocketProxy.ProxyListener {
    private final Clock clock;
    private final AtomicInteger inUse = new AtomicInteger();
    private volatile Instant last;

    public ActivityTracker(Clock clock) {
        this.clock = clock;
        this.last = clock.instant();
    }

    @Override
    public void request(RequestClass previous, RequestClass now) {
        if (now == RequestClass.USE) {
            touch();
            if (previous != RequestClass.USE) {
                inUse.incrementAndGet();
            }
        } else if (previous == RequestClass.USE) {
            inUse.decrementAndGet();
        }
    }

    @Override
    public void bytes(int count, RequestClass current) {
        if (current == RequestClass.USE) {
            touch();
        }
    }

    @Override
    public void closed(RequestClass last) {
        if (last == RequestClass.USE) {
            inUse.decrementAndGet();
            touch();
        }
    }

    /** Counts as use (e.g. a server was just created or adopted, a container's work ended). */
    public void touch() {
        last = clock.instant();
    }

    public Instant lastActivity() {
        return last;
    }

    /** Connections whose current request uses the engine (a {@code logs -f}, an attach, a build in progress). */
    public int openDockerConnections() {
        return inUse.get();
    }
}

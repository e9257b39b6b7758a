package dev.dockbridge.bridge.concurrent;

import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;

/** Thread factories for the daemon's pools: named for thread dumps, daemon threads so they never keep the JVM alive. */
public final class Threads {
    private Threads() {
    }

    /** Threads named {@code prefix-1}, {@code prefix-2}, … */
    public static ThreadFactory named(String prefix) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, prefix + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }
}

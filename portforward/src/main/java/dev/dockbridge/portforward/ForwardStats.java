package dev.dockbridge.portforward;

import java.time.Clock;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/** Counters of one forward, updated from event-loop threads. */
public final class ForwardStats {
    private final Clock clock;
    private final AtomicInteger open = new AtomicInteger();
    private final AtomicLong total = new AtomicLong();
    private final AtomicLong bytesIn = new AtomicLong();
    private final AtomicLong bytesOut = new AtomicLong();
    private volatile Instant lastUsed;

    ForwardStats(Clock clock) {
        this.clock = clock;
    }

    void opened() {
        open.incrementAndGet();
        total.incrementAndGet();
        lastUsed = clock.instant();
    }

    void closed() {
        open.decrementAndGet();
        lastUsed = clock.instant();
    }

    /** Bytes from the local client towards the container. */
    void in(long n) {
        bytesIn.addAndGet(n);
        lastUsed = clock.instant();
    }

    /** Bytes from the container back to the local client. */
    void out(long n) {
        bytesOut.addAndGet(n);
        lastUsed = clock.instant();
    }

    public int open() {
        return open.get();
    }

    public long total() {
        return total.get();
    }

    public long bytesIn() {
        return bytesIn.get();
    }

    public long bytesOut() {
        return bytesOut.get();
    }

    /** Null until the first connection. */
    public Instant lastUsed() {
        return lastUsed;
    }
}

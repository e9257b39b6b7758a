package dev.dockbridge.bridge.docker;

import java.time.Duration;

/**
 * What one local socket takes before it says no: open connections at once, new connections per second
 * (the rest wait in the kernel's backlog), and how long a client may stay connected without sending
 * anything. The defaults are far above what docker clients do and far below what hurts the daemon.
 */
public record ConnectionLimits(int maxConnections, int acceptsPerSecond, Duration firstByteTimeout) {
    public static final ConnectionLimits DEFAULTS = new ConnectionLimits(1024, 500, Duration.ofSeconds(30));

    public ConnectionLimits {
        if (maxConnections < 1 || acceptsPerSecond < 1 || firstByteTimeout.isNegative() || firstByteTimeout.isZero()) {
            throw new IllegalArgumentException("connection limits must be positive");
        }
    }
}

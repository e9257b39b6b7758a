package dev.dockbridge.hetzner;

import java.time.Duration;

/**
 * Truncated exponential backoff with full jitter, as the official Go client does.
 *
 * @param maxAttempts total tries of one request, first included
 * @param maxRateLimitWait longest wait for a rate-limit reset before giving up
 */
public record RetryPolicy(int maxAttempts, Duration baseDelay, Duration maxDelay, Duration maxRateLimitWait) {
    public static final RetryPolicy DEFAULT = new RetryPolicy(5, Duration.ofSeconds(1), Duration.ofSeconds(30), Duration.ofSeconds(60));
}

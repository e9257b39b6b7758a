package dev.dockbridge.bridge.idle;

import java.time.Duration;
import java.time.Instant;
import java.util.List;

/**
 * When an idle server is deleted: a pure function of the time, the last use, what is still open, and
 * (billing-aware) the server's paid hours. Hetzner bills every started hour from the server's creation,
 * so a deletion is moved to just before the end of the hour already paid: a server needed again within
 * that hour costs nothing extra.
 *
 * @param timeout      how long nothing must have happened
 * @param billingAware wait for the end of the paid hour
 * @param margin       how long before the hour's end to delete (the delete must land inside the hour)
 */
public record IdlePolicy(Duration timeout, boolean billingAware, Duration margin) {
    private static final Duration HOUR = Duration.ofHours(1);

    /**
     * @param idleFor   time since the last use
     * @param destroyIn time left until deletion; null while something blocks it
     * @param blockedBy what keeps the server, e.g. "1 open docker connection"
     */
    public record Decision(Duration idleFor, Duration destroyIn, List<String> blockedBy) {
        public boolean destroyNow() {
            return destroyIn != null && (destroyIn.isNegative() || destroyIn.isZero());
        }
    }

    public Decision decide(Instant now, Instant lastActivity, List<String> blockedBy, Instant serverCreated, Instant holdUntil) {
        Duration idleFor = Duration.between(lastActivity, now);
        if (idleFor.isNegative()) {
            idleFor = Duration.ZERO;
        }
        if (holdUntil != null && holdUntil.isAfter(now)) {
            return new Decision(idleFor, null, List.of("held until " + holdUntil));
        }
        if (!blockedBy.isEmpty()) {
            return new Decision(idleFor, null, List.copyOf(blockedBy));
        }
        Instant earliest = lastActivity.plus(timeout);
        if (billingAware && earliest.isBefore(now.minus(margin))) {
            // the moment passed while something blocked the deletion (a hold, another machine, an open stream): the hour
            // it fell in is over and the next one is paid already, so the server is the user's until that one ends
            earliest = now.minus(margin);
        }
        Instant at = deletionTime(earliest, serverCreated);
        return new Decision(idleFor, Duration.between(now, at), List.of());
    }

    /** The earliest deletion time not before {@code earliest}: with billing awareness, shortly before a paid hour ends. */
    Instant deletionTime(Instant earliest, Instant serverCreated) {
        if (!billingAware || serverCreated == null) {
            return earliest;
        }
        long hours = Math.max(1, (Duration.between(serverCreated, earliest).toSeconds() + HOUR.toSeconds() - 1) / HOUR.toSeconds());
        Instant candidate = serverCreated.plus(HOUR.multipliedBy(hours)).minus(margin);
        while (candidate.isBefore(earliest)) {
            candidate = candidate.plus(HOUR);
        }
        return candidate;
    }
}

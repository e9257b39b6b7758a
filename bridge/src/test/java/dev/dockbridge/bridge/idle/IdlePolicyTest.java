package dev.dockbridge.bridge.idle;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.List;

import org.junit.jupiter.api.Test;

import dev.dockbridge.bridge.docker.RequestClass;
import dev.dockbridge.bridge.testing.MutableClock;

/** The idle rules on a fake clock: no sleeping. */
class IdlePolicyTest {
    private static final Instant T0 = Instant.parse("2026-11-21T10:00:00Z");
    private final IdlePolicy plain = new IdlePolicy(Duration.ofMinutes(15), false, Duration.ofMinutes(2));
    private final IdlePolicy billing = new IdlePolicy(Duration.ofMinutes(15), true, Duration.ofMinutes(2));

    @Test
    void timeoutFiresAfterTheLastUse() {
        var d = plain.decide(T0.plus(Duration.ofMinutes(14)), T0, List.of(), null, null);
        assertThat(d.destroyNow()).isFalse();
        assertThat(d.destroyIn()).isEqualTo(Duration.ofMinutes(1));
        assertThat(d.idleFor()).isEqualTo(Duration.ofMinutes(14));
        assertThat(plain.decide(T0.plus(Duration.ofMinutes(15)), T0, List.of(), null, null).destroyNow()).isTrue();
    }

    @Test
    void everyKindOfActivityResetsTheCountdown() {
        MutableClock clock = new MutableClock(T0);
        ActivityTracker tracker = new ActivityTracker(clock);
        clock.advance(Duration.ofMinutes(14));
        tracker.request(null, RequestClass.USE); // a docker command that uses the engine (a logs -f, an attach)
        clock.advance(Duration.ofMinutes(14));
        assertThat(plain.decide(clock.instant(), tracker.lastActivity(), blockers(tracker), null, null).blockedBy())
                .containsExactly("1 open docker connection");
        tracker.bytes(10, RequestClass.USE);
        tracker.closed(RequestClass.USE);
        Instant used = tracker.lastActivity();
        clock.advance(Duration.ofMinutes(1));
        tracker.request(null, RequestClass.LOOK); // docker ps, an IDE polling: not use
        tracker.bytes(10, RequestClass.LOOK);
        tracker.closed(RequestClass.LOOK);
        assertThat(tracker.lastActivity()).isEqualTo(used);
        assertThat(tracker.openDockerConnections()).isZero();
        clock.advance(Duration.ofMinutes(-1));
        clock.advance(Duration.ofMinutes(14));
        assertThat(plain.decide(clock.instant(), tracker.lastActivity(), List.of(), null, null).destroyIn()).isEqualTo(Duration.ofMinutes(1));
        // a forward's use arrives as its own last-used time: the later of the two counts
        Instant forwardUsed = clock.instant();
        clock.advance(Duration.ofMinutes(14));
        Instant last = forwardUsed.isAfter(tracker.lastActivity()) ? forwardUsed : tracker.lastActivity();
        assertThat(plain.decide(clock.instant(), last, List.of(), null, null).destroyNow()).isFalse();
    }

    private static List<String> blockers(ActivityTracker tracker) {
        return tracker.openDockerConnections() > 0 ? List.of(tracker.openDockerConnections() + " open docker connection") : List.of();
    }

    @Test
    void anOpenConnectionBlocksForHours() {
        var d = plain.decide(T0.plus(Duration.ofHours(5)), T0, List.of("forward 8080: 2 connections"), null, null);
        assertThat(d.destroyIn()).isNull();
        assertThat(d.destroyNow()).isFalse();
        assertThat(d.blockedBy()).containsExactly("forward 8080: 2 connections");
    }

    @Test
    void billingAwareDeletionWaitsForTheEndOfThePaidHour() {
        Instant created = T0;
        // idle since 10:10, timeout 15 min -> earliest 10:25; the hour paid runs to 11:00 -> delete at 10:58
        var d = billing.decide(T0.plus(Duration.ofMinutes(30)), T0.plus(Duration.ofMinutes(10)), List.of(), created, null);
        assertThat(d.destroyIn()).isEqualTo(Duration.ofMinutes(28));
        // earliest 10:59 is past 10:58: the next hour is already started, so wait for 11:58
        var late = billing.decide(T0.plus(Duration.ofMinutes(50)), T0.plus(Duration.ofMinutes(44)), List.of(), created, null);
        assertThat(late.destroyIn()).isEqualTo(Duration.ofMinutes(68));
        // without billing awareness: 15 minutes after the last use
        assertThat(plain.decide(T0.plus(Duration.ofMinutes(30)), T0.plus(Duration.ofMinutes(10)), List.of(), created, null).destroyIn())
                .isEqualTo(Duration.ofMinutes(-5));
    }

    @Test
    void aDeletionWhoseMomentPassedWhileHeldWaitsForTheEndOfTheHourPaidByThen() {
        Instant created = T0;
        // idle since 10:10, so due at 10:58; held (another machine) until 11:35, when the 11:00-12:00 hour is paid already
        var released = billing.decide(T0.plus(Duration.ofMinutes(95)), T0.plus(Duration.ofMinutes(10)), List.of(), created, null);
        assertThat(released.destroyNow()).as("not at once, in the middle of a paid hour").isFalse();
        assertThat(released.destroyIn()).isEqualTo(Duration.ofMinutes(23)); // 11:58
        // within the margin of the hour it was due in (10:59), it is still that hour: deleted now
        assertThat(billing.decide(T0.plus(Duration.ofMinutes(59)), T0.plus(Duration.ofMinutes(10)), List.of(), created, null).destroyNow())
                .isTrue();
        // without billing awareness, at once
        assertThat(plain.decide(T0.plus(Duration.ofMinutes(95)), T0.plus(Duration.ofMinutes(10)), List.of(), created, null).destroyNow())
                .isTrue();
    }

    @Test
    void aHoldKeepsTheServerAndEnds() {
        Instant hold = T0.plus(Duration.ofHours(2));
        assertThat(plain.decide(T0.plus(Duration.ofHours(1)), T0, List.of(), null, hold).destroyIn()).isNull();
        assertThat(plain.decide(T0.plus(Duration.ofHours(3)), T0, List.of(), null, hold).destroyNow()).isTrue();
    }
}

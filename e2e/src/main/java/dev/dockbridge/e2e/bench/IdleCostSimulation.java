package dev.dockbridge.e2e.bench;

import java.math.BigDecimal;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import dev.dockbridge.bridge.idle.IdlePolicy;

/**
 * Replays activity traces (minutes of use in a day) under DockBridge's idle policy and prints billed
 * server-hours and cost: billing-aware (DockBridge's default), a plain timeout, and an always-on server.
 * A server is created at the first use after none exists and billed per started hour until deleted.
 * Run: {@code bash bench/idle-cost.sh}.
 */
public final class IdleCostSimulation {
    private static final Instant DAY = Instant.parse("2026-11-23T00:00:00Z");
    private static final BigDecimal HOURLY = new BigDecimal("0.0105"); // cx23 in fsn1, gross, from the API reference's example

    private IdleCostSimulation() {
    }

    /** Busy intervals: [start, end) in minutes since midnight; uses are one per minute inside them. */
    record Trace(String name, int[][] busy) {
    }

    public static void main(String[] args) {
        List<Trace> traces = List.of(
                new Trace("workday: bursts, lunch, meetings", new int[][] {
                    {9 * 60, 9 * 60 + 50}, {10 * 60 + 20, 11 * 60 + 30}, {11 * 60 + 55, 12 * 60 + 10}, {13 * 60 + 15, 14 * 60},
                    {14 * 60 + 40, 15 * 60 + 5}, {15 * 60 + 35, 17 * 60 + 20}, {17 * 60 + 50, 18 * 60}}),
                new Trace("short bursts every 40 min", burstsEvery(8 * 60, 18 * 60, 40, 5)),
                new Trace("one build at night", new int[][] {{2 * 60, 2 * 60 + 25}}),
                new Trace("idle day", new int[][] {}));
        Duration timeout = Duration.ofMinutes(15);
        System.out.println("Billed server-hours and cost per day (" + HOURLY + " EUR/h, every started hour billed), timeout "
                + timeout.toMinutes() + " min\n");
        System.out.println("| trace | billing-aware: hours | cost | servers | plain 15 min: hours | cost | servers | always-on: hours | cost |");
        System.out.println("|---|---|---|---|---|---|---|---|---|");
        for (Trace t : traces) {
            long[] aware = simulate(t, new IdlePolicy(timeout, true, Duration.ofMinutes(2)));
            long[] plain = simulate(t, new IdlePolicy(timeout, false, Duration.ofMinutes(2)));
            System.out.printf("| %s | %d | %s | %d | %d | %s | %d | 24 | %s |%n", t.name(), aware[0], cost(aware[0]), aware[1],
                    plain[0], cost(plain[0]), plain[1], cost(24));
        }
    }

    private static String cost(long hours) {
        return HOURLY.multiply(BigDecimal.valueOf(hours)).setScale(4, java.math.RoundingMode.HALF_UP).toPlainString();
    }

    private static int[][] burstsEvery(int from, int to, int every, int length) {
        List<int[]> out = new ArrayList<>();
        for (int m = from; m < to; m += every) {
            out.add(new int[] {m, m + length});
        }
        return out.toArray(int[][]::new);
    }

    /** @return {billed hours, servers created} */
    static long[] simulate(Trace trace, IdlePolicy policy) {
        Instant created = null;
        Instant lastUse = null;
        long billedHours = 0;
        long servers = 0;
        for (int minute = 0; minute < 24 * 60; minute++) {
            Instant now = DAY.plus(Duration.ofMinutes(minute));
            boolean used = false;
            for (int[] b : trace.busy()) {
                used |= minute >= b[0] && minute < b[1];
            }
            if (used) {
                if (created == null) {
                    created = now;
                    servers++;
                }
                lastUse = now;
            }
            if (created != null && !used && policy.decide(now, lastUse, List.of(), created, null).destroyNow()) {
                billedHours += startedHours(created, now);
                created = null;
            }
        }
        if (created != null) {
            billedHours += startedHours(created, DAY.plus(Duration.ofDays(1)));
        }
        return new long[] {billedHours, servers};
    }

    private static long startedHours(Instant from, Instant to) {
        long minutes = Math.max(1, Duration.between(from, to).toMinutes());
        return (minutes + 59) / 60;
    }
}

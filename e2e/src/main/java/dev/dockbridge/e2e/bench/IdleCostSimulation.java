package dev.dockbridge.e2e.bench;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;

import dev.dockbridge.bridge.docker.RequestClass;
import dev.dockbridge.bridge.idle.ContainerWork;
import dev.dockbridge.bridge.idle.IdlePolicy;

/**
 * The cost model of idle deletion: replays day-long traces minute by minute through the real policy code
 * ({@link RequestClass} for each request, {@link ContainerWork} for the containers, {@link IdlePolicy} for the
 * decision) and through the policies people compare it with, under Hetzner's billing (every started hour from
 * the create). Prints billed server-hours, hours with real work, jobs killed and servers created, next to an
 * oracle that knows the whole trace (the lower bound). Run: {@code bash bench/idle-cost.sh}.
 */
public final class IdleCostSimulation {
    private static final Instant DAY = Instant.parse("2026-11-23T00:00:00Z");
    private static final int MINUTES = 24 * 60;
    /** {@code idle.timeout}'s default when billing-aware (DockBridgeConfig.Idle). */
    private static final Duration TIMEOUT = Duration.ofMinutes(5);
    /** The plain timeout people compare with (and DockBridge's default before billing-aware deletion was measured here). */
    private static final Duration PLAIN = Duration.ofMinutes(15);
    /** The values of {@code idle.timeout} the second table replays DockBridge with. */
    private static final List<Duration> TIMEOUTS = List.of(TIMEOUT, Duration.ofMinutes(10), PLAIN, Duration.ofMinutes(30));
    /** {@code idle.unattended_timeout}'s default: the server's guard deletes it after this long without a session. */
    private static final Duration UNATTENDED = Duration.ofMinutes(30);
    private static final String USE = "POST /v1.41/containers/create";
    private static final String LOOK = "GET /v1.41/containers/json";

    private IdleCostSimulation() {
    }

    /**
     * One day. Intervals are [start, end) in minutes since midnight.
     *
     * @param person   minutes with a person's docker commands (one a minute)
     * @param polling  minutes in which an IDE or a dashboard polls (one look a minute)
     * @param jobs     containers started with {@code docker run -d} that compute until they end
     * @param asleep   minutes in which the laptop sleeps: no daemon runs to delete anything
     * @param other    a second machine's commands on the same server (its own daemon)
     */
    record Trace(String name, int[][] person, int[][] polling, int[][] jobs, int[][] asleep, int[][] other) {
    }

    enum Policy { DOCKBRIDGE, PLAIN_TIMEOUT, OFFLOAD_LIKE, ALWAYS_ON }

    record Result(long billedHours, long servers, long jobsKilled) {
    }

    public static void main(String[] args) {
        int[][] none = {};
        int[][] workday = {{9 * 60, 9 * 60 + 50}, {10 * 60 + 20, 11 * 60 + 30}, {11 * 60 + 55, 12 * 60 + 10}, {13 * 60 + 15, 14 * 60},
            {14 * 60 + 40, 15 * 60 + 5}, {15 * 60 + 35, 17 * 60 + 20}, {17 * 60 + 50, 18 * 60}};
        List<Trace> traces = List.of(
                new Trace("workday with lunch and meetings", workday, none, none, none, none),
                new Trace("the same, an IDE polling 8:30-18:30", workday, new int[][] {{8 * 60 + 30, 18 * 60 + 30}}, none, none, none),
                new Trace("nightly batch job, 2 h, docker run -d", new int[][] {{1 * 60, 1 * 60 + 2}}, none, new int[][] {{1 * 60 + 1, 3 * 60 + 1}},
                        none, none),
                new Trace("laptop sleeps 18:05-08:00, daemon running", workday, none, none,
                        new int[][] {{0, 8 * 60}, {18 * 60 + 5, MINUTES}}, none),
                new Trace("two machines share a profile", workday, none, none, none,
                        new int[][] {{9 * 60 + 50, 10 * 60 + 20}, {12 * 60 + 10, 13 * 60 + 15}}));
        BigDecimal hourly = new BigDecimal("0.0105");
        System.out.println("Billed server-hours per day (every started hour from the create is billed; " + hourly + " EUR/h for cx23),"
                + " DockBridge with its defaults (idle.timeout " + TIMEOUT.toMinutes() + " min, billing-aware); killed = jobs whose server was"
                + " deleted under them; servers = creates, each a wait for the command that needs it\n");
        System.out.println("| trace | work h | oracle h | oracle servers | DockBridge h (x oracle) | killed | servers | plain " + PLAIN.toMinutes()
                + " min h | killed | servers | Offload-like h | killed | servers | always-on h |");
        System.out.println("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|");
        for (Trace t : traces) {
            boolean[] needed = needed(t);
            long oracle = oracle(needed);
            long oracleServers = oracleServers(needed);
            Result db = simulate(t, Policy.DOCKBRIDGE, TIMEOUT);
            Result plain = simulate(t, Policy.PLAIN_TIMEOUT, PLAIN);
            Result offload = simulate(t, Policy.OFFLOAD_LIKE, PLAIN);
            System.out.printf("| %s | %.1f | %d | %d | %d (%s) | %d | %d | %d | %d | %d | %d | %d | %d | 24 |%n", t.name(), count(needed) / 60.0,
                    oracle, oracleServers,
                    db.billedHours(), ratio(db.billedHours(), oracle), db.jobsKilled(), db.servers(), plain.billedHours(), plain.jobsKilled(),
                    plain.servers(), offload.billedHours(), offload.jobsKilled(), offload.servers());
        }
        // billing-aware, a server is only ever deleted at the end of a paid hour, so idle.timeout only says how long it must
        // have been idle there: a shorter one costs nothing in hours and more new servers (each a wait for the next command)
        System.out.println("\nDockBridge by idle.timeout (billing-aware): billed hours (x oracle) / servers created\n");
        StringBuilder head = new StringBuilder("| trace | oracle h |");
        StringBuilder rule = new StringBuilder("|---|---|");
        for (Duration d : TIMEOUTS) {
            head.append(" ").append(d.toMinutes()).append(" min |");
            rule.append("---|");
        }
        System.out.println(head);
        System.out.println(rule);
        for (Trace t : traces) {
            long oracle = oracle(needed(t));
            StringBuilder row = new StringBuilder("| " + t.name() + " | " + oracle + " |");
            for (Duration d : TIMEOUTS) {
                Result r = simulate(t, Policy.DOCKBRIDGE, d);
                row.append(" ").append(r.billedHours()).append(" (").append(ratio(r.billedHours(), oracle)).append(") / ").append(r.servers())
                        .append(r.jobsKilled() > 0 ? ", " + r.jobsKilled() + " killed" : "").append(" |");
            }
            System.out.println(row);
        }
    }

    private static String ratio(long hours, long oracle) {
        return oracle == 0 ? (hours == 0 ? "1.00" : "inf") : BigDecimal.valueOf(hours).divide(BigDecimal.valueOf(oracle), 2, RoundingMode.HALF_UP)
                .toPlainString();
    }

    private static boolean in(int[][] intervals, int minute) {
        for (int[] i : intervals) {
            if (minute >= i[0] && minute < i[1]) {
                return true;
            }
        }
        return false;
    }

    /** Minutes in which a server is really needed: someone's commands, or a job computing. */
    static boolean[] needed(Trace t) {
        boolean[] n = new boolean[MINUTES];
        for (int m = 0; m < MINUTES; m++) {
            n[m] = in(t.person(), m) || in(t.jobs(), m) || in(t.other(), m);
        }
        return n;
    }

    private static long count(boolean[] b) {
        long c = 0;
        for (boolean x : b) {
            c += x ? 1 : 0;
        }
        return c;
    }

    /** The lower bound: server lifetimes covering every needed minute, each billed per started hour, chosen knowing the future. */
    static long oracle(boolean[] needed) {
        return oracleCost(needed)[0];
    }

    /** How many servers the oracle creates for its fewest hours (the fewest among equally cheap choices). */
    static long oracleServers(boolean[] needed) {
        return oracleCost(needed)[1];
    }

    /** {hours, servers}: hours first, then servers. */
    private static long[] oracleCost(boolean[] needed) {
        List<int[]> runs = new ArrayList<>();
        for (int m = 0; m < MINUTES; m++) {
            if (needed[m] && (m == 0 || !needed[m - 1])) {
                runs.add(new int[] {m, m + 1});
            } else if (needed[m]) {
                runs.get(runs.size() - 1)[1] = m + 1;
            }
        }
        long[] best = new long[runs.size() + 1];
        long[] servers = new long[runs.size() + 1];
        for (int i = 1; i <= runs.size(); i++) {
            best[i] = Long.MAX_VALUE;
            for (int j = 1; j <= i; j++) { // one server from run j to run i
                long minutes = runs.get(i - 1)[1] - runs.get(j - 1)[0];
                long hours = best[j - 1] + (minutes + 59) / 60;
                if (hours < best[i] || (hours == best[i] && servers[j - 1] + 1 < servers[i])) {
                    best[i] = hours;
                    servers[i] = servers[j - 1] + 1;
                }
            }
        }
        return new long[] {best[runs.size()], servers[runs.size()]};
    }

    static Result simulate(Trace t, Policy policy, Duration timeout) {
        MinuteClock clock = new MinuteClock();
        Instant[] lastUse = {DAY, DAY}; // what each machine's daemon last saw as use
        ContainerWork work = new ContainerWork(5.0, clock, () -> lastUse[0] = clock.instant());
        IdlePolicy idle = new IdlePolicy(timeout, policy == Policy.DOCKBRIDGE, Duration.ofMinutes(2));
        IdlePolicy guard = new IdlePolicy(UNATTENDED, true, Duration.ofMinutes(2));
        Instant lastPresence = DAY;
        Instant created = null;
        long billed = 0;
        long servers = 0;
        long killed = 0;
        long jobCpu = 0;
        boolean jobKilled = false; // a killed job is gone: it computes no more and brings no server back
        for (int m = 0; m < MINUTES; m++) {
            clock.minute = m;
            Instant now = clock.instant();
            List<String> requests = new ArrayList<>();
            if (in(t.person(), m)) {
                requests.add(USE);
            }
            if (in(t.polling(), m)) {
                requests.add(LOOK);
            }
            boolean jobRuns = in(t.jobs(), m) && !jobKilled;
            boolean otherUses = in(t.other(), m);
            for (String r : requests) {
                boolean counts = switch (policy) {
                    case DOCKBRIDGE -> RequestClass.of(r.split(" ")[0], r.split(" ")[1]) == RequestClass.USE;
                    default -> true; // every API call is use, and brings a server up
                };
                if (counts) {
                    lastUse[0] = now;
                    if (created == null) {
                        created = now;
                        servers++;
                    }
                }
            }
            if (otherUses) {
                lastUse[1] = now;
                if (created == null) {
                    created = now;
                    servers++;
                }
            }
            if (jobRuns && created == null) {
                created = now; // the job's own start command brought it up (it is also a person's command)
                servers++;
            }
            // the containers, as the daemon samples them: one minute of a job is one minute of CPU
            if (jobRuns) {
                jobCpu += 60_000_000_000L;
                work.record(List.of(new ContainerWork.Sample("job", "job", jobCpu, 0, DAY.plus(Duration.ofMinutes(t.jobs()[0][0])))));
            } else {
                work.record(List.of());
            }
            if (created == null || policy == Policy.ALWAYS_ON) {
                continue;
            }
            // DockBridge and a plain timeout decide in the laptop's daemon; an Offload-like service decides in the cloud
            boolean daemonAwake = !in(t.asleep(), m) || policy == Policy.OFFLOAD_LIKE;
            List<String> blockedBy = new ArrayList<>();
            if ((policy == Policy.DOCKBRIDGE && !work.working().isEmpty()) || (policy == Policy.OFFLOAD_LIKE && jobRuns)) {
                blockedBy.add("container job is working");
            }
            // each machine's daemon decides on its own use; with DockBridge another machine's recent use (its mark on the
            // server, up to a minute old) keeps the server; without, either one deleting ends the shared server
            boolean twoMachines = t.other().length > 0;
            Duration window = timeout.plus(Duration.ofMinutes(1));
            boolean delete = false;
            if (daemonAwake) {
                List<String> mine = new ArrayList<>(blockedBy);
                if (policy == Policy.DOCKBRIDGE && twoMachines && lastUse[1].isAfter(now.minus(window))) {
                    mine.add("in use from another machine");
                }
                delete = idle.decide(now, max(lastUse[0], created), mine, created, null).destroyNow();
                lastPresence = now;
            }
            if (twoMachines) {
                List<String> theirs = new ArrayList<>(blockedBy);
                if (policy == Policy.DOCKBRIDGE && lastUse[0].isAfter(now.minus(window))) {
                    theirs.add("in use from another machine");
                }
                delete |= idle.decide(now, max(lastUse[1], created), theirs, created, null).destroyNow();
                lastPresence = now;
            }
            // no daemon there (the laptop asleep): DockBridge's guard on the server decides, on the last session and work
            if (!daemonAwake && !twoMachines && policy == Policy.DOCKBRIDGE) {
                if (!work.working().isEmpty()) {
                    lastPresence = now;
                }
                delete = guard.decide(now, max(lastPresence, created), blockedBy, created, null).destroyNow();
            }
            if (delete) {
                billed += startedHours(created, now);
                created = null;
                if (jobRuns) {
                    killed++;
                    jobKilled = true;
                }
            }
        }
        if (policy == Policy.ALWAYS_ON) {
            return new Result(24, 1, 0);
        }
        if (created != null) {
            billed += startedHours(created, DAY.plus(Duration.ofDays(1)));
        }
        return new Result(billed, servers, killed);
    }

    private static Instant max(Instant a, Instant b) {
        return a.isAfter(b) ? a : b;
    }

    private static long startedHours(Instant from, Instant to) {
        long minutes = Math.max(1, Duration.between(from, to).toMinutes());
        return (minutes + 59) / 60;
    }

    /** The replay's clock: the minute being replayed. */
    private static final class MinuteClock extends Clock {
        int minute;

        @Override
        public Instant instant() {
            return DAY.plus(Duration.ofMinutes(minute));
        }

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return this;
        }
    }
}

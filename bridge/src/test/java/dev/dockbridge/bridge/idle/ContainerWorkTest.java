package dev.dockbridge.bridge.idle;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;

import dev.dockbridge.bridge.testing.MutableClock;

class ContainerWorkTest {
    private static final long SECOND = 1_000_000_000L;

    private final MutableClock clock = new MutableClock();
    private final AtomicInteger ended = new AtomicInteger();
    private final ContainerWork work = new ContainerWork(5.0, clock, ended::incrementAndGet);
    private final Instant created = clock.instant().minusSeconds(3600);

    private ContainerWork.Sample sample(String name, long cpuSeconds, long netBytes) {
        return new ContainerWork.Sample("id-" + name, name, cpuSeconds * SECOND, netBytes, created);
    }

    @Test
    void aBusyLoopIsWorkingAndASleeperIsNot() {
        work.record(List.of(sample("train", 0, 0), sample("sleeper", 1, 0)));
        clock.advance(Duration.ofSeconds(10));
        work.record(List.of(sample("train", 9, 0), sample("sleeper", 1, 0)));
        assertThat(work.working()).extracting(ContainerWork.Working::name).containsExactly("train");
        assertThat(work.working().get(0).cpuPercent()).isEqualTo(90.0);
        assertThat(work.working().get(0).describe()).isEqualTo("container train is working (90 % CPU)");
        assertThat(work.running()).containsExactly("train", "sleeper");
    }

    @Test
    void theAverageCoversTheLastMinuteAndWorkEndingIsTold() {
        long cpu = 0;
        work.record(List.of(sample("job", cpu, 0)));
        for (int i = 0; i < 6; i++) { // a minute at 100 %
            clock.advance(Duration.ofSeconds(10));
            cpu += 10;
            work.record(List.of(sample("job", cpu, 0)));
        }
        assertThat(work.working()).hasSize(1);
        for (int i = 0; i < 5; i++) { // idle for 50 s: the last minute still holds 10 s of work (16 %)
            clock.advance(Duration.ofSeconds(10));
            work.record(List.of(sample("job", cpu, 0)));
        }
        assertThat(work.working()).as("still above 5 % over the last minute").hasSize(1);
        assertThat(ended).hasValue(0);
        clock.advance(Duration.ofSeconds(10));
        work.record(List.of(sample("job", cpu, 0)));
        assertThat(work.working()).isEmpty();
        assertThat(ended).as("the idle countdown starts when the work ends").hasValue(1);
    }

    @Test
    void aContainerThatExitsStopsBeingWorkAtOnce() {
        work.record(List.of(sample("job", 0, 0)));
        clock.advance(Duration.ofSeconds(10));
        work.record(List.of(sample("job", 10, 0)));
        assertThat(work.working()).hasSize(1);
        clock.advance(Duration.ofSeconds(10));
        work.record(List.of());
        assertThat(work.working()).isEmpty();
        assertThat(work.running()).isEmpty();
        assertThat(ended).hasValue(1);
    }

    @Test
    void aJustStartedJobIsJudgedByItsLifeSoFarAndNetworkTrafficCounts() {
        ContainerWork.Sample fresh = new ContainerWork.Sample("id-new", "new", 4 * SECOND, 0, clock.instant().minusSeconds(5));
        work.record(List.of(fresh, sample("download", 0, 0)));
        assertThat(work.working()).extracting(ContainerWork.Working::name).containsExactly("new");
        clock.advance(Duration.ofSeconds(10));
        work.record(List.of(new ContainerWork.Sample("id-new", "new", 4 * SECOND, 0, clock.instant().minusSeconds(15)),
                sample("download", 0, 5_000_000)));
        assertThat(work.working()).extracting(ContainerWork.Working::name).containsExactly("download");
        assertThat(work.working().get(0).describe()).contains("KiB/min network");
    }

    @Test
    void zeroPercentMeansAnyRunningContainerKeepsTheServer() {
        ContainerWork any = new ContainerWork(0, clock, () -> { });
        any.record(List.of(sample("sleeper", 0, 0)));
        clock.advance(Duration.ofSeconds(10));
        any.record(List.of(sample("sleeper", 0, 0)));
        assertThat(any.working()).hasSize(1);
    }

}

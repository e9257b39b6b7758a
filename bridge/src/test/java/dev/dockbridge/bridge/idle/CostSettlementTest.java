package dev.dockbridge.bridge.idle;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.math.BigDecimal;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.dockbridge.bridge.host.HostProvider;
import dev.dockbridge.bridge.host.HourlyPrice;
import dev.dockbridge.bridge.host.ProvisionedHost;

class CostSettlementTest {
    private static final Instant T0 = Instant.parse("2026-11-21T10:00:00Z");
    private static final HourlyPrice CX23 = new HourlyPrice(new BigDecimal("0.0105"), "EUR");

    @TempDir
    Path dir;

    @Test
    void aServerItsGuardDeletedIsBilledUntilThenOneDeletedElsewhereUntilNowAndOneThatRunsStaysOpen() throws Exception {
        Clock now = Clock.fixed(T0.plusSeconds(3 * 24 * 3600), ZoneOffset.UTC); // the laptop comes back three days later
        CostBook costs = new CostBook(dir.resolve("costs.json"), now);
        costs.running("1", "guarded", T0, CX23);
        costs.running("2", "console", T0, CX23);
        costs.running("3", "running", T0, CX23);
        Provider provider = new Provider();
        provider.existing.add("3");
        provider.selfDeleted.put("1", T0.plusSeconds(90 * 60));
        provider.selfDeleted.put("7", T0.minusSeconds(3600)); // an older server whose entry was closed by a daemon already

        assertThat(new CostSettlement(costs, provider, "default", now).settle()).isEqualTo(2);

        assertThat(costs.cost("1")).as("until the guard's deletion at 1.5 h: two started hours").isEqualByComparingTo("0.0210");
        assertThat(costs.cost("2")).as("nobody said when: until now, 72 hours").isEqualByComparingTo("0.7560");
        assertThat(costs.openIds()).containsExactly("3");
        assertThat(provider.forgotten).containsExactlyInAnyOrder("1", "7");
        assertThat(new CostBook(dir.resolve("costs.json"), now).openIds()).as("kept on disk").containsExactly("3");
    }

    @Test
    void aGuardStillTryingToDeleteKeepsItsMarkAndNothingOpenMeansNoLookup() throws Exception {
        Clock now = Clock.fixed(T0.plusSeconds(7200), ZoneOffset.UTC);
        CostBook costs = new CostBook(dir.resolve("costs.json"), now);
        Provider provider = new Provider();
        assertThat(new CostSettlement(costs, provider, "default", now).settle()).isZero();
        assertThat(provider.lookups + provider.markReads).as("no open entry: no API call at all").isZero();

        costs.running("4", "retrying", T0, CX23);
        provider.existing.add("4");
        provider.selfDeleted.put("4", T0.plusSeconds(3000)); // its DELETE failed; the guard tries again
        assertThat(new CostSettlement(costs, provider, "default", now).settle()).isZero();
        assertThat(costs.openIds()).containsExactly("4");
        assertThat(provider.forgotten).isEmpty();
    }

    private static final class Provider implements HostProvider {
        final Set<String> existing = new HashSet<>();
        final Map<String, Instant> selfDeleted = new LinkedHashMap<>();
        final List<String> forgotten = new ArrayList<>();
        int lookups;
        int markReads;

        @Override
        public String describe() {
            return "fake";
        }

        @Override
        public List<ProvisionedHost> findExisting() {
            lookups++;
            return existing.stream().map(id -> new ProvisionedHost(id, "h" + id, null, T0, "cx23", "nbg1", false, "running")).toList();
        }

        @Override
        public ProvisionedHost create(Consumer<String> progress) throws IOException {
            throw new IOException("not here");
        }

        @Override
        public void destroy(ProvisionedHost host) {
        }

        @Override
        public Map<String, Instant> selfDeletions() {
            markReads++;
            return Map.copyOf(selfDeleted);
        }

        @Override
        public void forgetSelfDeletions(Set<String> hostIds) {
            forgotten.addAll(hostIds);
        }

        @Override
        public boolean disposable() {
            return true;
        }
    }
}

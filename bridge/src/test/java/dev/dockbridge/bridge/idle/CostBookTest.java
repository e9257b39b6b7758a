package dev.dockbridge.bridge.idle;

import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigDecimal;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.dockbridge.bridge.host.HourlyPrice;

class CostBookTest {
    @TempDir
    Path dir;

    private static final Instant T0 = Instant.parse("2026-11-21T10:00:00Z");
    private static final HourlyPrice CX23 = new HourlyPrice(new BigDecimal("0.0105"), "EUR");

    @Test
    void everyStartedHourCountsAndTheTotalSurvivesARestart() {
        CostBook book = new CostBook(dir.resolve("costs.json"), Clock.fixed(T0.plusSeconds(90 * 60), ZoneOffset.UTC));
        book.running("1", "a", T0, CX23);
        assertThat(book.cost("1")).isEqualByComparingTo("0.0210"); // 1.5 h: two started hours
        book.deleted("1");

        CostBook later = new CostBook(dir.resolve("costs.json"), Clock.fixed(T0.plusSeconds(5 * 3600), ZoneOffset.UTC));
        assertThat(later.cost("1")).as("deleted at 1.5 h, stays").isEqualByComparingTo("0.0210");
        later.running("2", "b", T0.plusSeconds(4 * 3600), CX23);
        assertThat(later.total()).isEqualByComparingTo("0.0315");
        assertThat(later.currency()).isEqualTo("EUR");
    }
}

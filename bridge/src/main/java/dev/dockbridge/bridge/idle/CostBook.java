package dev.dockbridge.bridge.idle;

import java.io.IOException;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.dockbridge.bridge.host.HourlyPrice;

/**
 * What the profile's servers have cost, kept in {@code costs.json} in the profile's state directory so it
 * survives restarts. A server costs its hourly price for every started hour between creation and deletion
 * (Hetzner's per-hour billing; the monthly cap is not applied). Thread-safe.
 */
public final class CostBook {
    private static final Logger log = LoggerFactory.getLogger(CostBook.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path file;
    private final Clock clock;
    private final Map<String, Entry> servers = new LinkedHashMap<>(); // guarded by this

    /** One server: created, deleted (null while it runs), hourly gross price. */
    public record Entry(String name, Instant created, Instant deleted, BigDecimal hourly, String currency) {
        BigDecimal cost(Instant now) {
            Instant end = deleted != null ? deleted : now;
            long seconds = Math.max(1, Duration.between(created, end).toSeconds());
            long hours = (seconds + 3599) / 3600;
            return hourly.multiply(BigDecimal.valueOf(hours));
        }
    }

    public CostBook(Path file, Clock clock) {
        this.file = file;
        this.clock = clock;
        load();
    }

    private void load() {
        if (!Files.exists(file)) {
            return;
        }
        try {
            JSON.readTree(file.toFile()).path("servers").fields().forEachRemaining(e -> {
                var n = e.getValue();
                servers.put(e.getKey(), new Entry(n.path("name").asText(), Instant.parse(n.path("created").asText()),
                        n.hasNonNull("deleted") ? Instant.parse(n.path("deleted").asText()) : null,
                        new BigDecimal(n.path("hourly_gross").asText()), n.path("currency").asText()));
            });
        } catch (IOException | RuntimeException e) {
            log.warn("cannot read {} ({}); the profile's cost starts again from zero", file, e.getMessage());
        }
    }

    public synchronized void running(String id, String name, Instant created, HourlyPrice price) {
        Entry existing = servers.get(id);
        if (existing == null || existing.deleted() != null) {
            servers.put(id, new Entry(name, created, null, price.gross(), price.currency()));
            save();
        }
    }

    public void deleted(String id) {
        deleted(id, clock.instant());
    }

    /** A deletion learnt after the fact (the server's guard deleted it): billed until {@code at}, not until now. */
    public synchronized void deleted(String id, Instant at) {
        Entry e = servers.get(id);
        if (e != null && e.deleted() == null) {
            servers.put(id, new Entry(e.name(), e.created(), at.isBefore(e.created()) ? e.created() : at, e.hourly(), e.currency()));
            save();
        }
    }

    /** The cost of one server so far, or null if unknown. */
    public synchronized BigDecimal cost(String id) {
        Entry e = servers.get(id);
        return e == null ? null : e.cost(clock.instant()).setScale(4, RoundingMode.HALF_UP);
    }

    /** Everything the profile's servers have cost. */
    public synchronized BigDecimal total() {
        Instant now = clock.instant();
        return servers.values().stream().map(e -> e.cost(now)).reduce(BigDecimal.ZERO, BigDecimal::add).setScale(4, RoundingMode.HALF_UP);
    }

    /** The servers not known to be deleted: with no daemon running, they may still be costing money. */
    public synchronized List<Entry> open() {
        return servers.values().stream().filter(e -> e.deleted() == null).toList();
    }

    /** The ids of the servers not known to be deleted. */
    public synchronized List<String> openIds() {
        return servers.entrySet().stream().filter(e -> e.getValue().deleted() == null).map(Map.Entry::getKey).toList();
    }

    public synchronized String currency() {
        return servers.values().stream().map(Entry::currency).findFirst().orElse("EUR");
    }

    private void save() {
        ObjectNode root = JSON.createObjectNode();
        ObjectNode list = root.putObject("servers");
        servers.forEach((id, e) -> {
            ObjectNode n = list.putObject(id);
            n.put("name", e.name()).put("created", e.created().toString())
                    .put("deleted", e.deleted() == null ? null : e.deleted().toString())
                    .put("hourly_gross", e.hourly().toPlainString()).put("currency", e.currency());
        });
        try {
            Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
            JSON.writerWithDefaultPrettyPrinter().writeValue(tmp.toFile(), root);
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            log.warn("cannot write {}: {}", file, e.getMessage());
        }
    }
}

package dev.dockbridge.bridge.idle;

import java.io.IOException;
import java.time.Clock;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.dockbridge.bridge.host.HostProvider;
import dev.dockbridge.bridge.host.ProvisionedHost;

/**
 * Closes the cost book's entries of servers that are gone although no daemon of this machine deleted them: the
 * server's guard deleted it while no daemon ran (billed until the time it recorded), or someone deleted it in the
 * Cloud Console (billed until now, the latest it can have been). Run when a daemon starts.
 */
public final class CostSettlement {
    private static final Logger log = LoggerFactory.getLogger(CostSettlement.class);

    private final CostBook costs;
    private final HostProvider provider;
    private final String profile;
    private final Clock clock;

    public CostSettlement(CostBook costs, HostProvider provider, String profile, Clock clock) {
        this.costs = costs;
        this.provider = provider;
        this.profile = profile;
        this.clock = clock;
    }

    /** @return how many entries it closed */
    public int settle() throws IOException {
        List<String> open = costs.openIds();
        if (open.isEmpty()) {
            return 0; // the usual start: no API call (a running daemon that finds its server gone forgets the mark itself)
        }
        Map<String, Instant> selfDeleted = provider.selfDeletions();
        Set<String> existing = provider.findExisting().stream().map(ProvisionedHost::id).collect(Collectors.toSet());
        int closed = 0;
        for (String id : open) {
            if (existing.contains(id)) {
                continue;
            }
            Instant at = selfDeleted.get(id);
            if (at != null) {
                log.info("profile {}: server {} deleted itself at {} while no daemon ran; its cost is closed at that time", profile, id, at);
            } else {
                at = clock.instant();
                log.warn("profile {}: server {} is gone and did not say when (deleted outside DockBridge?); its cost is closed now, "
                        + "the latest it can have been billed until", profile, id);
            }
            costs.deleted(id, at);
            closed++;
        }
        Set<String> settled = new HashSet<>(selfDeleted.keySet());
        settled.removeAll(existing); // a guard whose DELETE failed is still trying: its mark stays until the server is gone
        provider.forgetSelfDeletions(settled);
        return closed;
    }
}

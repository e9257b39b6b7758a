package dev.dockbridge.hetzner;

import java.util.List;
import java.util.Map;

/** A cloud firewall and its rules. */
public record Firewall(long id, String name, Map<String, String> labels, List<Rule> rules) {

    /** {@code direction} in/out, {@code protocol} tcp/udp/icmp/…, {@code port} like "22" or null. */
    public record Rule(String direction, String protocol, String port, List<String> sourceIps, String description) {
    }
}

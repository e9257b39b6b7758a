package dev.dockbridge.hetzner;

import java.util.Map;

/** A server as the API reports it (only the fields DockBridge uses; unknown fields are ignored). */
public record Server(long id, String name, String status, String created, PublicNet publicNet,
                     Ref serverType, Ref location, Map<String, String> labels) {

    public record PublicNet(Ip ipv4, Ip ipv6) {
    }

    public record Ip(String ip) {
    }

    /** A nested object of which DockBridge reads the name (and, for server types, the architecture). */
    public record Ref(String name, String architecture) {
    }

    public Server {
        labels = labels == null ? Map.of() : Map.copyOf(labels);
    }

    /** The public IPv4 address, or null. */
    public String ipv4() {
        return publicNet == null || publicNet.ipv4() == null ? null : publicNet.ipv4().ip();
    }

    public String typeName() {
        return serverType == null ? null : serverType.name();
    }

    public String locationName() {
        return location == null ? null : location.name();
    }
}

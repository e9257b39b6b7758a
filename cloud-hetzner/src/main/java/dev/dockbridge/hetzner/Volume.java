package dev.dockbridge.hetzner;

import java.util.Map;

/** A block volume; {@code server} is null while detached. */
public record Volume(long id, String name, Long server, String status, int size, String linuxDevice, Server.Ref location,
                     Map<String, String> labels) {
}

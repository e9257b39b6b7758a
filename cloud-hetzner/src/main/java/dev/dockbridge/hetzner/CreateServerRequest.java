package dev.dockbridge.hetzner;

import java.util.List;
import java.util.Map;

/**
 * The body of {@code POST /servers}: what DockBridge sets (start after create, IPv4 and IPv6).
 *
 * @param volumes attached at creation, without Hetzner's automount (cloud-init mounts them where they belong)
 */
public record CreateServerRequest(String name, String serverType, long image, String location, List<Long> sshKeys,
                                  List<Long> firewalls, Map<String, String> labels, String userData, List<Long> volumes) {

    public CreateServerRequest(String name, String serverType, long image, String location, List<Long> sshKeys,
                               List<Long> firewalls, Map<String, String> labels, String userData) {
        this(name, serverType, image, location, sshKeys, firewalls, labels, userData, List.of());
    }
}

package dev.dockbridge.hetzner;

import java.util.Map;

/** An SSH public key stored in the project; {@code fingerprint} is the legacy MD5 form ({@code aa:bb:…}). */
public record SshKey(long id, String name, String fingerprint, String publicKey, Map<String, String> labels) {
}

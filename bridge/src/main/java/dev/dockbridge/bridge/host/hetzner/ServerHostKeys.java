package dev.dockbridge.bridge.host.hetzner;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Optional;

import dev.dockbridge.bridge.host.ProfileKeys;

/**
 * One host key per server, under {@code <state>/hosts/<server name>} (0600, folder 0700): whoever reads a server's
 * key (it travels in {@code user_data}) can impersonate that server only, never the profile's next one. Written
 * before the create call, so a daemon that crashes mid-create still adopts the server. Servers made before per-server
 * keys were pinned to the profile's one key, which is still read for them.
 */
public final class ServerHostKeys {
    private final Path dir;
    private final Path legacy;
    private final String profile;

    /** @param legacy the profile's old single host key ({@code host_ed25519}), used for servers that have no key of their own */
    public ServerHostKeys(Path stateDir, Path legacy, String profile) {
        this.dir = stateDir.resolve("hosts");
        this.legacy = legacy;
        this.profile = profile;
    }

    /** A new key for a server about to be created. */
    public ProfileKeys create(String serverName) throws IOException {
        if (!Files.isDirectory(dir)) {
            Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        }
        Path file = file(serverName);
        Files.deleteIfExists(file);
        return ProfileKeys.loadOrCreate(file, "dockbridge-host-" + profile + "-" + serverName);
    }

    /** The key a server was given; empty when this machine never made one for it. */
    public Optional<ProfileKeys> of(String serverName) throws IOException {
        Path file = file(serverName);
        if (Files.exists(file)) {
            return Optional.of(ProfileKeys.loadOrCreate(file, "dockbridge-host-" + profile + "-" + serverName));
        }
        return Files.exists(legacy) ? Optional.of(ProfileKeys.loadOrCreate(legacy, "dockbridge-host-" + profile)) : Optional.empty();
    }

    /** The server is gone (or was never made): its key is of no use to anyone. */
    public void forget(String serverName) throws IOException {
        Files.deleteIfExists(file(serverName));
        Files.deleteIfExists(file(serverName).resolveSibling(serverName + ".pub"));
    }

    private Path file(String serverName) {
        if (!serverName.matches("[a-zA-Z0-9][a-zA-Z0-9.-]*")) {
            throw new IllegalArgumentException("not a server name: " + serverName);
        }
        return dir.resolve(serverName);
    }
}

package dev.dockbridge.bridge.mounts;

import java.nio.file.Path;
import java.util.List;

/**
 * The {@code mounts:} settings: whether local folders are provided to the server at all, which local paths count as
 * the user's folders ({@code roots}), what is not carried ({@code ignore}), and where conflict copies go.
 */
public record MountSettings(boolean enabled, List<Path> roots, List<String> ignore, Path conflicts) {

    /** Whether {@code path} (absolute, normalized) is one of the user's: under a root. */
    public boolean covers(Path path) {
        return roots.stream().anyMatch(path::startsWith);
    }
}

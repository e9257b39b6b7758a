package dev.dockbridge.bridge.mounts;

import java.nio.file.FileSystems;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.util.List;

/**
 * Which relative paths of a folder are not carried ({@code mounts.ignore}): a pattern without a slash is a glob on
 * any one name ({@code node_modules}, {@code *.pyc}), one with a slash a glob on the whole relative path
 * ({@code build/tmp/**}); what lies under an ignored directory is ignored with it. DockBridge's own temporary files
 * are never carried. For a bind of a single file, only that file's name is.
 */
public final class PathFilter {
    static final String TEMP_PREFIX = ".~dockbridge.";

    private final List<PathMatcher> names;
    private final List<PathMatcher> paths;
    private final String only; // null: every path but the ignored

    private PathFilter(List<String> patterns, String only) {
        this.names = patterns.stream().filter(p -> !p.contains("/")).map(p -> FileSystems.getDefault().getPathMatcher("glob:" + p)).toList();
        this.paths = patterns.stream().filter(p -> p.contains("/")).map(p -> FileSystems.getDefault().getPathMatcher("glob:" + strip(p))).toList();
        this.only = only;
    }

    public static PathFilter ignoring(List<String> patterns) {
        return new PathFilter(patterns, null);
    }

    /** Only {@code name}, a file directly in the folder (a bind of that one file). */
    public PathFilter onlyFile(String name) {
        return new PathFilter(List.of(), name);
    }

    private static String strip(String p) {
        return p.startsWith("/") ? p.substring(1) : p;
    }

    /** Whether {@code relative} (slash-separated, no leading slash) is not carried. */
    public boolean skips(String relative) {
        if (only != null) {
            return !relative.equals(only);
        }
        Path p = Path.of(relative);
        for (int i = 0; i < p.getNameCount(); i++) {
            Path name = p.getName(i);
            if (name.toString().startsWith(TEMP_PREFIX)) {
                return true;
            }
            for (PathMatcher m : names) {
                if (m.matches(name)) {
                    return true;
                }
            }
            Path prefix = p.subpath(0, i + 1);
            for (PathMatcher m : paths) {
                if (m.matches(prefix)) {
                    return true;
                }
            }
        }
        return false;
    }

    public String only() {
        return only;
    }
}

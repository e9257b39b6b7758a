package dev.dockbridge.bridge.mounts;

import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Map;
import java.util.TreeMap;

/** This machine's side of a folder: its entries by relative path (slash-separated), links not followed. */
final class LocalTree {
    private LocalTree() {
    }

    /** Every carried path of the folder. */
    static Map<String, MountEntry> all(Path root, PathFilter filter) throws IOException {
        if (filter.only() != null) {
            Map<String, MountEntry> one = new TreeMap<>();
            MountEntry e = MountEntry.of(root.resolve(filter.only()));
            if (e != null) {
                one.put(filter.only(), e);
            }
            return one;
        }
        return walk(root, root, filter);
    }

    /** Every carried path under {@code root} (or under {@code from}, a path inside it). */
    static Map<String, MountEntry> walk(Path root, Path from, PathFilter filter) throws IOException {
        Map<String, MountEntry> entries = new TreeMap<>();
        if (!Files.exists(from)) {
            return entries;
        }
        Files.walkFileTree(from, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) throws IOException {
                if (dir.equals(root)) {
                    return FileVisitResult.CONTINUE;
                }
                String rel = relative(root, dir);
                if (filter.skips(rel)) {
                    return FileVisitResult.SKIP_SUBTREE;
                }
                add(rel, dir, attrs);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                String rel = relative(root, file);
                if (!filter.skips(rel)) {
                    add(rel, file, attrs);
                }
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFileFailed(Path file, IOException e) {
                return FileVisitResult.CONTINUE; // gone meanwhile, or unreadable: not carried
            }

            private void add(String rel, Path p, BasicFileAttributes attrs) throws IOException {
                MountEntry e = MountEntry.of(p, attrs);
                if (e != null) {
                    entries.put(rel, e);
                }
            }
        });
        return entries;
    }

    static String relative(Path root, Path p) {
        return root.relativize(p).toString().replace('\\', '/');
    }
}

package dev.dockbridge.bridge.mounts;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermission;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import java.util.function.Predicate;

import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;

/**
 * The tar streams that carry files across: written here from local paths (POSIX format, so names of any length and
 * times to the sub-second), and read here into a local folder, each file written beside its place and moved over
 * it, so that a watcher or a reader never sees half a file.
 */
final class TarFiles {
    private TarFiles() {
    }

    /**
     * Writes the given paths of {@code root} (parents before children); a path gone meanwhile is left out.
     *
     * @return the entries as written, by path
     */
    static void write(Path root, List<String> paths, OutputStream out, BiConsumer<String, MountEntry> written) throws IOException {
        // Nothing after the end-of-archive blocks: GNU tar exits on them, the server closes the channel, and padding
        // written after that (a tar record is 10 KiB by default) fails as a write to a closed channel.
        BufferedOutputStream buffered = new BufferedOutputStream(out, 64 * 1024);
        TarArchiveOutputStream tar = new TarArchiveOutputStream(buffered, TarConstants.DEFAULT_RCDSIZE);
        tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
        tar.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_POSIX);
        tar.setAddPaxHeadersForNonAsciiNames(true);
        for (String rel : paths) {
            Path p = root.resolve(rel);
            MountEntry e = MountEntry.of(p);
            if (e == null) {
                continue;
            }
            TarArchiveEntry t;
            switch (e.type()) {
                case 'd' -> t = new TarArchiveEntry(rel + "/", TarConstants.LF_DIR);
                case 'l' -> {
                    t = new TarArchiveEntry(rel, TarConstants.LF_SYMLINK);
                    t.setLinkName(e.link());
                }
                default -> {
                    t = new TarArchiveEntry(rel);
                    t.setSize(e.size());
                }
            }
            t.setMode((e.type() == 'd' ? 040000 : e.type() == 'l' ? 0120000 : 0100000) | e.mode());
            t.setModTime(FileTime.from(e.mtimeMicros(), TimeUnit.MICROSECONDS));
            if (e.type() == 'f') {
                try (InputStream in = Files.newInputStream(p)) {
                    tar.putArchiveEntry(t);
                    long copied = in.transferTo(new BoundedOutput(tar, e.size()));
                    for (long i = copied; i < e.size(); i++) {
                        tar.write(0); // it shrank while being read: the next change brings it right
                    }
                } catch (NoSuchFileException gone) {
                    continue;
                }
            } else {
                tar.putArchiveEntry(t);
            }
            tar.closeArchiveEntry();
            written.accept(rel, e);
        }
        tar.finish();
        tar.flush();
        buffered.flush();
    }

    /**
     * Reads a tar into {@code root}: files, directories and links, with their mode and time.
     *
     * @param accept whether a path (relative) may be written; a name that would leave {@code root} never is
     */
    static void read(InputStream in, Path root, Predicate<String> accept, BiConsumer<String, MountEntry> read)
            throws IOException {
        TarArchiveInputStream tar = new TarArchiveInputStream(in);
        TarArchiveEntry t;
        while ((t = tar.getNextEntry()) != null) {
            String rel = t.getName();
            while (rel.startsWith("./")) {
                rel = rel.substring(2);
            }
            if (rel.endsWith("/")) {
                rel = rel.substring(0, rel.length() - 1);
            }
            Path target = root.resolve(rel).normalize();
            if (rel.isEmpty() || !target.startsWith(root) || target.equals(root) || !accept.test(rel)) {
                continue;
            }
            Files.createDirectories(target.getParent());
            int mode = t.getMode() & 0777;
            FileTime mtime = t.getLastModifiedTime();
            if (t.isDirectory()) {
                if (!Files.isDirectory(target, LinkOption.NOFOLLOW_LINKS)) {
                    Files.deleteIfExists(target);
                    Files.createDirectories(target);
                }
                Files.setPosixFilePermissions(target, permissions(mode));
            } else if (t.isSymbolicLink()) {
                Path temp = temp(target);
                Files.createSymbolicLink(temp, Path.of(t.getLinkName()));
                replace(temp, target);
            } else if (t.isFile()) {
                Path temp = temp(target);
                try (OutputStream out = Files.newOutputStream(temp)) {
                    tar.transferTo(out);
                }
                Files.setPosixFilePermissions(temp, permissions(mode));
                Files.setLastModifiedTime(temp, mtime);
                replace(temp, target);
            } else {
                continue;
            }
            MountEntry e = MountEntry.of(target);
            if (e != null) {
                read.accept(rel, e);
            }
        }
    }

    private static Path temp(Path target) {
        return target.resolveSibling(PathFilter.TEMP_PREFIX + Long.toHexString(ThreadLocalRandom.current().nextLong()));
    }

    private static void replace(Path temp, Path target) throws IOException {
        try {
            if (Files.isDirectory(target, LinkOption.NOFOLLOW_LINKS)) {
                deleteTree(target);
            }
            Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException | FileAlreadyExistsException e) {
            Files.move(temp, target, StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(temp);
        }
    }

    static void deleteTree(Path p) throws IOException {
        if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
            try (var children = Files.list(p)) {
                for (Path c : children.toList()) {
                    deleteTree(c);
                }
            }
        }
        Files.deleteIfExists(p);
    }

    static Set<PosixFilePermission> permissions(int mode) {
        Set<PosixFilePermission> s = EnumSet.noneOf(PosixFilePermission.class);
        PosixFilePermission[] order = {
            PosixFilePermission.OTHERS_EXECUTE, PosixFilePermission.OTHERS_WRITE, PosixFilePermission.OTHERS_READ,
            PosixFilePermission.GROUP_EXECUTE, PosixFilePermission.GROUP_WRITE, PosixFilePermission.GROUP_READ,
            PosixFilePermission.OWNER_EXECUTE, PosixFilePermission.OWNER_WRITE, PosixFilePermission.OWNER_READ};
        for (int i = 0; i < order.length; i++) {
            if ((mode & (1 << i)) != 0) {
                s.add(order[i]);
            }
        }
        return s;
    }

    /** Passes on at most {@code limit} bytes (a file that grew while read keeps the size its header says). */
    private static final class BoundedOutput extends OutputStream {
        private final OutputStream out;
        private long left;

        BoundedOutput(OutputStream out, long limit) {
            this.out = out;
            this.left = limit;
        }

        @Override
        public void write(int b) throws IOException {
            if (left > 0) {
                out.write(b);
                left--;
            }
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            int n = (int) Math.min(len, left);
            if (n > 0) {
                out.write(b, off, n);
                left -= n;
            }
        }
    }
}

package dev.dockbridge.bridge.mounts;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.concurrent.TimeUnit;

/**
 * What the sync knows of one path of a folder, on either side: its type ({@code f} file, {@code d} directory,
 * {@code l} symbolic link), permission bits, size, modification time (microseconds: what both sides' tar keeps) and
 * a link's target. Two sides agree on a path when their entries are {@link #same}.
 */
public record MountEntry(char type, int mode, long size, long mtimeMicros, String link) {

    /**
     * Whether both describe the same content: a directory by its mode (its time moves with its children), a link by
     * its target, a file by size, time and mode. Null (no such path) is the same only as null.
     */
    public static boolean same(MountEntry a, MountEntry b) {
        if (a == null || b == null) {
            return a == b;
        }
        if (a.type != b.type) {
            return false;
        }
        return switch (a.type) {
            case 'd' -> a.mode == b.mode;
            case 'l' -> a.link.equals(b.link);
            default -> a.size == b.size && a.mtimeMicros == b.mtimeMicros && a.mode == b.mode;
        };
    }

    /** The entry of a local path, or null if there is none (or it is not a file, directory or link). */
    public static MountEntry of(Path path) throws IOException {
        BasicFileAttributes a;
        try {
            a = Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        } catch (java.nio.file.NoSuchFileException e) {
            return null;
        }
        return of(path, a);
    }

    static MountEntry of(Path path, BasicFileAttributes a) throws IOException {
        char type = a.isSymbolicLink() ? 'l' : a.isDirectory() ? 'd' : a.isRegularFile() ? 'f' : 0;
        if (type == 0) {
            return null;
        }
        int mode = type == 'l' ? 0777 : ((Integer) Files.getAttribute(path, "unix:mode", LinkOption.NOFOLLOW_LINKS)) & 0777;
        String link = type == 'l' ? Files.readSymbolicLink(path).toString() : "";
        long size = type == 'f' ? a.size() : 0;
        return new MountEntry(type, mode, size, a.lastModifiedTime().to(TimeUnit.MICROSECONDS), link);
    }

    /**
     * Parses one line of the server's listing, {@code find -printf '%y %m %s %T@ %P\t%l'}: returns the relative path
     * and its entry, or null for a line that is not one (another file type, a name with a newline).
     */
    public static Listed parse(String line) {
        String[] f = line.split(" ", 5);
        if (f.length < 5 || f[0].length() != 1 || "fdl".indexOf(f[0].charAt(0)) < 0) {
            return null;
        }
        int tab = f[4].lastIndexOf('\t');
        if (tab < 0) {
            return null;
        }
        try {
            char type = f[0].charAt(0);
            int mode = type == 'l' ? 0777 : Integer.parseInt(f[1], 8) & 0777;
            long size = type == 'f' ? Long.parseLong(f[2]) : 0;
            return new Listed(f[4].substring(0, tab), new MountEntry(type, mode, size, micros(f[3]), type == 'l' ? f[4].substring(tab + 1) : ""));
        } catch (NumberFormatException e) {
            return null;
        }
    }

    /** find's {@code %T@}: seconds with a fraction of up to ten digits. */
    static long micros(String seconds) {
        int dot = seconds.indexOf('.');
        if (dot < 0) {
            return Long.parseLong(seconds) * 1_000_000L;
        }
        String fraction = (seconds.substring(dot + 1) + "000000").substring(0, 6);
        return Long.parseLong(seconds.substring(0, dot)) * 1_000_000L + Long.parseLong(fraction);
    }

    /** A path of the server's listing with its entry. */
    public record Listed(String path, MountEntry entry) {
    }
}

package dev.dockbridge.bridge.mounts;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.BiConsumer;
import java.util.function.Predicate;

import dev.dockbridge.bridge.tunnel.RemoteProcess;
import dev.dockbridge.bridge.tunnel.Tunnel;

/**
 * The server's copy of one folder, reached by commands on the daemon's session: GNU find, sort, comm and tar, which
 * every server image DockBridge uses has. Names travel on standard input, never on a command line.
 */
final class RemoteFolder {
    /** Where the copies of this machine's folders live on the server: this prefix, then the folder's local path. */
    static final String ROOT = "/var/lib/dockbridge/mounts";
    private static final Duration COMMAND_TIMEOUT = Duration.ofMinutes(10);
    private static final String LIST = "find . -mindepth 1 -printf '%y %m %s %T@ %P\\t%l\\n'";

    private final Tunnel tunnel;
    private final String dir;

    RemoteFolder(Tunnel tunnel, String dir) {
        this.tunnel = tunnel;
        this.dir = dir;
    }

    /** The server path of local folder {@code local}. */
    static String serverPath(Path local) {
        return ROOT + local.toAbsolutePath().normalize();
    }

    String dir() {
        return dir;
    }

    /** Everything in the copy; empty, not failed, if the server has no copy (absent tells so). */
    Listing list() throws IOException {
        String out = output("if [ -d " + q(dir) + " ]; then cd " + q(dir) + " && " + LIST + "; else echo absent; fi", null);
        Map<String, MountEntry> entries = new TreeMap<>();
        boolean absent = false;
        for (String line : out.split("\n")) {
            if (line.equals("absent")) {
                absent = true;
                continue;
            }
            MountEntry.Listed l = MountEntry.parse(line);
            if (l != null) {
                entries.put(l.path(), l.entry());
            }
        }
        return new Listing(entries, absent);
    }

    record Listing(Map<String, MountEntry> entries, boolean absent) {
    }

    /** The entries of some paths (absent ones are left out). */
    Map<String, MountEntry> stat(Collection<String> paths) throws IOException {
        Map<String, MountEntry> entries = new TreeMap<>();
        if (paths.isEmpty()) {
            return entries;
        }
        String names = String.join("\n", paths.stream().map(p -> "./" + p).toList()) + "\n";
        String out = output("cd " + q(dir) + " 2>/dev/null || exit 0; xargs -d '\\n' -r sh -c 'find \"$@\" -maxdepth 0 -printf \"%y %m %s %T@ %P%p\\t%l\\n\" 2>/dev/null; true' stat",
                names.getBytes(StandardCharsets.UTF_8));
        for (String line : out.split("\n")) {
            MountEntry.Listed l = MountEntry.parse(line);
            if (l != null) {
                String p = l.path().startsWith("./") ? l.path().substring(2) : l.path();
                entries.put(p, l.entry());
            }
        }
        return entries;
    }

    /** Writes the given local paths into the copy, keeping each file's inode (a container holding it open sees the change). */
    void push(Path root, List<String> paths, BiConsumer<String, MountEntry> written) throws IOException {
        if (paths.isEmpty()) {
            return;
        }
        RemoteProcess p = tunnel.start("mkdir -p " + q(dir) + " && cd " + q(dir)
                + " && tar -x -f - -p --no-same-owner --overwrite --warning=no-unknown-keyword --warning=no-timestamp");
        try (p) {
            try (OutputStream in = p.stdin()) {
                TarFiles.write(root, paths, in, written);
            }
            check(p, "writing " + paths.size() + " files to the server");
        }
    }

    /** Removes paths from the copy, deepest first; a directory only once empty. */
    void delete(List<String> paths) throws IOException {
        if (paths.isEmpty()) {
            return;
        }
        String names = String.join("\n", paths) + "\n";
        output("cd " + q(dir) + " 2>/dev/null || exit 0; while IFS= read -r p; do if [ -d \"$p\" ] && [ ! -L \"$p\" ]; then rmdir -- \"$p\" 2>/dev/null; "
                + "else rm -f -- \"$p\"; fi; done; true", names.getBytes(StandardCharsets.UTF_8));
    }

    /** Reads paths of the copy into local folder {@code into}. */
    void fetch(List<String> paths, Path into, Predicate<String> accept, BiConsumer<String, MountEntry> read) throws IOException {
        if (paths.isEmpty()) {
            return;
        }
        RemoteProcess p = tunnel.start("cd " + q(dir) + " && tar -c -f - --format=posix --no-recursion --ignore-failed-read --null -T - 2>/dev/null; true");
        try (p) {
            Thread writer = feed(p, in -> {
                for (String path : paths) {
                    in.write(path.getBytes(StandardCharsets.UTF_8));
                    in.write(0);
                }
            });
            try (InputStream out = p.stdout()) {
                TarFiles.read(out, into, accept, read);
            }
            join(writer);
            check(p, "reading " + paths.size() + " files from the server");
        }
    }

    /**
     * Starts the server's watcher of the copy: it prints {@code ready}, then for every change a batch of listing lines
     * that went ({@code - }) and came ({@code + }), ending with a line {@code .}, and {@code ~} every few seconds (so
     * that it ends soon after the session does: its next write fails). With inotifywait (which DockBridge's servers
     * get) it lists the copy only after something changed; without, four times a second.
     */
    RemoteProcess watch() throws IOException {
        String script = "mkdir -p " + q(dir) + " && cd " + q(dir) + " || exit 3\n"
                + "T=$(mktemp -d) || exit 3\n"
                + "W=\n"
                + "trap '[ -n \"$W\" ] && kill $W 2>/dev/null; rm -rf \"$T\"' EXIT\n"
                + "trap 'exit 0' HUP TERM PIPE\n"
                + "l() { " + LIST + " 2>/dev/null | LC_ALL=C sort > \"$1\"; }\n"
                + "if command -v inotifywait >/dev/null 2>&1; then\n"
                + "  : > \"$T/ev\"\n"
                + "  inotifywait -m -r -q -e close_write,create,delete,move,attrib --format . . >> \"$T/ev\" 2>/dev/null &\n"
                + "  W=$!\n"
                + "  sleep 0.2\n" // its watches are set before the first listing: nothing falls between
                + "fi\n"
                + "l \"$T/a\"\n"
                + "echo ready\n"
                + "n=0\n"
                + "while :; do\n"
                + "  n=$((n+1)); if [ $n -ge 100 ]; then n=0; echo '~' || exit 0; fi\n"
                + "  if [ -n \"$W\" ]; then\n"
                + "    if [ -s \"$T/ev\" ]; then : > \"$T/ev\"; else sleep 0.05; continue; fi\n"
                + "  else sleep 0.25; n=$((n+4)); fi\n"
                + "  l \"$T/b\"\n"
                + "  if ! cmp -s \"$T/a\" \"$T/b\"; then\n"
                + "    LC_ALL=C comm -23 \"$T/a\" \"$T/b\" | sed 's/^/- /'\n"
                + "    LC_ALL=C comm -13 \"$T/a\" \"$T/b\" | sed 's/^/+ /'\n"
                + "    echo . || exit 0\n"
                + "    mv \"$T/b\" \"$T/a\"\n"
                + "  fi\n"
                + "done\n";
        return tunnel.start("sh -c " + q(script));
    }

    /** Reads a watcher's output line by line. */
    static BufferedReader lines(RemoteProcess p) {
        return new BufferedReader(new InputStreamReader(p.stdout(), StandardCharsets.UTF_8));
    }

    private String output(String command, byte[] stdin) throws IOException {
        RemoteProcess p = tunnel.start(command);
        try (p) {
            Thread writer = feed(p, in -> {
                if (stdin != null) {
                    in.write(stdin);
                }
            });
            byte[] out;
            try (InputStream o = p.stdout()) {
                out = o.readAllBytes();
            }
            join(writer);
            check(p, "a command on the server");
            return new String(out, StandardCharsets.UTF_8);
        }
    }

    private interface StdinWriter {
        void write(OutputStream in) throws IOException;
    }

    /**
     * Writes a command's input on a thread of its own while the caller reads its output: a command that answers as it
     * reads (tar, xargs) would otherwise stop reading once its output fills the channel's window, and both would wait.
     */
    private static Thread feed(RemoteProcess p, StdinWriter writer) {
        Thread t = new Thread(() -> {
            try (OutputStream in = p.stdin()) {
                writer.write(in);
            } catch (IOException e) {
                p.close(); // the reader sees the end and reports it
            }
        }, "mount-stdin");
        t.setDaemon(true);
        t.start();
        return t;
    }

    private static void join(Thread writer) throws IOException {
        try {
            writer.join(COMMAND_TIMEOUT.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
    }

    private static void check(RemoteProcess p, String what) throws IOException {
        Optional<Integer> status = p.waitFor(COMMAND_TIMEOUT);
        if (status.isEmpty()) {
            throw new IOException(what + " did not finish (the session ended)");
        }
        if (status.get() != 0) {
            String err = p.stderr().strip();
            throw new IOException(what + " failed (exit " + status.get() + (err.isEmpty() ? "" : ": " + err) + ")");
        }
    }

    static String q(String s) {
        return "'" + s.replace("'", "'\\''") + "'";
    }
}

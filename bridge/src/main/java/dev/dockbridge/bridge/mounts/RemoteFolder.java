package dev.dockbridge.bridge.mounts;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BiConsumer;
import java.util.function.Predicate;

import dev.dockbridge.bridge.tunnel.RemoteProcess;
import dev.dockbridge.bridge.tunnel.Tunnel;
import dev.dockbridge.bridge.tunnel.TunnelException;

/**
 * The server's copy of one folder, reached by commands on the daemon's session: GNU find, sort, comm and tar, which
 * every server image DockBridge uses has. Names travel on standard input, never on a command line.
 */
final class RemoteFolder {
    /** Where the copies of this machine's folders live on the server: this prefix, then the folder's local path. */
    static final String ROOT = "/var/lib/dockbridge/mounts";
    private static final Duration COMMAND_TIMEOUT = Duration.ofMinutes(10);
    static final String LIST = "find . -mindepth 1 -printf '%y %m %s %T@ %P\\t%l\\n'";

    private final Tunnel tunnel;
    private final String dir;
    private final Semaphore slots;

    /** @param slots command channels that may be open at once (an sshd allows ten sessions per connection by default) */
    RemoteFolder(Tunnel tunnel, String dir, Semaphore slots) {
        this.tunnel = tunnel;
        this.dir = dir;
        this.slots = slots;
    }

    /**
     * A refused channel is tried again for a few seconds: the server frees a session slot only once the command that
     * held it has exited, which may take a moment after its channel closed (OpenSSH allows ten sessions per connection).
     */
    private RemoteProcess startRetrying(String command) throws IOException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (true) {
            try {
                return tunnel.start(command);
            } catch (IOException e) {
                boolean refused = e instanceof TunnelException t && t.kind() == TunnelException.Kind.CHANNEL_REFUSED;
                if (!refused || System.nanoTime() > deadline) {
                    throw e;
                }
                try {
                    Thread.sleep(200);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    throw e;
                }
            }
        }
    }

    /** A command, once one of the slots is free; closing it frees the slot. */
    private RemoteProcess start(String command) throws IOException {
        try {
            if (!slots.tryAcquire(COMMAND_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
                throw new IOException("no command channel to the server came free within " + COMMAND_TIMEOUT.toMinutes() + " min");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
        RemoteProcess p;
        try {
            p = startRetrying(command);
        } catch (IOException | RuntimeException e) {
            slots.release();
            throw e;
        }
        AtomicBoolean released = new AtomicBoolean();
        return new RemoteProcess() {
            @Override
            public OutputStream stdin() {
                return p.stdin();
            }

            @Override
            public InputStream stdout() {
                return p.stdout();
            }

            @Override
            public Optional<Integer> waitFor(Duration timeout) {
                return p.waitFor(timeout);
            }

            @Override
            public String stderr() {
                return p.stderr();
            }

            @Override
            public void close() {
                p.close();
                if (released.compareAndSet(false, true)) {
                    slots.release();
                }
            }
        };
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

    private static final String STAT = "xargs -d '\\n' -r sh -c 'find \"$@\" -maxdepth 0 -printf \"%y %m %s %T@ %P%p\\t%l\\n\" 2>/dev/null; true' stat";

    /** The entries of some paths (absent ones are left out). */
    Map<String, MountEntry> stat(Collection<String> paths) throws IOException {
        if (paths.isEmpty()) {
            return new TreeMap<>();
        }
        String names = String.join("\n", paths.stream().map(p -> "./" + p).toList()) + "\n";
        return parseStat(output("cd " + q(dir) + " 2>/dev/null || exit 0; " + STAT, names.getBytes(StandardCharsets.UTF_8)).split("\n"));
    }

    private static Map<String, MountEntry> parseStat(String[] lines) {
        Map<String, MountEntry> entries = new TreeMap<>();
        for (String line : lines) {
            MountEntry.Listed l = MountEntry.parse(line);
            if (l != null) {
                String p = l.path().startsWith("./") ? l.path().substring(2) : l.path();
                entries.put(p, l.entry());
            }
        }
        return entries;
    }

    /**
     * One command that looks at some paths of the copy, then deletes and writes what the caller decided: a change made
     * here costs one session on the server, not two (each new session costs the server 0.1-0.2 s to start).
     */
    Update update() throws IOException {
        String script = "mkdir -p " + q(dir) + " && cd " + q(dir) + " || exit 3\n"
                + "T=$(mktemp) || exit 3\n"
                + "while IFS= read -r p; do [ \"$p\" = . ] && break; printf '%s\\n' \"$p\"; done > \"$T\"\n"
                + STAT + " < \"$T\"\n"
                + "rm -f \"$T\"\n"
                + "echo .\n"
                + "while IFS= read -r p; do [ \"$p\" = . ] && break; if [ -d \"$p\" ] && [ ! -L \"$p\" ]; then rmdir -- \"$p\" 2>/dev/null; "
                + "else rm -f -- \"$p\"; fi; done\n"
                + "exec tar -x -f - -p --no-same-owner --overwrite --warning=no-unknown-keyword --warning=no-timestamp\n";
        return new Update(start("sh -c " + q(script)));
    }

    /** See {@link #update()}: {@link #stat} once, then {@link #write} once. */
    final class Update implements AutoCloseable {
        private final RemoteProcess p;

        private Update(RemoteProcess p) {
            this.p = p;
        }

        Map<String, MountEntry> stat(Collection<String> paths) throws IOException {
            StringBuilder names = new StringBuilder();
            paths.forEach(path -> names.append("./").append(path).append('\n'));
            names.append(".\n");
            Thread writer = feed(p, false, out -> out.write(names.toString().getBytes(StandardCharsets.UTF_8)));
            BufferedReader lines = new BufferedReader(new InputStreamReader(p.stdout(), StandardCharsets.UTF_8));
            List<String> got = new ArrayList<>();
            String line;
            while ((line = lines.readLine()) != null && !line.equals(".")) {
                got.add(line);
            }
            join(writer);
            if (line == null) {
                check(p, "looking at " + paths.size() + " files on the server");
                throw new IOException("the server ended the look at " + paths.size() + " files");
            }
            return parseStat(got.toArray(String[]::new));
        }

        /** Deletes {@code delete} (deepest first), then writes {@code push} from {@code root}. */
        void write(List<String> delete, Path root, List<String> push, BiConsumer<String, MountEntry> written) throws IOException {
            String what = "writing " + push.size() + " files to the server";
            try (OutputStream in = p.stdin()) {
                StringBuilder names = new StringBuilder();
                delete.forEach(path -> names.append(path).append('\n'));
                names.append(".\n");
                in.write(names.toString().getBytes(StandardCharsets.UTF_8));
                TarFiles.write(root, push, in, written);
            } catch (IOException e) {
                throw whyInputEnded(p, what, e);
            }
            check(p, what);
        }

        @Override
        public void close() {
            p.close();
        }
    }

    /** Writes the given local paths into the copy, keeping each file's inode (a container holding it open sees the change). */
    void push(Path root, List<String> paths, BiConsumer<String, MountEntry> written) throws IOException {
        if (paths.isEmpty()) {
            return;
        }
        RemoteProcess p = start("mkdir -p " + q(dir) + " && cd " + q(dir)
                + " && tar -x -f - -p --no-same-owner --overwrite --warning=no-unknown-keyword --warning=no-timestamp");
        try (p) {
            String what = "writing " + paths.size() + " files to the server";
            try (OutputStream in = p.stdin()) {
                TarFiles.write(root, paths, in, written);
            } catch (IOException e) {
                throw whyInputEnded(p, what, e);
            }
            check(p, what);
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
        RemoteProcess p = start("cd " + q(dir) + " && tar -c -f - --format=posix --no-recursion --ignore-failed-read --null -T - 2>/dev/null; true");
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

    private String output(String command, byte[] stdin) throws IOException {
        RemoteProcess p = start(command);
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
        return feed(p, true, writer);
    }

    /** @param end whether the input ends after what is written */
    private static Thread feed(RemoteProcess p, boolean end, StdinWriter writer) {
        Thread t = new Thread(() -> {
            try {
                OutputStream in = p.stdin();
                writer.write(in);
                if (end) {
                    in.close();
                } else {
                    in.flush();
                }
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

    /**
     * A command's input refused (its channel closed under the writer): the command's own end says why (tar's message,
     * its exit status), which the bare write error does not.
     */
    private static IOException whyInputEnded(RemoteProcess p, String what, IOException writeError) {
        Optional<Integer> status = p.waitFor(Duration.ofSeconds(5));
        String err = p.stderr().strip();
        String end = status.map(s -> "exit " + s).orElse("no exit status: the session or the channel ended");
        return new IOException(what + " stopped (" + end + (err.isEmpty() ? "" : ": " + err) + "; " + writeError.getMessage() + ")", writeError);
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

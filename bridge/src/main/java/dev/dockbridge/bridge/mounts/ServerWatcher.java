package dev.dockbridge.bridge.mounts;

import java.io.BufferedReader;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.dockbridge.bridge.tunnel.RemoteProcess;

/**
 * One watcher on the server for the copies of every provided folder: one session channel however many folders
 * (OpenSSH allows ten per connection by default). It reports each folder's changes as listing lines that went
 * ({@code - }) and came ({@code + }), after a line {@code @ N} naming the folder and before a line {@code .}. With
 * inotifywait (DockBridge's servers get it) it lists the copies only after something changed there; without, four
 * times a second. It ends when its input does (the channel closed), and beats ({@code ~}) every second or so, so
 * that it also ends soon after a session that went without a word. When the set
 * of folders changes, or the session was lost, it starts again and every folder is compared whole.
 *
 * <p>Owns its thread and the remote process.
 */
final class ServerWatcher implements Closeable {
    private static final Logger log = LoggerFactory.getLogger(ServerWatcher.class);

    private final FolderSync.Server server;
    private final List<FolderSync> folders = new CopyOnWriteArrayList<>();
    private final Thread thread = new Thread(this::run, "mount-server-watch");
    private final Object changed = new Object();
    private volatile RemoteProcess process;
    private volatile boolean closed;

    ServerWatcher(FolderSync.Server server) {
        this.server = server;
        thread.setDaemon(true);
    }

    void start() {
        thread.start();
    }

    void add(FolderSync folder) {
        folders.add(folder);
        restart();
    }

    void remove(FolderSync folder) {
        if (folders.remove(folder)) {
            restart();
        }
    }

    private void restart() {
        synchronized (changed) {
            changed.notifyAll();
        }
        RemoteProcess p = process;
        if (p != null) {
            end(p);
        }
    }

    /** Its input's end makes the server's side exit at once, which frees its session slot there; then the channel closes. */
    private static void end(RemoteProcess p) {
        try {
            p.stdin().close();
        } catch (IOException e) {
            // the channel is going anyway
        }
        p.close();
    }

    private void run() {
        long backoff = 500;
        while (!closed) {
            folders.removeIf(FolderSync::stopped);
            List<FolderSync> watched = new ArrayList<>(folders);
            if (watched.isEmpty()) {
                waitForChange(60_000);
                continue;
            }
            RemoteProcess p = null;
            try {
                String id = server.id();
                p = server.tunnel().start("sh -c " + RemoteFolder.q(SCRIPT));
                process = p;
                if (folders.size() != watched.size() || !folders.containsAll(watched)) {
                    continue; // changed while starting: start again with the new set
                }
                OutputStream in = p.stdin(); // kept open: its end (ours, or the session's) ends the watcher at once
                for (FolderSync f : watched) {
                    in.write((f.remoteDir() + "\n").getBytes(StandardCharsets.UTF_8));
                }
                in.write(".\n".getBytes(StandardCharsets.UTF_8));
                in.flush();
                BufferedReader lines = new BufferedReader(new InputStreamReader(p.stdout(), StandardCharsets.UTF_8));
                String first = lines.readLine();
                if (!"ready".equals(first)) {
                    throw new IOException("the server's watcher did not start" + detail(p));
                }
                watched.forEach(f -> f.connected(id));
                backoff = 500;
                FolderSync current = null;
                List<String> batch = new ArrayList<>();
                String line;
                while ((line = lines.readLine()) != null) {
                    if (line.equals("~")) {
                        continue;
                    }
                    if (line.startsWith("@ ")) {
                        int i = Integer.parseInt(line.substring(2).strip()) - 1;
                        current = i >= 0 && i < watched.size() ? watched.get(i) : null;
                        batch = new ArrayList<>();
                    } else if (line.equals(".")) {
                        if (current != null) {
                            current.remoteBatch(batch);
                        }
                        batch = new ArrayList<>();
                    } else {
                        batch.add(line);
                    }
                }
                if (!closed && folders.size() == watched.size() && folders.containsAll(watched)) {
                    throw new IOException("the server's watcher ended" + detail(p));
                }
            } catch (IOException | RuntimeException e) {
                if (closed) {
                    return;
                }
                if (folders.size() == watched.size() && folders.containsAll(watched)) {
                    String why = e.getMessage() != null ? e.getMessage() : e.toString();
                    watched.forEach(f -> f.failed(why, e));
                    log.debug("mounts: server watcher: {}", why);
                    waitForChange(backoff);
                    backoff = Math.min(backoff * 2, 5_000);
                }
            } finally {
                process = null;
                if (p != null) {
                    end(p);
                }
            }
        }
    }

    private void waitForChange(long ms) {
        synchronized (changed) {
            try {
                changed.wait(ms);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                closed = true;
            }
        }
    }

    private static String detail(RemoteProcess p) {
        String err = p.stderr().strip();
        return err.isEmpty() ? "" : ": " + err;
    }

    @Override
    public void close() {
        closed = true;
        restart();
        thread.interrupt();
    }

    /** Reads the folders' server paths, one per line, from its input; then watches them (see the class comment). */
    private static final String SCRIPT = "T=$(mktemp -d) || exit 3\n"
            + "W=\n"
            + "trap '[ -n \"$W\" ] && kill $W 2>/dev/null; rm -rf \"$T\"' EXIT\n"
            + "trap 'exit 0' HUP TERM PIPE\n"
            + ": > \"$T/dirs\"\n"
            + "while IFS= read -r d; do [ \"$d\" = . ] && break; printf '%s\\n' \"$d\" >> \"$T/dirs\"; done\n"
            + "exec 3<&0\n" // a background job's own input would be /dev/null
            + "(cat <&3 > /dev/null; kill -TERM $$) &\n"
            + "while IFS= read -r d; do mkdir -p \"$d\" || exit 3; done < \"$T/dirs\"\n"
            + "l() { (cd \"$1\" && " + RemoteFolder.LIST + " 2>/dev/null) | LC_ALL=C sort > \"$2\"; }\n"
            + "if command -v inotifywait >/dev/null 2>&1; then\n"
            + "  : > \"$T/ev\"\n"
            + "  inotifywait -m -r -q -e close_write,create,delete,move,attrib --format . --fromfile \"$T/dirs\" >> \"$T/ev\" 2>/dev/null &\n"
            + "  W=$!\n"
            + "  sleep 0.2\n" // its watches are set before the first listing: nothing falls between
            + "fi\n"
            + "i=0; while IFS= read -r d; do i=$((i+1)); l \"$d\" \"$T/a$i\"; done < \"$T/dirs\"\n"
            + "echo ready\n"
            + "n=0\n"
            + "while :; do\n"
            + "  n=$((n+1)); if [ $n -ge 20 ]; then n=0; echo '~' || exit 0; fi\n"
            + "  if [ -n \"$W\" ]; then\n"
            + "    if [ -s \"$T/ev\" ]; then : > \"$T/ev\"; else sleep 0.05; continue; fi\n"
            + "  else sleep 0.25; n=$((n+4)); fi\n"
            + "  i=0\n"
            + "  while IFS= read -r d; do\n"
            + "    i=$((i+1))\n"
            + "    l \"$d\" \"$T/b$i\"\n"
            + "    if ! cmp -s \"$T/a$i\" \"$T/b$i\"; then\n"
            + "      echo \"@ $i\"\n"
            + "      LC_ALL=C comm -23 \"$T/a$i\" \"$T/b$i\" | sed 's/^/- /'\n"
            + "      LC_ALL=C comm -13 \"$T/a$i\" \"$T/b$i\" | sed 's/^/+ /'\n"
            + "      echo . || exit 0\n"
            + "      mv \"$T/b$i\" \"$T/a$i\"\n"
            + "    fi\n"
            + "  done < \"$T/dirs\"\n"
            + "done\n";
}

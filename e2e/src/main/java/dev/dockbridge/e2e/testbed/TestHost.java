package dev.dockbridge.e2e.testbed;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.io.File;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import java.util.function.Predicate;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A "remote host" on this machine: a network namespace reached over a veth pair, with its own dockerd and
 * OpenSSH sshd. Its Docker socket is deliberately at a path only the tests use directly; DockBridge reaches
 * it through sshd like any remote host.
 */
public final class TestHost {
    private final String name;
    private final int index;
    private final Path dir;
    private final Path localFiles;

    /** @param localFiles this machine's folders that no host may see (its sshd and dockerd see an empty folder there) */
    TestHost(String prefix, int index, Path root, Path localFiles) {
        this.name = prefix + "-h" + index;
        this.index = index;
        this.dir = root.resolve("h" + index);
        this.localFiles = localFiles;
    }

    /** The server's own disk under {@code /var/lib/dockbridge/mounts}, which its sshd and dockerd share. */
    public Path serverDisk() {
        return dir.resolve("server-disk");
    }

    /**
     * Mounts for a process of the host's machine (its sshd, its dockerd): this machine's folders are hidden (a real
     * server cannot see them), and the server's disk is at {@code /var/lib/dockbridge/mounts}. Root's home is the
     * server's own, empty as on a new server: this machine's {@code ~/.bashrc} (which bash reads for every command
     * sshd starts) would otherwise run on the server, with whatever it prints and however long it takes.
     */
    private String machineMounts() {
        return "mount -t tmpfs -o mode=700 tmpfs /root"
                + " && mkdir -p " + localFiles + " && mount -t tmpfs -o mode=755 tmpfs " + localFiles
                + " && mkdir -p /var/lib/dockbridge/mounts && mount --bind " + serverDisk() + " /var/lib/dockbridge/mounts";
    }

    public String name() {
        return name;
    }

    /** The host's address as seen from this machine. */
    public String address() {
        return "198.18." + index + ".2";
    }

    /** This machine's side of the host's link: how the host reaches services here. */
    public String gateway() {
        return "198.18." + index + ".1";
    }

    private String vethOutside() {
        return vethOutsideName(name);
    }

    /** The outside end of host {@code index}'s link in a bed of {@code prefix}. */
    static String vethOutsideName(String prefix, int index) {
        return vethOutsideName(prefix + "-h" + index);
    }

    private static String vethOutsideName(String hostName) {
        String compact = hostName.replace("-", "");
        return compact.substring(0, Math.min(12, compact.length())) + "o";
    }

    private String vethInside() {
        return "eth" + index;
    }

    public Path dir() {
        return dir;
    }

    /** The remote Docker socket (what {@code remote.docker_socket} names). */
    public Path dockerSocket() {
        return dir.resolve("docker.sock");
    }

    public Path hostPublicKey() {
        return dir.resolve("ssh_host_ed25519_key.pub");
    }

    public Path authorizedKeys() {
        return dir.resolve("authorized_keys");
    }

    private String netnsPath() {
        return "/var/run/netns/" + name;
    }

    /** Command prefix that runs inside the host's network namespace (nsenter, not ip netns exec: see field notes). */
    public List<String> inside(String... command) {
        List<String> full = new ArrayList<>(List.of("nsenter", "--net=" + netnsPath()));
        full.addAll(List.of(command));
        return full;
    }

    void create() throws IOException {
        destroy(); // leftovers of an earlier run that died
        // the addresses depend on the index only: another test bed (another prefix) still up would take the traffic
        String taken = Cmd.exec(Duration.ofSeconds(10), Map.of(), null, "ip", "-o", "route", "show", "198.18." + index + ".0/30").stdout().strip();
        if (!taken.isEmpty()) {
            throw new IllegalStateException("198.18." + index + ".0/30 is already routed (" + taken + "): another test bed is up; take it down "
                    + "(java ... TestBedMain down, or: ip netns del <prefix>-h" + index + ")");
        }
        Files.createDirectories(dir);
        Files.createDirectories(serverDisk());
        Cmd.run("ip", "netns", "add", name);
        Cmd.run("ip", "link", "add", vethOutside(), "type", "veth", "peer", "name", vethInside());
        Cmd.run("ip", "link", "set", vethInside(), "netns", name);
        Cmd.run("ip", "addr", "add", gateway() + "/30", "dev", vethOutside());
        Cmd.run("ip", "link", "set", vethOutside(), "up");
        run(inside("ip", "addr", "add", address() + "/30", "dev", vethInside()));
        run(inside("ip", "link", "set", vethInside(), "up"));
        run(inside("ip", "link", "set", "lo", "up"));
        run(inside("ip", "route", "add", "default", "via", gateway()));
        Files.writeString(authorizedKeys(), "");
        Cmd.run("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", name, "-f", dir.resolve("ssh_host_ed25519_key").toString());
    }

    private static void run(List<String> command) {
        Cmd.Result r = Cmd.exec(Duration.ofSeconds(30), Map.of(), null, command);
        if (!r.ok()) {
            throw new IllegalStateException(command + " failed: " + r.describe());
        }
    }

    /** Where this host's Docker keeps its data now: its own disk, or a simulated volume's directory. */
    private Path dataRoot;

    void startDockerd() throws IOException {
        startDockerd(dir.resolve("docker-data"));
    }

    /**
     * Restarts the engine on another data root (null: the host's own disk), as a server whose
     * {@code /var/lib/docker} is a mounted volume would have it. Only while no sshd serves the host: a
     * restarted dockerd makes a new socket, which an sshd's bind mount of the old one would not see.
     */
    public void useDockerData(Path root) throws IOException {
        Path wanted = root == null ? dir.resolve("docker-data") : root;
        if (wanted.equals(dataRoot) && dockerAnswers()) {
            return;
        }
        kill(dir.resolve("dockerd.pid"));
        Files.createDirectories(wanted);
        startDockerd(wanted);
    }

    private void startDockerd(Path root) throws IOException {
        dataRoot = root;
        // its own mount namespace, as the sshd has: it sees the server's disk, not this machine's folders
        // and its own /run, where its socket is /run/docker.sock as on a real server (a container may bind it)
        List<String> command = inside("unshare", "--mount", "--propagation", "private", "sh", "-c",
                "mount -t tmpfs -o mode=755 tmpfs /run && " + machineMounts() + " && exec \"$0\" \"$@\"",
                "dockerd",
                "--host", "unix:///run/docker.sock",
                "--data-root", root.toString(),
                "--shutdown-timeout", "2", // a deleted server does not wait for its containers either
                "--exec-root", dir.resolve("docker-exec").toString(),
                "--pidfile", dir.resolve("dockerd.pid").toString(),
                "--host", "unix://" + dockerSocket(),
                // own containerd namespaces: a system containerd, if one runs, must not mix several engines' containers
                "--containerd-namespace", name,
                "--containerd-plugins-namespace", name + "-plugins");
        new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(dir.resolve("dockerd.log").toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .start();
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (!dockerAnswers()) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("dockerd in " + name + " did not answer within 60 s; see " + dir.resolve("dockerd.log"));
            }
            sleep(100);
        }
    }

    /** Whether the remote dockerd answers {@code /_ping} on its socket. */
    public boolean dockerAnswers() {
        if (!Files.exists(dockerSocket())) {
            return false;
        }
        try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            ch.connect(UnixDomainSocketAddress.of(dockerSocket()));
            OutputStream out = Channels.newOutputStream(ch);
            out.write("GET /_ping HTTP/1.0\r\nHost: docker\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = Channels.newInputStream(ch);
            return new String(in.readAllBytes(), StandardCharsets.US_ASCII).endsWith("OK");
        } catch (IOException e) {
            return false;
        }
    }

    /**
     * Starts an sshd on {@code port}; {@code extraConfig} lines are appended (e.g.
     * {@code AllowStreamLocalForwarding no}). Several sshds (different ports) may run at once.
     */
    public void startSshd(int port, String... extraConfig) throws IOException {
        Path config = dir.resolve("sshd_config_" + port);
        Path pid = dir.resolve("sshd_" + port + ".pid");
        StringBuilder text = new StringBuilder()
                .append("ListenAddress ").append(address()).append(':').append(port).append('\n')
                .append("HostKey ").append(dir.resolve("ssh_host_ed25519_key")).append('\n')
                .append("AuthorizedKeysFile ").append(authorizedKeys()).append('\n')
                .append("PidFile ").append(pid).append('\n')
                .append("StrictModes no\nPermitRootLogin prohibit-password\nPasswordAuthentication no\n")
                .append("KbdInteractiveAuthentication no\nUsePAM no\nLogLevel VERBOSE\n")
                // the host's own docker CLI (dial-stdio, the ssh:// baseline) finds this host's engine
                .append("SetEnv DOCKER_HOST=unix://").append(dockerSocket()).append('\n');
        for (String line : extraConfig) {
            text.append(line).append('\n');
        }
        Files.writeString(config, text);
        writeSystemctl();
        // Its own /run, with this host's engine at /run/docker.sock: what a real server's sshd sees. Its own
        // /usr/local/sbin, with a systemctl that acts on this host's engine (the test bed has no systemd).
        // A data volume's disk is mounted at /var/lib/docker, with its fstab line, as cloud-init leaves a server: the
        // release before a deletion unmounts it for real, and fails for real while something there holds it.
        String volume = "";
        if (dataRoot != null && !dataRoot.equals(dir.resolve("docker-data"))) {
            Path fstab = Files.writeString(dir.resolve("fstab"), dataRoot + " /var/lib/docker none bind 0 0\n");
            volume = " && mkdir -p /var/lib/docker && mount --bind " + dataRoot + " /var/lib/docker && mount --bind " + fstab + " /etc/fstab";
        }
        String script = "mount -t tmpfs -o mode=755 tmpfs /run && mkdir -p /run/sshd && touch /run/docker.sock"
                + " && mount --bind " + dockerSocket() + " /run/docker.sock"
                + " && mount -t tmpfs -o mode=755 tmpfs /usr/local/sbin && cp " + dir.resolve("systemctl") + " /usr/local/sbin/systemctl"
                + volume
                // the server's own disk under /var/lib/dockbridge (the guard keeps its files there), not this machine's
                + " && mkdir -p /var/lib/dockbridge && mount -t tmpfs -o mode=700 tmpfs /var/lib/dockbridge && " + machineMounts()
                + " && exec /usr/sbin/sshd -f " + config + " -E " + dir.resolve("sshd_" + port + ".log");
        run(inside("unshare", "--mount", "--propagation", "private", "sh", "-c", script));
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (!Files.exists(pid)) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("sshd on " + address() + ":" + port + " did not start; see " + dir);
            }
            sleep(20);
        }
    }

    /**
     * What systemd would do with Docker on a real server, as far as a client can tell: {@code stop} freezes this
     * host's dockerd (its API stops answering) and takes {@link #dockerStopTakes} to return, as stopping the
     * containers does; {@code start} lets it run again. Every call is logged for the tests.
     */
    private void writeSystemctl() throws IOException {
        Path shim = dir.resolve("systemctl");
        Files.writeString(shim, "#!/bin/sh\n"
                + "echo \"$*\" >> " + dir.resolve("systemctl.log") + "\n"
                + "pid=$(cat " + dir.resolve("dockerd.pid") + " 2>/dev/null)\n"
                + "case \"$1\" in\n"
                + "  stop) [ -n \"$pid\" ] && kill -STOP \"$pid\"; sleep \"$(cat " + dir.resolve("docker-stop-seconds") + " 2>/dev/null || echo 0)\" ;;\n"
                + "  start) [ -n \"$pid\" ] && kill -CONT \"$pid\" ;;\n"
                + "esac\n"
                + "exit 0\n");
        shim.toFile().setExecutable(true, false);
    }

    /** How long the next {@code systemctl stop docker…} on this host takes. */
    public void dockerStopTakes(Duration d) throws IOException {
        Files.writeString(dir.resolve("docker-stop-seconds"), String.valueOf(d.toSeconds()));
    }

    /** A new server on this host: the systemctl calls of the one before, and how slowly its Docker stopped, are not its own. */
    public void forgetPreviousServer() throws IOException {
        Cmd.exec(Duration.ofSeconds(60), Map.of(), null, "sh", "-c", "rm -rf " + serverDisk() + "/* " + serverDisk() + "/.[!.]*");
        Files.deleteIfExists(dir.resolve("systemctl.log"));
        Files.deleteIfExists(dir.resolve("docker-stop-seconds"));
    }

    /** The systemctl commands run on this host so far, one per line. */
    public List<String> systemctlCalls() throws IOException {
        Path log = dir.resolve("systemctl.log");
        return Files.exists(log) ? Files.readAllLines(log) : List.of();
    }

    public void stopSshd(int port) {
        kill(dir.resolve("sshd_" + port + ".pid"));
    }

    /**
     * Ends every SSH connection to this host (the per-connection sshd processes in its network namespace), as
     * a crashed or deleted machine would; the listening sshd is left to {@link #stopSshd}.
     */
    public void killSshSessions() {
        killProcesses(comm -> comm.equals("sshd"));
    }

    /**
     * Ends every process of the machine but its Docker engine (which the test bed wipes or keeps itself): what a
     * deleted or rebooted server loses, such as DockBridge's guard or a user's shell.
     */
    public void killMachineProcesses() {
        killProcesses(comm -> !comm.equals("dockerd") && !comm.startsWith("containerd") && !comm.equals("docker-proxy"));
    }

    private void killProcesses(Predicate<String> which) {
        String pids = Cmd.exec(Duration.ofSeconds(10), Map.of(), null, "ip", "netns", "pids", name).stdout();
        for (String pid : pids.split("\\s+")) {
            if (pid.isBlank()) {
                continue;
            }
            try {
                String comm = Files.readString(Path.of("/proc", pid, "comm")).strip();
                if (which.test(comm)) {
                    Cmd.exec(Duration.ofSeconds(10), Map.of(), null, "kill", "-9", pid);
                }
            } catch (IOException e) {
                // already gone
            }
        }
    }

    /** Takes the host's link down (up: false) or brings it back, as a suspended laptop or a dropped network would see it. */
    public void link(boolean up) {
        run(List.of("ip", "link", "set", vethOutside(), up ? "up" : "down")); // the kernel drops and restores the route with it
    }

    /**
     * Drops every SSH packet between this host and the laptop (blocked: true) or lets them through again, while the
     * host still reaches everything else (the cloud's API): a laptop whose network went away, seen from the server.
     */
    public void blockSsh(boolean blocked) {
        String op = blocked ? "-I" : "-D";
        run(inside("iptables", op, "INPUT", "-p", "tcp", "--dport", "22", "-j", "DROP"));
        run(inside("iptables", op, "OUTPUT", "-p", "tcp", "--sport", "22", "-j", "DROP"));
    }

    /** Adds a client public key (OpenSSH one-line format) to the host's authorized keys. */
    public void authorize(String publicKeyLine) throws IOException {
        Files.writeString(authorizedKeys(), publicKeyLine.strip() + "\n", StandardOpenOption.APPEND);
    }

    /** Replaces the sshd host key (what cloud-init's {@code ssh_keys:} does on a real server). */
    public void installHostKey(String privatePem, String publicLine) throws IOException {
        Path key = dir.resolve("ssh_host_ed25519_key");
        Files.deleteIfExists(key);
        Files.createFile(key, PosixFilePermissions.asFileAttribute(
                PosixFilePermissions.fromString("rw-------")));
        Files.writeString(key, privatePem.endsWith("\n") ? privatePem : privatePem + "\n");
        Files.writeString(hostPublicKey(), publicLine.strip() + "\n");
    }

    /** Gives the host a fresh host key that nobody was told about. */
    public void regenerateHostKey() throws IOException {
        Files.deleteIfExists(dir.resolve("ssh_host_ed25519_key"));
        Files.deleteIfExists(hostPublicKey());
        Cmd.run("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", name, "-f", dir.resolve("ssh_host_ed25519_key").toString());
    }

    /** Replaces the authorized keys of root. */
    public void setAuthorizedKeys(List<String> publicKeyLines) throws IOException {
        StringBuilder text = new StringBuilder();
        publicKeyLines.forEach(k -> text.append(k.strip()).append('\n'));
        Files.writeString(authorizedKeys(), text);
    }

    /** Removes every container, image, volume and network from the host's engine (a deleted server's disk is gone). */
    public void wipeDocker() {
        Map<String, String> env = Map.of("DOCKER_HOST", "unix://" + dockerSocket());
        String ids = Cmd.exec(Duration.ofSeconds(60), env, null, "docker", "ps", "-aq").stdout().strip();
        if (!ids.isEmpty()) {
            List<String> rm = new ArrayList<>(List.of("docker", "rm", "-f"));
            rm.addAll(List.of(ids.split("\\s+")));
            Cmd.exec(Duration.ofSeconds(60), env, null, rm);
        }
        Cmd.exec(Duration.ofSeconds(120), env, null, "docker", "system", "prune", "-af", "--volumes");
    }

    /** The {@code known_hosts} line for this host's sshd on {@code port}. */
    public String knownHostsLine(int port) throws IOException {
        String key = Files.readString(hostPublicKey()).strip();
        String[] parts = key.split(" ");
        String host = port == 22 ? address() : "[" + address() + "]:" + port;
        return host + " " + parts[0] + " " + parts[1];
    }

    /**
     * A fake Hetzner metadata service at 169.254.169.254 serving {@code userData} at {@code /hetzner/v1/userdata}. As on a
     * real server it lies beyond the host (its own namespace, routed through the host), so the host reaches it directly
     * and a container only through the host's forwarding, where Docker's DOCKER-USER chain applies.
     */
    public AutoCloseable serveMetadata(String userData) throws IOException {
        String ns = metadataNamespace();
        String here = "md" + index + "h";
        String there = "md" + index + "m";
        Cmd.exec(Duration.ofSeconds(10), Map.of(), null, "ip", "netns", "del", ns);
        Cmd.run("ip", "netns", "add", ns);
        run(inside("ip", "link", "add", here, "type", "veth", "peer", "name", there));
        run(inside("ip", "link", "set", there, "netns", ns));
        run(inside("ip", "addr", "add", "198.19." + index + ".1/30", "dev", here));
        run(inside("ip", "link", "set", here, "up"));
        run(inside("ip", "route", "add", "169.254.169.254/32", "via", "198.19." + index + ".2"));
        List<String> md = List.of("nsenter", "--net=/var/run/netns/" + ns);
        run(concat(md, "ip", "addr", "add", "198.19." + index + ".2/30", "dev", there));
        run(concat(md, "ip", "addr", "add", "169.254.169.254/32", "dev", "lo"));
        run(concat(md, "ip", "link", "set", "lo", "up"));
        run(concat(md, "ip", "link", "set", there, "up"));
        Path root = dir.resolve("metadata");
        Files.createDirectories(root.resolve("hetzner/v1"));
        Files.writeString(root.resolve("hetzner/v1/userdata"), userData);
        Process httpd = new ProcessBuilder(concat(md, "busybox", "httpd", "-f", "-p", "169.254.169.254:80", "-h", root.toString()))
                .redirectErrorStream(true).redirectOutput(dir.resolve("metadata.log").toFile()).start();
        return () -> {
            httpd.destroy();
            httpd.waitFor(10, TimeUnit.SECONDS);
            Cmd.exec(Duration.ofSeconds(10), Map.of(), null, "ip", "netns", "del", ns);
            Cmd.exec(Duration.ofSeconds(10), Map.of(), null, inside("ip", "route", "del", "169.254.169.254/32"));
        };
    }

    private String metadataNamespace() {
        return name + "-md";
    }

    private static List<String> concat(List<String> prefix, String... rest) {
        List<String> all = new ArrayList<>(prefix);
        all.addAll(List.of(rest));
        return all;
    }

    void destroy() {
        keepLogs();
        Cmd.exec(Duration.ofSeconds(10), Map.of(), null, "ip", "netns", "del", metadataNamespace());
        try (var files = Files.exists(dir) ? Files.list(dir) : Stream.<Path>empty()) {
            files.filter(p -> p.getFileName().toString().startsWith("sshd_") && p.toString().endsWith(".pid")).forEach(TestHost::kill);
        } catch (IOException e) {
            // nothing to stop
        }
        killMachineProcesses();
        kill(dir.resolve("dockerd.pid"));
        Cmd.exec(Duration.ofSeconds(10), Map.of(), null, "ip", "link", "del", vethOutside());
        Cmd.exec(Duration.ofSeconds(10), Map.of(), null, "ip", "netns", "del", name);
        Cmd.exec(Duration.ofSeconds(60), Map.of(), null, "rm", "-rf", dir.toString());
    }

    /** The host's sshd and dockerd logs outlive the test bed, in target/testbed-logs (why a session ended is there). */
    private void keepLogs() {
        Path keep = Path.of("target", "testbed-logs", name);
        try (var files = Files.exists(dir) ? Files.list(dir) : Stream.<Path>empty()) {
            Files.createDirectories(keep);
            for (Path f : files.filter(p -> p.getFileName().toString().endsWith(".log")).toList()) {
                Files.copy(f, keep.resolve(f.getFileName()), StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException e) {
            // logs are a help, not a requirement
        }
    }

    private static void kill(Path pidFile) {
        try {
            if (!Files.exists(pidFile)) {
                return;
            }
            long pid = Long.parseLong(Files.readString(pidFile).strip());
            ProcessHandle.of(pid).ifPresent(p -> {
                // a dockerd frozen by the test bed's 'systemctl stop' would not see SIGTERM until it runs again
                Cmd.exec(Duration.ofSeconds(10), Map.of(), null, "kill", "-CONT", String.valueOf(pid));
                p.destroy();
                try {
                    p.onExit().get(20, TimeUnit.SECONDS);
                } catch (Exception e) {
                    p.destroyForcibly();
                }
            });
            Files.deleteIfExists(pidFile);
        } catch (IOException | NumberFormatException e) {
            // stale or unreadable pid file: nothing running to stop
        }
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}

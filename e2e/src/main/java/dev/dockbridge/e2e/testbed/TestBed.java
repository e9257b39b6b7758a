package dev.dockbridge.e2e.testbed;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.time.Duration;
import java.util.Map;

/**
 * The local stand-in for remote machines: namespace hosts with real dockerd and sshd, a client key they all
 * accept, and a known_hosts file that lists them. Needs root, iproute2, dockerd, sshd and busybox-static;
 * when something is missing it fails with what to install, never skips.
 */
public final class TestBed implements AutoCloseable {
    public static final int SSH_PORT = 22;

    private final Path root;
    private final List<TestHost> hosts = new ArrayList<>();

    private TestBed(Path root) {
        this.root = root;
    }

    /** Creates {@code count} hosts under {@code root}, each with dockerd and sshd on port 22 running. */
    public static TestBed start(Path root, String prefix, int count) throws IOException {
        return start(root, prefix, count, 1);
    }

    /**
     * The same with the hosts' addresses from {@code 198.18.firstIndex} on, so that beds of another prefix (the e2e
     * suite's parallel forks) can be up at the same time.
     */
    public static TestBed start(Path root, String prefix, int count, int firstIndex) throws IOException {
        preflight();
        TestBed bed = new TestBed(root);
        try {
            Files.createDirectories(root);
            Cmd.exec(Duration.ofSeconds(60), Map.of(), null, "rm", "-rf", bed.localFiles().toString()); // an earlier run's folders
            Files.createDirectories(bed.localFiles());
            Path key = bed.clientKey();
            Files.deleteIfExists(key);
            Files.deleteIfExists(Path.of(key + ".pub"));
            Cmd.run("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "dockbridge-testbed", "-f", key.toString());
            StringBuilder knownHosts = new StringBuilder();
            for (int i = firstIndex; i < firstIndex + count; i++) {
                TestHost host = new TestHost(prefix, i, root, bed.localFiles());
                bed.hosts.add(host);
                host.create();
                host.authorize(Files.readString(Path.of(key + ".pub")));
                host.startDockerd();
                host.startSshd(SSH_PORT);
                knownHosts.append(host.knownHostsLine(SSH_PORT)).append('\n');
            }
            Files.writeString(bed.knownHosts(), knownHosts);
            return bed;
        } catch (IOException | RuntimeException e) {
            bed.close();
            throw e;
        }
    }

    /**
     * Whether hosts {@code firstIndex} on would be free: no other bed (another prefix: a demo, a benchmark, the package
     * test, an earlier run that died) routes their addresses. A bed of the same prefix is taken down by {@link #start}.
     */
    public static boolean addressesFree(String prefix, int firstIndex, int count) {
        for (int i = firstIndex; i < firstIndex + count; i++) {
            String route = Cmd.exec(Duration.ofSeconds(10), Map.of(), null, "ip", "-o", "route", "show", "198.18." + i + ".0/30").stdout().strip();
            if (!route.isEmpty() && !route.contains(" dev " + TestHost.vethOutsideName(prefix, i) + " ")) {
                return false;
            }
        }
        return true;
    }

    private static void preflight() {
        List<String> missing = new ArrayList<>();
        for (String tool : List.of("ip", "nsenter", "dockerd", "/usr/sbin/sshd", "ssh-keygen", "docker")) {
            if (!Cmd.exec(Duration.ofSeconds(10), Map.of(), null, "sh", "-c", "command -v " + tool).ok()) {
                missing.add(tool);
            }
        }
        if (!Files.exists(Path.of(BusyboxImage.BUSYBOX))) {
            missing.add(BusyboxImage.BUSYBOX);
        }
        if (!missing.isEmpty()) {
            throw new IllegalStateException("the test bed needs " + missing
                    + ": run 'bash scripts/install-deps.sh' as root (apt: docker.io openssh-server busybox-static iproute2)");
        }
        String uid = Cmd.run("id", "-u").strip();
        if (!uid.equals("0")) {
            throw new IllegalStateException("the test bed needs root (network namespaces, dockerd); running as uid " + uid);
        }
    }

    public TestHost host(int i) {
        return hosts.get(i - 1);
    }

    public Path root() {
        return root;
    }

    /**
     * Where tests keep this machine's folders for containers: no host sees what is in it (their sshd and dockerd
     * see an empty folder there), as a real server cannot see a laptop's files.
     */
    public Path localFiles() {
        return root.resolve("local");
    }

    /** Private key every host accepts for root. */
    public Path clientKey() {
        return root.resolve("client_ed25519");
    }

    /** A known_hosts file with every host's sshd on port 22. */
    public Path knownHosts() {
        return root.resolve("known_hosts");
    }

    /** A DockBridge config (provider ssh) for host {@code i}, with the given extra YAML appended. */
    public String sshConfig(int i, String extraYaml) {
        return "provider: ssh\n"
                + "ssh:\n"
                + "  host: " + host(i).address() + "\n"
                + "  identity_file: " + clientKey() + "\n"
                + "  known_hosts: " + knownHosts() + "\n"
                + "remote:\n"
                + "  docker_socket: " + host(i).dockerSocket() + "\n"
                + extraYaml;
    }

    @Override
    public void close() {
        for (TestHost host : hosts) {
            host.destroy();
        }
        hosts.clear();
        Cmd.exec(Duration.ofSeconds(60), Map.of(), null, "rm", "-rf", localFiles().toString());
    }
}

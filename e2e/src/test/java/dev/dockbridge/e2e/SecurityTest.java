package dev.dockbridge.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

import com.fasterxml.jackson.databind.JsonNode;

import dev.dockbridge.e2e.hetzner.HetznerSimulator;
import dev.dockbridge.e2e.testbed.BusyboxImage;
import dev.dockbridge.e2e.testbed.Cmd;
import dev.dockbridge.e2e.testbed.TestBed;
import java.io.UncheckedIOException;

/**
 * Issue 7's security checks as tests. Runs last (see junit-platform.properties), so its scan sees the logs
 * of every other test of the run. A changed host key being refused is proven by SshFailureTest (known_hosts)
 * and HetznerProvisioningTest (pinned key).
 */
@ExtendWith(TestBedExtension.class)
@Order(Integer.MAX_VALUE)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(value = 4, unit = TimeUnit.MINUTES)
class SecurityTest {
    /** Shaped like a real token (64 characters), so a leak of part of it is caught too. */
    private static final String TOKEN = "sim-token-" + "S3cr3tT0k3n".repeat(5).substring(0, 54);

    private static String perms(Path p) throws IOException {
        return PosixFilePermissions.toString(Files.getPosixFilePermissions(p));
    }

    @Test
    @Order(1)
    void privateFilesLoopbackForwardsNoDockerOnTcpAndOnlySshThroughTheFirewall(TestBed bed) throws Exception {
        Path work = Files.createTempDirectory("dbe2e-security");
        Path home = work.resolve("home");
        Path config = Files.writeString(work.resolve("config.yaml"), "provider: hetzner\n");
        try (HetznerSimulator sim = new HetznerSimulator(TOKEN, List.of(bed.host(3), bed.host(4)));
             DockBridgeProcess daemon = DockBridgeProcess.start(home, config, sim.clientEnv(),
                     "--debug")) {
            DockerCli docker = new DockerCli(daemon.socket(), work.resolve("docker-config"));
            docker.ok("build", "-t", "sec:e2e", BusyboxImage.context(work.resolve("context")).toString());
            docker.ok("run", "-d", "-p", "18490:80", "sec:e2e", "httpd", "-f", "-p", "80", "-h", "/www");
            await().atMost(Duration.ofSeconds(10)).until(() -> LocalPorts.accepts(18490));

            Path state = home.resolve("default");
            assertThat(perms(state)).isEqualTo("rwx------");
            for (String file : List.of("docker.sock", "control.sock", "watcher.sock", "id_ed25519")) {
                assertThat(perms(state.resolve(file))).as(file).isEqualTo("rw-------");
            }
            assertThat(perms(state.resolve("hosts"))).isEqualTo("rwx------");
            assertThat(perms(state.resolve("hosts/" + sim.servers().get(0).path("name").asText()))).as("the server's host key")
                    .isEqualTo("rw-------");

            // every TCP listener of the daemon is on loopback
            List<String> listeners = Cmd.exec(Duration.ofSeconds(10), Map.of(), null, "ss", "-H", "-ltnp").stdout().lines()
                    .filter(l -> l.contains("pid=" + daemon.process().pid() + ",")).map(l -> l.trim().split("\\s+")[3]).toList();
            assertThat(listeners).isNotEmpty().allMatch(a -> a.startsWith("127.0.0.1:") || a.startsWith("[::ffff:127.0.0.1]:") || a.startsWith("[::1]:"),
                    "a loopback address");
            // and the forward is not reachable on this machine's other addresses (here: its side of a test-bed link)
            String outside = bed.host(1).address().replaceFirst("\\.2$", ".1");
            assertThat(LocalPorts.accepts(outside, 18490)).as("forward reachable on " + outside).isFalse();

            // the server's engine listens on no TCP port, and nothing DockBridge sent asks it to
            JsonNode server = sim.servers().get(0);
            String ns = bed.host(3).address().equals(server.path("public_net").path("ipv4").path("ip").asText()) ? bed.host(3).name() : bed.host(4).name();
            String remote = Cmd.exec(Duration.ofSeconds(10), Map.of(), null, "ip", "netns", "exec", ns, "ss", "-H", "-ltnp").stdout();
            assertThat(remote.lines().filter(l -> l.contains("\"dockerd\"")).toList()).as(remote).isEmpty();
            String userData = sim.userData(server.path("id").asLong());
            assertThat(userData).doesNotContain("tcp://").doesNotContain("2375").doesNotContain("2376");

            // the firewall lets in SSH and nothing else
            JsonNode rules = sim.firewalls().get(0).path("rules");
            assertThat(rules).hasSize(1);
            JsonNode rule = rules.get(0);
            assertThat(rule.path("direction").asText() + " " + rule.path("protocol").asText() + " " + rule.path("port").asText()).isEqualTo("in tcp 22");

            // a refused token is reported without being echoed
            Cmd.Result refused = DockBridgeProcess.run(home, Map.of("HCLOUD_TOKEN", TOKEN + "x", "HCLOUD_ENDPOINT", sim.endpoint()),
                    Duration.ofSeconds(30), "server", "status", "--debug");
            assertThat(refused.exitCode()).isNotZero();
            assertThat(refused.stdout() + refused.stderr()).doesNotContain(TOKEN.substring(10, 30));
            assertThat(daemon.log()).doesNotContain(TOKEN.substring(10, 30));
        }
    }

    @Test
    @Order(2)
    void noTokenInAnyLogOrFileOfTheWholeRun() throws IOException {
        List<Path> roots = new ArrayList<>();
        try (Stream<Path> tmp = Files.list(Path.of(System.getProperty("java.io.tmpdir")))) {
            tmp.filter(p -> p.getFileName().toString().startsWith("dbe2e")).forEach(roots::add);
        }
        assertThat(roots).as("this run's work directories").isNotEmpty();
        List<String> leaks = new ArrayList<>();
        int scanned = 0;
        for (Path root : roots) {
            try (Stream<Path> files = Files.walk(root)) {
                for (Path f : files.filter(p -> !p.toString().contains("docker-data") && !p.toString().contains("docker-exec"))
                        .filter(Files::isRegularFile).toList()) {
                    if (Files.size(f) > 64L << 20) {
                        continue;
                    }
                    scanned++;
                    String text = new String(Files.readAllBytes(f), StandardCharsets.ISO_8859_1);
                    if (text.contains("sim-token") || text.contains(TOKEN.substring(10, 30))) {
                        leaks.add(f.toString());
                    }
                }
            } catch (IOException | UncheckedIOException e) {
                // a file that vanished while walking (a socket, a rotating log): nothing to leak
            }
        }
        assertThat(scanned).as("files scanned").isGreaterThan(10);
        assertThat(leaks).as("files that contain an API token").isEmpty();
    }


}

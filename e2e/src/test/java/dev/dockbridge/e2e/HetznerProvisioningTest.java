package dev.dockbridge.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;

import dev.dockbridge.bridge.host.ProfileKeys;
import dev.dockbridge.e2e.hetzner.Fault;
import dev.dockbridge.e2e.hetzner.HetznerSimulator;
import dev.dockbridge.e2e.testbed.BusyboxImage;
import dev.dockbridge.e2e.testbed.Cmd;
import dev.dockbridge.e2e.testbed.TestBed;
import java.nio.file.attribute.PosixFilePermission;

/** Issue 3's acceptance: lazy Hetzner servers behind the simulator, whose servers are test-bed hosts. */
@ExtendWith(TestBedExtension.class)
@Timeout(value = 4, unit = TimeUnit.MINUTES)
class HetznerProvisioningTest {
    private static final String TOKEN = "sim-token-0123456789abcdef";

    private HetznerSimulator sim;
    private Path work;
    private Path config;

    @BeforeEach
    void simulator(TestBed bed) throws IOException {
        sim = new HetznerSimulator(TOKEN, List.of(bed.host(3), bed.host(4)));
        work = Files.createTempDirectory("dbe2e-hetzner");
        config = Files.writeString(work.resolve("config.yaml"), """
                provider: hetzner
                hetzner:
                  boot_timeout: 20s
                """);
    }

    @AfterEach
    void closeSimulator() {
        sim.close();
    }

    private Map<String, String> env() {
        return sim.clientEnv();
    }

    private DockBridgeProcess start() throws IOException {
        return DockBridgeProcess.start(work.resolve("home"), config, env());
    }

    @Test
    void firstDockerCommandCreatesOneLabelledFirewalledServer() throws IOException {
        try (DockBridgeProcess daemon = start()) {
            assertThat(sim.count("POST /servers")).as("start creates nothing").isZero();
            DockerCli docker = new DockerCli(daemon.socket(), work.resolve("docker-config"));
            docker.ok("build", "-t", "hz:e2e", BusyboxImage.context(work.resolve("context")).toString());
            assertThat(docker.ok("run", "--rm", "hz:e2e", "echo", "hi")).isEqualTo("hi\n");

            assertThat(sim.count("POST /servers")).isEqualTo(1);
            assertThat(sim.count("POST /ssh_keys")).isEqualTo(1);
            assertThat(sim.count("POST /firewalls")).isEqualTo(1);
            JsonNode server = sim.servers().get(0);
            assertThat(server.path("labels").path("managed-by").asText()).isEqualTo("dockbridge");
            assertThat(server.path("labels").path("dockbridge/profile").asText()).isEqualTo("default");
            JsonNode firewall = sim.firewalls().get(0);
            assertThat(firewall.path("rules")).hasSize(1);
            assertThat(firewall.path("rules").get(0).path("direction").asText()).isEqualTo("in");
            assertThat(firewall.path("rules").get(0).path("protocol").asText()).isEqualTo("tcp");
            assertThat(firewall.path("rules").get(0).path("port").asText()).isEqualTo("22");
            assertThat(server.path("public_net").path("firewalls").get(0).path("id").asLong()).isEqualTo(firewall.path("id").asLong());
            assertThat(daemon.log()).contains("provisioning:").contains("host ready").doesNotContain(TOKEN);
        }
        assertThat(Files.getPosixFilePermissions(work.resolve("home/default/id_ed25519")))
                .containsExactlyInAnyOrder(PosixFilePermission.OWNER_READ,
                        PosixFilePermission.OWNER_WRITE);
    }

    @Test
    void tenParallelFirstCommandsCreateOneServer() throws Exception {
        try (DockBridgeProcess daemon = start()) {
            DockerCli docker = new DockerCli(daemon.socket(), work.resolve("docker-config"));
            ExecutorService pool = Executors.newFixedThreadPool(10);
            try {
                List<Future<Cmd.Result>> runs = new ArrayList<>();
                for (int i = 0; i < 10; i++) {
                    runs.add(pool.submit(() -> docker.run(Duration.ofSeconds(90), "ps")));
                }
                for (Future<Cmd.Result> run : runs) {
                    Cmd.Result r = run.get();
                    assertThat(r.exitCode()).as(r.describe()).isZero();
                }
            } finally {
                pool.shutdownNow();
            }
            assertThat(sim.count("POST /servers")).isEqualTo(1);
        }
    }

    @Test
    void restartedDaemonAdoptsTheServer() throws IOException {
        try (DockBridgeProcess daemon = start()) {
            new DockerCli(daemon.socket(), work.resolve("docker-config")).ok("ps");
        }
        assertThat(sim.count("POST /servers")).isEqualTo(1);
        try (DockBridgeProcess daemon = start()) {
            assertThat(daemon.log()).contains("adopting");
            assertThat(new DockerCli(daemon.socket(), work.resolve("docker-config")).ok("ps")).startsWith("CONTAINER ID");
        }
        assertThat(sim.count("POST /servers")).as("adopted, not created again").isEqualTo(1);
        assertThat(sim.count("POST /ssh_keys")).as("key found again by fingerprint").isEqualTo(1);
    }

    @Test
    void aHostKeyOtherThanThePinnedOneIsRefused() throws IOException {
        sim.boot(HetznerSimulator.Boot.WRONG_HOST_KEY);
        try (DockBridgeProcess daemon = start()) {
            Cmd.Result r = new DockerCli(daemon.socket(), work.resolve("docker-config")).run(Duration.ofSeconds(90), "ps");
            assertThat(r.exitCode()).as(r.describe()).isPositive();
            assertThat(r.stderr()).contains("not the key DockBridge gave this server").contains("deleted");
        }
        assertThat(sim.count("POST /servers")).isEqualTo(1);
        assertThat(sim.servers()).isEmpty();
    }

    @Test
    void failedActionReachesTheClientAndLeavesNoServer() throws IOException {
        sim.boot(HetznerSimulator.Boot.ACTION_ERROR);
        try (DockBridgeProcess daemon = start()) {
            Cmd.Result r = new DockerCli(daemon.socket(), work.resolve("docker-config")).run(Duration.ofSeconds(90), "ps");
            assertThat(r.exitCode()).as(r.describe()).isPositive();
            assertThat(r.stderr()).contains("action_failed").contains("Server creation failed");
        }
        assertThat(sim.servers()).isEmpty();
        assertThat(sim.calls().stream().filter(c -> c.startsWith("DELETE /servers/")).count())
                .as("the server whose start failed was deleted, once").isEqualTo(1);
    }

    @Test
    void soldOutTypeReachesTheClientAndTheNextCommandTriesAgain() throws IOException {
        config = Files.writeString(config, "provider: hetzner\nhetzner:\n  locations: [fsn1]\n"); // nowhere else to go
        sim.addFault(Fault.error("POST", "/servers", 1, 412, "resource_unavailable", "server type cx23 sold out in fsn1"));
        try (DockBridgeProcess daemon = start()) {
            DockerCli docker = new DockerCli(daemon.socket(), work.resolve("docker-config"));
            Cmd.Result r = docker.run(Duration.ofSeconds(90), "ps");
            assertThat(r.exitCode()).as(r.describe()).isPositive();
            assertThat(r.stderr()).contains("resource_unavailable").contains("cx23 in fsn1 (resource_unavailable: server type cx23 sold out in fsn1)")
                    .contains("hetzner.locations");
            assertThat(sim.servers()).isEmpty();
            assertThat(sim.count("POST /servers")).as("the connections of one command share one attempt").isEqualTo(1);
            sleepPastSharedFailure();
            // a failed create is tried again at most once a minute: meanwhile a command hears why and when
            Cmd.Result held = docker.run(Duration.ofSeconds(30), "ps");
            assertThat(held.exitCode()).isPositive();
            assertThat(held.stderr()).contains("sold out in fsn1").contains("tries again in");
            assertThat(sim.count("POST /servers")).isEqualTo(1);
            // after the minute the next command tries again, and it works
            await().atMost(Duration.ofSeconds(75)).pollInterval(Duration.ofSeconds(5)).until(() -> docker.run(Duration.ofSeconds(60), "ps").ok());
        }
        assertThat(sim.servers()).hasSize(1);
    }

    /** Issue 14 item 11: a location closed to new servers, as fsn1 was for long stretches; the volume's location wins. */
    @Test
    void aClosedLocationIsPassedOverAndAVolumeKeepsItsLocation() throws IOException {
        config = Files.writeString(config, "provider: hetzner\nhetzner:\n  volume_size_gb: 10\n"); // default locations: nbg1, fsn1, hel1
        sim.closeLocation("nbg1");
        Path home = work.resolve("home");
        try (DockBridgeProcess daemon = start()) {
            DockerCli docker = new DockerCli(daemon.socket(), work.resolve("docker-config"));
            Cmd.Result first = docker.run(Duration.ofSeconds(90), "volume", "create", "v1");
            assertThat(first.exitCode()).as(first.describe() + daemon.log()).isZero();
            assertThat(sim.count("POST /servers")).as("nbg1 refused, then fsn1").isEqualTo(2);
            assertThat(sim.servers()).singleElement().satisfies(s -> assertThat(s.path("location").path("name").asText()).isEqualTo("fsn1"));
            assertThat(sim.volumes()).as("the volume made for nbg1 was deleted again").singleElement()
                    .satisfies(v -> assertThat(v.path("location").path("name").asText()).isEqualTo("fsn1"));
            assertThat(sim.count("POST /volumes")).isEqualTo(2);
            assertThat(daemon.log()).contains("cx23 in nbg1 refused: resource_unavailable: server location disabled")
                    .contains("took cx23 in fsn1 (1 unavailable before it)");
            Cmd.Result status = DockBridgeProcess.run(home, Duration.ofSeconds(30), "status");
            assertThat(status.stdout()).as(status.describe()).contains("cx23 in fsn1");

            // the volume holds Docker's data in fsn1: with fsn1 closed too, the next server is not made elsewhere
            assertThat(DockBridgeProcess.run(home, Duration.ofSeconds(60), "server", "destroy").exitCode()).isZero();
            await().atMost(Duration.ofSeconds(30)).until(() -> sim.servers().isEmpty());
            sim.closeLocation("fsn1");
            Cmd.Result held = docker.run(Duration.ofSeconds(90), "volume", "create", "v2");
            assertThat(held.exitCode()).isPositive();
            assertThat(held.stderr()).contains("cx23 in fsn1 (resource_unavailable: server location disabled)")
                    .contains("can only attach there").contains("--purge-volume").doesNotContain("hel1");
            assertThat(sim.count("POST /servers")).isEqualTo(3);
            assertThat(sim.volumes()).hasSize(1);
        }
    }

    /** Issue 14 item 1: the metadata service (user_data, host key included) is out of containers' reach; each server has its own host key. */
    @Test
    void containersCannotReadTheMetadataServiceAndEachServerHasItsOwnHostKey(TestBed bed) throws Exception {
        Path home = work.resolve("home");
        try (DockBridgeProcess daemon = start()) {
            DockerCli docker = new DockerCli(daemon.socket(), work.resolve("docker-config"));
            docker.ok("build", "-t", "hz:md", BusyboxImage.context(work.resolve("context")).toString());
            JsonNode first = sim.servers().get(0);
            long firstId = first.path("id").asLong();
            String firstName = first.path("name").asText();
            String ip = first.path("public_net").path("ipv4").path("ip").asText();
            var host = bed.host(3).address().equals(ip) ? bed.host(3) : bed.host(4);
            String userData = sim.userData(firstId);
            String firstKey = new YAMLMapper().readTree(userData)
                    .path("ssh_keys").path("ed25519_public").asText();
            assertThat(Files.readString(home.resolve("default/hosts/" + firstName + ".pub"))).contains(firstKey.split(" ")[1]);
            assertThat(Files.getPosixFilePermissions(home.resolve("default/hosts/" + firstName))).containsExactlyInAnyOrder(
                    PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE);
            String url = "http://169.254.169.254/hetzner/v1/userdata";
            try (AutoCloseable metadata = host.serveMetadata(userData)) {
                // (Debian's busybox wget crashes with -q or -T: plain -O- it is)
                Cmd.Result onHost = DockBridgeProcess.run(home, env(), Duration.ofSeconds(30), "ssh", "--", "busybox", "wget", "-O-", url);
                assertThat(onHost.stdout()).as(onHost.describe()).contains("ed25519_private");
                Cmd.Result inContainer = docker.run(Duration.ofSeconds(60), "run", "--rm", "hz:md", "wget", "-O-", url);
                assertThat(inContainer.exitCode()).as(inContainer.describe()).isNotZero();
                assertThat(inContainer.stdout()).doesNotContain("ed25519");
                // the rule is what keeps it out: without it the same container reads the host key
                Cmd.Result drop = DockBridgeProcess.run(home, env(), Duration.ofSeconds(30), "ssh", "--",
                        "iptables", "-D", "DOCKER-USER", "-d", "169.254.169.254/32", "-j", "REJECT");
                assertThat(drop.exitCode()).as(drop.describe()).isZero();
                assertThat(docker.ok("run", "--rm", "hz:md", "wget", "-O-", url)).contains("ed25519_private");
            }
            // the next server gets a key of its own; the first one's is forgotten with it
            assertThat(DockBridgeProcess.run(home, env(), Duration.ofSeconds(60), "server", "destroy").exitCode()).isZero();
            assertThat(home.resolve("default/hosts/" + firstName)).doesNotExist();
            docker.ok("volume", "create", "second");
            JsonNode second = sim.servers().get(0);
            assertThat(second.path("id").asLong()).isNotEqualTo(firstId);
            String secondKey = new YAMLMapper().readTree(sim.userData(second.path("id").asLong()))
                    .path("ssh_keys").path("ed25519_public").asText();
            assertThat(secondKey.split(" ")[1]).isNotEqualTo(firstKey.split(" ")[1]);
            assertThat(home.resolve("default/hosts/" + second.path("name").asText())).exists();
            assertThat(home.resolve("default/host_ed25519")).as("no profile-wide host key any more").doesNotExist();
        }
    }

    private static void sleepPastSharedFailure() {
        try {
            Thread.sleep(3500); // HostLifecycle.FAILURE_SHARED_FOR: connections of one command share a failure
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Test
    void bootTimeoutDeletesTheServer() throws IOException {
        sim.boot(HetznerSimulator.Boot.NO_SSH);
        config = Files.writeString(config, "provider: hetzner\nhetzner:\n  boot_timeout: 4s\nssh:\n  connect_timeout: 1s\n");
        try (DockBridgeProcess daemon = start()) {
            Cmd.Result r = new DockerCli(daemon.socket(), work.resolve("docker-config")).run(Duration.ofSeconds(90), "ps");
            assertThat(r.exitCode()).as(r.describe()).isPositive();
            assertThat(r.stderr()).contains("did not become ready within 4 s").contains("deleted");
        }
        assertThat(sim.servers()).isEmpty();
    }

    @Test
    void rateLimitAndUnavailableReadsAreRiddenOut() throws IOException {
        sim.addFault(Fault.rateLimited("GET", "/servers", 1, Instant.now().getEpochSecond() + 2));
        sim.addFault(Fault.error("GET", "/ssh_keys", 2, 503, "unavailable", "service unavailable"));
        sim.addFault(Fault.error("GET", "/actions", 1, 503, "unavailable", "service unavailable"));
        try (DockBridgeProcess daemon = start()) {
            assertThat(new DockerCli(daemon.socket(), work.resolve("docker-config")).ok("ps")).startsWith("CONTAINER ID");
            assertThat(daemon.log()).contains("retry");
        }
        assertThat(sim.count("POST /servers")).isEqualTo(1);
    }

    @Test
    void badTokenFailsStartClearly() {
        Cmd.Result r = DockBridgeProcess.run(work.resolve("home"), Map.of("HCLOUD_TOKEN", "wrong-token", "HCLOUD_ENDPOINT", sim.endpoint()),
                Duration.ofSeconds(60), "start", "--config", config.toString());
        assertThat(r.exitCode()).as(r.describe()).isEqualTo(1);
        assertThat(r.stderr()).contains("HCLOUD_TOKEN was refused by the Hetzner API (unauthorized)").doesNotContain("wrong-token");
        assertThat(sim.calls()).hasSize(1); // one cheap GET
    }

    @Test
    void missingTokenIsAUsageError() {
        Cmd.Result r = DockBridgeProcess.run(work.resolve("home"), Duration.ofSeconds(60), "start", "--config", config.toString());
        assertThat(r.exitCode()).as(r.describe()).isEqualTo(2);
        assertThat(r.stderr()).contains("HCLOUD_TOKEN is not set");
    }

    @Test
    void serverCommandsCreateShowAndDestroy() {
        Path home = work.resolve("home");
        Cmd.Result empty = DockBridgeProcess.run(home, env(), Duration.ofSeconds(60), "server", "status", "--config", config.toString());
        assertThat(empty.stdout()).as(empty.describe()).contains("no server");

        sim.bootDelay(Duration.ofSeconds(3));
        Cmd.Result create = DockBridgeProcess.run(home, env(), Duration.ofSeconds(120), "server", "create", "--config", config.toString());
        assertThat(create.exitCode()).as(create.describe()).isZero();
        // one line per step when no terminal: the minute a real server takes is not silent (issue 14 item 7)
        assertThat(create.stderr()).as(create.describe()).containsPattern("\\[\\d+ s\\] server dockbridge-default-\\w+ \\(\\d+, cx23 in nbg1\\) created, waiting for it to start\n");
        assertThat(create.stdout().lines().toList()).as("stdout: the result alone").hasSize(1);
        assertThat(sim.servers()).hasSize(1);
        String id = sim.servers().get(0).path("id").asText();
        assertThat(create.stdout()).contains("(" + id + ") ready at");

        Cmd.Result status = DockBridgeProcess.run(home, env(), Duration.ofSeconds(60), "server", "status", "--config", config.toString());
        assertThat(status.stdout()).as(status.describe()).contains("(" + id + ")").contains("cx23 in nbg1");

        Cmd.Result again = DockBridgeProcess.run(home, env(), Duration.ofSeconds(120), "server", "create", "--config", config.toString());
        assertThat(again.exitCode()).as(again.describe()).isZero();
        assertThat(sim.count("POST /servers")).as("create adopts an existing server").isEqualTo(1);

        Cmd.Result destroy = DockBridgeProcess.run(home, env(), Duration.ofSeconds(60), "server", "destroy", "--config", config.toString());
        assertThat(destroy.stdout()).as(destroy.describe()).contains("deleted server");
        assertThat(sim.servers()).isEmpty();
    }

    @Test
    void serverCommandsGoThroughARunningDaemon() throws IOException {
        sim.bootDelay(Duration.ofSeconds(3));
        try (DockBridgeProcess daemon = start()) {
            Cmd.Result create = DockBridgeProcess.run(work.resolve("home"), env(), Duration.ofSeconds(120), "server", "create",
                    "--config", config.toString());
            assertThat(create.stdout()).as(create.describe()).contains("ready at");
            // the daemon's steps, read from its status while it works (issue 14 item 7)
            assertThat(create.stderr()).containsPattern("\\[\\d+ s\\] server dockbridge-default-\\w+ \\(\\d+, cx23 in nbg1\\) created, "
                    + "waiting for it to start\n");
            Cmd.Result watch = DockBridgeProcess.run(work.resolve("home"), env(), Duration.ofMillis(3500), "status", "--watch");
            assertThat(watch.stdout().split("profile: ", -1).length - 1).as(watch.describe()).isGreaterThanOrEqualTo(2);
            Cmd.Result watchJson = DockBridgeProcess.run(work.resolve("home"), env(), Duration.ofMillis(2500), "status", "--watch", "--json");
            assertThat(watchJson.stdout().lines().toList()).as(watchJson.describe()).isNotEmpty()
                    .allSatisfy(l -> assertThat(new ObjectMapper().readTree(l).path("server").path("state").asText()).isEqualTo("ready"));
            assertThat(daemon.log()).as("the daemon did the work").contains("host ready");
            assertThat(new DockerCli(daemon.socket(), work.resolve("docker-config")).ok("ps")).startsWith("CONTAINER ID");
            Cmd.Result destroy = DockBridgeProcess.run(work.resolve("home"), env(), Duration.ofSeconds(60), "server", "destroy",
                    "--config", config.toString());
            assertThat(destroy.stdout()).as(destroy.describe()).contains("deleted server");
            assertThat(daemon.log()).contains("deleted dockbridge-default-");
            assertThat(sim.servers()).isEmpty();
        }
        assertThat(sim.count("POST /servers")).isEqualTo(1);
    }

    @Test
    void stopWithoutDestroySaysWhatTheKeptServerCostsAndHowToDeleteIt() throws IOException {
        try (DockBridgeProcess daemon = start()) {
            new DockerCli(daemon.socket(), work.resolve("docker-config")).ok("ps"); // creates the server
            Cmd.Result stop = DockBridgeProcess.run(work.resolve("home"), env(), Duration.ofSeconds(60), "stop");
            assertThat(stop.exitCode()).as(stop.describe()).isZero();
            assertThat(stop.stdout()).as(stop.describe()).containsPattern("the server dockbridge-default-\\S+ keeps running and costs 0\\.0\\d+ EUR/h")
                    .contains("its guard deletes it after 30m without a DockBridge session").contains("'dockbridge stop --destroy'");
            assertThat(sim.servers()).as("kept").hasSize(1);
        }
        Cmd.Result destroy = DockBridgeProcess.run(work.resolve("home"), env(), Duration.ofSeconds(90), "server", "destroy",
                "--config", config.toString());
        assertThat(destroy.exitCode()).as(destroy.describe()).isZero();
        assertThat(sim.servers()).isEmpty();
    }

    @Test
    void sshReachesTheServerWithThePinnedKeyAndNothingInTheUsersSshFolder() throws IOException {
        Path userHome = work.resolve("user-home");
        Files.createDirectories(userHome);
        Map<String, String> env = new HashMap<>(env());
        env.put("HOME", userHome.toString());
        try (DockBridgeProcess daemon = start()) {
            Cmd.Result before = DockBridgeProcess.run(work.resolve("home"), env, Duration.ofSeconds(30), "ssh", "--", "true");
            assertThat(before.exitCode()).as(before.describe()).isEqualTo(1);
            assertThat(before.stderr()).contains("not ready: run a docker command or 'dockbridge server create' first");
            new DockerCli(daemon.socket(), work.resolve("docker-config")).ok("ps"); // creates the server
            Cmd.Result r = DockBridgeProcess.run(work.resolve("home"), env, Duration.ofSeconds(60), "ssh", "--", "echo", "on-the-server", "&&", "id", "-u");
            assertThat(r.exitCode()).as(r.describe()).isZero();
            assertThat(r.stdout()).contains("on-the-server").contains("0");
            Cmd.Result info = DockBridgeProcess.run(work.resolve("home"), env, Duration.ofSeconds(60), "ssh", "--", "docker", "info",
                    "--format", "'{{.ServerVersion}}'");
            assertThat(info.stdout().strip()).as(info.describe()).matches("\\d+\\.\\d+.*");
            Cmd.Result failing = DockBridgeProcess.run(work.resolve("home"), env, Duration.ofSeconds(60), "ssh", "--", "exit", "7");
            assertThat(failing.exitCode()).as("the remote command's exit code").isEqualTo(7);
            assertThat(userHome.resolve(".ssh")).as("nothing added to ~/.ssh").doesNotExist();

            // the pin is what is checked: with another key pinned, the server's real one is refused
            Path pinned = work.resolve("home/default/hosts/" + sim.servers().get(0).path("name").asText());
            Files.delete(pinned);
            ProfileKeys.loadOrCreate(pinned, "another-host-key");
            Cmd.Result refused = DockBridgeProcess.run(work.resolve("home"), env, Duration.ofSeconds(60), "ssh", "--", "echo", "should-not-run");
            assertThat(refused.exitCode()).as(refused.describe()).isEqualTo(255);
            assertThat(refused.stdout()).doesNotContain("should-not-run");
            assertThat(refused.stderr()).containsIgnoringCase("host key");
        }
    }

    @Test
    void listShowsEveryProfileAndAServerThatMayStillCostMoney() throws IOException {
        Path home = work.resolve("home");
        // a profile that ran once and never had a server
        assertThat(DockBridgeProcess.run(home, env(), Duration.ofSeconds(60), "start", "--detach", "--profile", "idle-one",
                "--config", config.toString()).exitCode()).isZero();
        assertThat(DockBridgeProcess.run(home, env(), Duration.ofSeconds(60), "stop", "--profile", "idle-one").exitCode()).isZero();
        Files.createDirectories(home.resolve("not-a-profile")); // a folder no daemon made
        try (DockBridgeProcess daemon = start()) {
            new DockerCli(daemon.socket(), work.resolve("docker-config")).ok("ps"); // default: a ready server
            Cmd.Result other = DockBridgeProcess.run(home, env(), Duration.ofSeconds(60), "start", "--detach", "--profile", "other",
                    "--config", config.toString()); // other: a daemon, no server yet
            assertThat(other.exitCode()).as(other.describe()).isZero();
            try {
                JsonNode listed = new ObjectMapper().readTree(DockBridgeProcess.run(home, env(), Duration.ofSeconds(30), "list", "--json").stdout());
                Map<String, JsonNode> byName = new HashMap<>();
                listed.path("profiles").forEach(p -> byName.put(p.path("profile").asText(), p));
                assertThat(byName.keySet()).containsExactlyInAnyOrder("default", "other", "idle-one");
                assertThat(byName.get("default").path("daemon").asText()).isEqualTo("running");
                assertThat(byName.get("default").path("server").asText()).isEqualTo("ready");
                assertThat(byName.get("default").path("name").asText()).startsWith("dockbridge-default-");
                assertThat(byName.get("other").path("daemon").asText()).isEqualTo("running");
                assertThat(byName.get("other").path("server").asText()).isEqualTo("absent");
                assertThat(byName.get("idle-one").path("daemon").asText()).isEqualTo("stopped");
                assertThat(byName.get("idle-one").path("server").asText()).isEqualTo("none");
            } finally {
                DockBridgeProcess.run(home, env(), Duration.ofSeconds(60), "stop", "--profile", "other");
            }
            Cmd.Result stop = DockBridgeProcess.run(home, env(), Duration.ofSeconds(60), "stop");
            assertThat(stop.exitCode()).as(stop.describe()).isZero();
        }
        // no daemon, but the server it kept: shown as costing money, with what to do
        Cmd.Result table = DockBridgeProcess.run(home, env(), Duration.ofSeconds(30), "list");
        assertThat(table.exitCode()).as(table.describe()).isZero();
        assertThat(table.stdout()).containsPattern("default +stopped +maybe_running +dockbridge-default-")
                .contains("may still cost").contains("'dockbridge stop --destroy' deletes it");
        assertThat(table.stdout()).containsPattern("other +stopped +none");
        Cmd.Result destroy = DockBridgeProcess.run(home, env(), Duration.ofSeconds(90), "server", "destroy", "--config", config.toString());
        assertThat(destroy.exitCode()).as(destroy.describe()).isZero();
        assertThat(DockBridgeProcess.run(home, env(), Duration.ofSeconds(30), "list").stdout()).containsPattern("default +stopped +none");
    }

    @Test
    void armServerTypeGetsTheArmImage() throws IOException {
        config = Files.writeString(config, "provider: hetzner\nhetzner:\n  server_type: cax11\n  location: hel1\n");
        try (DockBridgeProcess daemon = start()) {
            new DockerCli(daemon.socket(), work.resolve("docker-config")).ok("ps");
        }
        JsonNode server = sim.servers().get(0);
        assertThat(server.path("server_type").path("name").asText()).isEqualTo("cax11");
        assertThat(server.path("image").path("architecture").asText()).isEqualTo("arm");
        assertThat(server.path("location").path("name").asText()).isEqualTo("hel1");
    }
}

package dev.dockbridge.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.dockbridge.e2e.hetzner.Fault;
import dev.dockbridge.e2e.hetzner.HetznerSimulator;
import dev.dockbridge.e2e.testbed.BusyboxImage;
import dev.dockbridge.e2e.testbed.Cmd;
import dev.dockbridge.e2e.testbed.TestBed;
import dev.dockbridge.e2e.testbed.TestHost;

/**
 * Issue 15: one owner for the server. A docker command that arrives while an idle deletion stops Docker calls it
 * off; a DELETE that fails is retried until the server is gone, and status never says absent meanwhile; a killed
 * daemon does not stop a direct deletion; queries leave an 'off' server off; a server Hetzner is migrating is
 * waited for, not duplicated; an outage costs one reconnect wait, not one per connection.
 */
@ExtendWith(TestBedExtension.class)
@Timeout(value = 4, unit = TimeUnit.MINUTES)
class LifecycleRaceTest {
    private static final String TOKEN = "sim-token-lifecycle";
    private static final ObjectMapper JSON = new ObjectMapper();

    private static JsonNode status(Path home) throws Exception {
        Cmd.Result r = DockBridgeProcess.run(home, Duration.ofSeconds(30), "status", "--json");
        assertThat(r.exitCode()).as(r.describe()).isZero();
        return StatusSchema.valid(JSON.readTree(r.stdout()));
    }

    private static TestHost hostOf(TestBed bed, HetznerSimulator sim) {
        String ip = sim.servers().get(0).path("public_net").path("ipv4").path("ip").asText();
        for (int i = 3; i <= 4; i++) {
            if (bed.host(i).address().equals(ip)) {
                return bed.host(i);
            }
        }
        throw new AssertionError("no test-bed host at " + ip);
    }

    private static long deletes(HetznerSimulator sim) {
        return sim.calls().stream().filter(c -> c.startsWith("DELETE /servers/")).count();
    }

    @Test
    void aDockerRunDuringTheQuiesceCallsTheDeletionOffAndItsContainerRuns(TestBed bed) throws Exception {
        Path work = Files.createTempDirectory("dbe2e-quiesce");
        Path home = work.resolve("home");
        Path config = Files.writeString(work.resolve("config.yaml"),
                "provider: hetzner\nhetzner:\n  volume_size_gb: 10\nidle:\n  timeout: 20s\n  billing_aware: false\n");
        try (HetznerSimulator sim = new HetznerSimulator(TOKEN, List.of(bed.host(3), bed.host(4)));
             DockBridgeProcess daemon = DockBridgeProcess.start(home, config, sim.clientEnv())) {
            DockerCli docker = new DockerCli(daemon.socket(), work.resolve("docker-config"));
            docker.ok("build", "-t", "quiesce:e2e", BusyboxImage.context(work.resolve("context")).toString());
            long server = sim.servers().get(0).path("id").asLong();
            TestHost host = hostOf(bed, sim);
            host.dockerStopTakes(Duration.ofSeconds(12)); // stopping Docker on a real server takes a while: the window

            // the idle deletion starts: Docker on the server is being stopped
            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100))
                    .until(() -> host.systemctlCalls().stream().anyMatch(c -> c.startsWith("stop")));
            assertThat(status(home).path("server").path("phase").asText()).isEqualTo("quiescing");
            String id = docker.ok("run", "-d", "quiesce:e2e", "sleep", "600").strip();

            assertThat(docker.ok("inspect", "-f", "{{.State.Running}}", id).strip()).isEqualTo("true");
            assertThat(deletes(sim)).as("the deletion was called off before its DELETE").isZero();
            assertThat(sim.servers()).extracting(s -> s.path("id").asLong()).containsExactly(server);
            assertThat(host.systemctlCalls()).as("Docker was started again").anyMatch(c -> c.startsWith("start"));
            assertThat(daemon.log()).contains("the deletion is called off").contains("Docker answers again");
            assertThat(status(home).path("server").path("state").asText()).isEqualTo("ready");
        }
    }

    @Test
    void aDeleteThatFailsSixTimesIsRetriedUntilTheServerIsGoneAndNeverReadsAbsent(TestBed bed) throws Exception {
        Path work = Files.createTempDirectory("dbe2e-delete-retry");
        Path home = work.resolve("home");
        Path config = Files.writeString(work.resolve("config.yaml"), "provider: hetzner\n");
        try (HetznerSimulator sim = new HetznerSimulator(TOKEN, List.of(bed.host(3), bed.host(4)));
             DockBridgeProcess daemon = DockBridgeProcess.start(home, config, sim.clientEnv())) {
            DockerCli docker = new DockerCli(daemon.socket(), work.resolve("docker-config"));
            docker.ok("ps");
            sim.addFault(Fault.error("DELETE", "/servers/\\d+", 6, 503, "unavailable", "service temporarily unavailable"));

            Set<String> seenWhileItExisted = ConcurrentHashMap.newKeySet();
            AtomicBoolean watching = new AtomicBoolean(true);
            int[] mostAttempts = {0};
            Thread watcher = new Thread(() -> {
                while (watching.get()) {
                    try {
                        boolean existedBefore = !sim.servers().isEmpty();
                        JsonNode s = status(home).path("server");
                        boolean existsAfter = !sim.servers().isEmpty();
                        if (existedBefore && existsAfter) {
                            seenWhileItExisted.add(s.path("state").asText());
                            mostAttempts[0] = Math.max(mostAttempts[0], s.path("delete_attempts").asInt(0));
                        }
                        Thread.sleep(150);
                    } catch (Exception e) {
                        return;
                    }
                }
            });
            watcher.start();
            Cmd.Result destroy = DockBridgeProcess.run(home, Duration.ofSeconds(90), "server", "destroy");
            await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(250)).until(() -> sim.servers().isEmpty());
            await().atMost(Duration.ofSeconds(10)).until(() -> status(home).path("server").path("state").asText().equals("absent"));
            watching.set(false);
            watcher.join(10_000);

            assertThat(deletes(sim)).as("six refused, the seventh done").isEqualTo(7);
            assertThat(seenWhileItExisted).as("states shown while the server existed").contains("destroying").doesNotContain("absent");
            // the API client itself retries a 5xx a few times; more than that is the lifecycle's retry
            assertThat(mostAttempts[0]).as("status counted the failed attempts").isGreaterThanOrEqualTo(1);
            assertThat(destroy.stdout() + destroy.stderr()).as(destroy.describe())
                    .containsAnyOf("deleted server", "still under way");
            assertThat(daemon.log()).contains("failed (attempt 1)").contains("retrying in");
            docker.ok("volume", "create", "after-retries"); // the next command that needs the engine brings a new server
            assertThat(sim.count("POST /servers")).isEqualTo(2);
        }
    }

    @Test
    void afterKillNineServerDestroyDeletesTheServerAndClosesItsCost(TestBed bed) throws Exception {
        Path work = Files.createTempDirectory("dbe2e-kill-destroy");
        Path home = work.resolve("home");
        Path config = Files.writeString(work.resolve("config.yaml"), "provider: hetzner\n");
        try (HetznerSimulator sim = new HetznerSimulator(TOKEN, List.of(bed.host(3), bed.host(4)))) {
            DockBridgeProcess daemon = DockBridgeProcess.start(home, config, sim.clientEnv());
            new DockerCli(daemon.socket(), work.resolve("docker-config")).ok("ps");
            String name = sim.servers().get(0).path("name").asText();
            daemon.process().destroyForcibly();
            daemon.process().waitFor(10, TimeUnit.SECONDS);
            assertThat(home.resolve("default/control.sock")).as("kill -9 leaves the socket file behind").exists();

            Cmd.Result destroy = DockBridgeProcess.run(home, sim.clientEnv(), Duration.ofSeconds(90), "server", "destroy");
            assertThat(destroy.exitCode()).as(destroy.describe()).isZero();
            assertThat(destroy.stdout()).contains("deleted server " + name);
            assertThat(sim.servers()).isEmpty();
            assertThat(Files.readString(home.resolve("default/costs.json"))).contains("\"deleted\"");
            assertThat(home.resolve("default/control.sock")).as("recognised as stale and removed").doesNotExist();
        }
    }

    @Test
    void anOffServerStaysOffUnderQueriesAndIsPoweredOnByTheNextDockerCommand(TestBed bed) throws Exception {
        Path work = Files.createTempDirectory("dbe2e-off");
        Path home = work.resolve("home");
        Path config = Files.writeString(work.resolve("config.yaml"), "provider: hetzner\n");
        try (HetznerSimulator sim = new HetznerSimulator(TOKEN, List.of(bed.host(3), bed.host(4)))) {
            try (DockBridgeProcess daemon = DockBridgeProcess.start(home, config, sim.clientEnv())) {
                new DockerCli(daemon.socket(), work.resolve("docker-config")).ok("ps");
            }
            long id = sim.servers().get(0).path("id").asLong();
            sim.powerOff(id);

            Cmd.Result status = DockBridgeProcess.run(home, sim.clientEnv(), Duration.ofSeconds(30), "server", "status");
            assertThat(status.exitCode()).as(status.describe()).isZero();
            assertThat(status.stdout()).contains("off");
            Cmd.Result doctor = DockBridgeProcess.run(home, sim.clientEnv(), Duration.ofSeconds(60), "doctor");
            assertThat(doctor.stdout()).contains("is off");
            assertThat(sim.servers().get(0).path("status").asText()).as("queries power nothing on").isEqualTo("off");
            assertThat(sim.count("POST /servers/" + id + "/actions/poweron")).isZero();

            try (DockBridgeProcess daemon = DockBridgeProcess.start(home, config, sim.clientEnv())) {
                assertThat(new DockerCli(daemon.socket(), work.resolve("docker-config")).ok("ps")).startsWith("CONTAINER ID");
                assertThat(sim.count("POST /servers/" + id + "/actions/poweron")).isEqualTo(1);
                assertThat(sim.count("POST /servers")).isEqualTo(1);
                assertThat(daemon.log()).contains("is off: powering it on");
            }
        }
    }

    @Test
    void aServerBeingMigratedIsWaitedForAndNotDuplicated(TestBed bed) throws Exception {
        Path work = Files.createTempDirectory("dbe2e-migrating");
        Path home = work.resolve("home");
        Path config = Files.writeString(work.resolve("config.yaml"), "provider: hetzner\n");
        try (HetznerSimulator sim = new HetznerSimulator(TOKEN, List.of(bed.host(3), bed.host(4)))) {
            try (DockBridgeProcess daemon = DockBridgeProcess.start(home, config, sim.clientEnv())) {
                new DockerCli(daemon.socket(), work.resolve("docker-config")).ok("ps");
            }
            long id = sim.servers().get(0).path("id").asLong();
            sim.moveServer(id, "migrating", Duration.ofSeconds(6));
            try (DockBridgeProcess daemon = DockBridgeProcess.start(home, config, sim.clientEnv())) {
                JsonNode during = status(home).path("server");
                assertThat(during.path("state").asText()).as("the control socket answers while it adopts").isIn("booting", "ready");
                assertThat(new DockerCli(daemon.socket(), work.resolve("docker-config")).ok("ps")).startsWith("CONTAINER ID");
                assertThat(sim.count("POST /servers")).as("exactly one server").isEqualTo(1);
                assertThat(sim.servers()).hasSize(1);
                assertThat(daemon.log()).contains("is migrating: waiting until it runs");
            }
        }
    }

    @Test
    void withTheHostsSshdAndSessionsGoneDockerPsFailsWithinOneReconnectWait(TestBed bed) throws Exception {
        Path work = Files.createTempDirectory("dbe2e-outage");
        Path home = work.resolve("home");
        Path config = Files.writeString(work.resolve("config.yaml"), "provider: hetzner\nssh:\n  reconnect_wait: 10s\n");
        try (HetznerSimulator sim = new HetznerSimulator(TOKEN, List.of(bed.host(3), bed.host(4)));
             DockBridgeProcess daemon = DockBridgeProcess.start(home, config, sim.clientEnv())) {
            DockerCli docker = new DockerCli(daemon.socket(), work.resolve("docker-config"));
            docker.ok("ps");
            TestHost host = hostOf(bed, sim);
            host.stopSshd(22);
            host.killSshSessions();
            await().atMost(Duration.ofSeconds(20)).until(() -> daemon.log().contains("lost; reconnecting"));

            long started = System.nanoTime();
            Cmd.Result ps = docker.run(Duration.ofSeconds(120), "ps");
            double seconds = (System.nanoTime() - started) / 1e9;
            assertThat(ps.exitCode()).isNotZero();
            assertThat(ps.stderr()).contains("was lost").contains("DockBridge keeps trying");
            assertThat(seconds).as("the command waited for the session (reconnect_wait 10 s)").isGreaterThanOrEqualTo(9.0);
            // one wait per outage, not one per connection: the message counts from the loss, shared by all callers
            assertThat(ps.stderr()).containsPattern("was lost 1[0-9] s ago");

            Cmd.Result ps2 = docker.run(Duration.ofSeconds(60), "ps");
            assertThat(ps2.exitCode()).isNotZero();
            assertThat(ps2.stderr()).as("once the wait has run out, the same loss is reported").contains("is not back yet");

            host.startSshd(22);
            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofSeconds(1)).until(() -> docker.run(Duration.ofSeconds(30), "ps").ok());
        }
    }
}

package dev.dockbridge.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.dockbridge.e2e.hetzner.HetznerSimulator;
import dev.dockbridge.e2e.testbed.BusyboxImage;
import dev.dockbridge.e2e.testbed.Cmd;
import dev.dockbridge.e2e.testbed.TestBed;
import dev.dockbridge.e2e.testbed.TestHost;

/**
 * Issue 11 items 4 and 5: a server with nobody there deletes itself (its guard, through the simulator's API), unless a
 * container works; a server two machines use is not deleted by the idle one.
 */
@ExtendWith(TestBedExtension.class)
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class ServerGuardTest {
    private static final String TOKEN = "sim-token-guard-0123456789";
    private static final String IMAGE = "dockbridge-busybox:guard";

    @Test
    void aServerNobodyUsesDeletesItselfButNotUnderWorkingContainers(TestBed bed) throws Exception {
        Path work = Files.createTempDirectory("dbe2e-guard");
        Path home = work.resolve("home");
        Path config = Files.writeString(work.resolve("config.yaml"),
                "provider: hetzner\nidle:\n  timeout: 30m\n  billing_aware: false\n  unattended_timeout: 30s\n");
        try (HetznerSimulator sim = new HetznerSimulator(TOKEN, List.of(bed.host(3), bed.host(4)))) {
            DockBridgeProcess daemon = DockBridgeProcess.start(home, config, sim.clientEnv());
            long jobStarted;
            try {
                DockerCli docker = new DockerCli(daemon.socket(), work.resolve("docker-config"));
                docker.ok("build", "-t", IMAGE, BusyboxImage.context(work.resolve("context")).toString());
                // a job that computes for 40 s, then sits idle (still running)
                docker.ok("run", "-d", "--name", "job", IMAGE, "sh", "-c", "timeout 40 sh -c 'while :; do :; done'; sleep 3600");
                jobStarted = System.nanoTime();
                await().atMost(Duration.ofSeconds(40)).until(() -> daemon.log().contains("guard installed on"));
                long serverId = sim.servers().get(0).path("id").asLong();
                assertThat(sim.userData(serverId)).as("the token never goes into user_data").doesNotContain(TOKEN);
                Cmd.Result mode = DockBridgeProcess.run(home, sim.clientEnv(), Duration.ofSeconds(30), "ssh", "--",
                        "stat", "-c", "%a", "/var/lib/dockbridge/auth-header", "/var/lib/dockbridge/guard.env");
                assertThat(mode.stdout().lines().toList()).as(mode.describe()).containsExactly("600", "600");
            } finally {
                daemon.process().destroyForcibly(); // kill -9: nothing of the daemon's runs any more
                daemon.process().waitFor(10, TimeUnit.SECONDS);
            }
            // alone, 30 s without a session (the last mark up to 30 s before the kill, the guard looking every 10 s) would
            // delete it within 40 s of the kill; the job works until 40 s after its start, and 30 s after that it goes
            long killed = System.nanoTime();
            long held = Math.max(killed + Duration.ofSeconds(45).toNanos(), jobStarted + Duration.ofSeconds(60).toNanos());
            while (System.nanoTime() < held) {
                assertThat(sim.serverDeletes()).as("no deletion while the job works").isZero();
                assertThat(sim.servers()).hasSize(1);
                Thread.sleep(1000);
            }
            await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofSeconds(1)).until(() -> sim.servers().isEmpty());
            long deletedAt = System.currentTimeMillis() / 1000;
            assertThat(sim.serverDeletes()).isEqualTo(1);
            String serverId = String.valueOf(sim.calls().stream().filter(c -> c.startsWith("DELETE /servers/")).findFirst().orElseThrow()
                    .replaceAll("\\D", ""));
            JsonNode labels = sim.sshKeys().get(0).path("labels");
            assertThat(labels.path("dockbridge/deleted-" + serverId).asLong()).as("the guard recorded its deletion on the key: %s", labels)
                    .isBetween(deletedAt - 15, deletedAt);
            assertThat(labels.path("managed-by").asText()).as("the key's own labels stay").isEqualTo("dockbridge");
            assertThat(openCost(home, serverId)).as("no daemon ran: the entry is still open").isTrue();

            // the next start learns when the server went and closes its cost there, not at the start's time
            Thread.sleep(3000);
            try (DockBridgeProcess again = DockBridgeProcess.start(home, config, sim.clientEnv())) {
                JsonNode entry = costs(home).path("servers").path(serverId);
                assertThat(entry.path("deleted").asText()).as("%s", entry).isEqualTo(Instant.ofEpochSecond(labels.path("dockbridge/deleted-"
                        + serverId).asLong()).toString());
                assertThat(sim.sshKeys().get(0).path("labels").has("dockbridge/deleted-" + serverId)).as("the mark is taken in").isFalse();
                assertThat(again.log()).contains("deleted itself at");
                assertThat(DockBridgeProcess.run(home, sim.clientEnv(), Duration.ofSeconds(30), "list").stdout()).doesNotContain("maybe");
            }
        }
    }

    @Test
    void aLaptopWhoseNetworkWentAwayFindsTheServerDeletedItselfAndTheNextRunBringsOneBack(TestBed bed) throws Exception {
        Path work = Files.createTempDirectory("dbe2e-guard-cut");
        Path home = work.resolve("home");
        Path config = Files.writeString(work.resolve("config.yaml"),
                "provider: hetzner\nidle:\n  timeout: 30m\n  billing_aware: false\n  unattended_timeout: 30s\n");
        try (HetznerSimulator sim = new HetznerSimulator(TOKEN, List.of(bed.host(3), bed.host(4)));
             DockBridgeProcess daemon = DockBridgeProcess.start(home, config, sim.clientEnv())) {
            DockerCli docker = new DockerCli(daemon.socket(), work.resolve("docker-config"));
            Path context = BusyboxImage.context(work.resolve("context"));
            docker.ok("build", "-t", IMAGE, context.toString());
            await().atMost(Duration.ofSeconds(40)).until(() -> daemon.log().contains("guard installed on"));
            String ip = sim.servers().get(0).path("public_net").path("ipv4").path("ip").asText();
            String serverId = sim.servers().get(0).path("id").asText();
            TestHost server = ip.equals(bed.host(3).address()) ? bed.host(3) : bed.host(4);
            server.blockSsh(true); // the laptop's packets no longer arrive; the server still reaches the API
            boolean blocked = true;
            try {
                await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofSeconds(1)).until(() -> sim.servers().isEmpty());
                assertThat(sim.serverDeletes()).as("the guard's DELETE, the daemon deletes nothing").isEqualTo(1);
                await().atMost(Duration.ofSeconds(90)).until(() -> daemon.log().contains("deleted itself at"));
                JsonNode entry = costs(home).path("servers").path(serverId);
                long recorded = guardDeletionTime(sim, serverId);
                assertThat(entry.path("deleted").asText()).as("closed at the guard's time: %s", entry).isEqualTo(
                        Instant.ofEpochSecond(recorded).toString());
                await("the mark is taken in").atMost(Duration.ofSeconds(10)).until(() ->
                        !sim.sshKeys().get(0).path("labels").has("dockbridge/deleted-" + serverId));
                server.blockSsh(false); // the network is back
                blocked = false;
                docker.ok("build", "-t", IMAGE, context.toString()); // a new server: without a data volume it has no images
                assertThat(docker.ok("run", "--rm", IMAGE, "echo", "ok").strip()).isEqualTo("ok");
                assertThat(sim.servers()).hasSize(1);
            } finally {
                if (blocked) {
                    server.blockSsh(false);
                }
            }
        }
    }

    /** The time the guard put on the key before its DELETE (a daemon may have taken the label off again since). */
    private static long guardDeletionTime(HetznerSimulator sim, String serverId) {
        return sim.sshKeyLabelHistory().stream().filter(l -> l.has("dockbridge/deleted-" + serverId))
                .mapToLong(l -> l.path("dockbridge/deleted-" + serverId).asLong()).findFirst().orElseThrow();
    }

    private static JsonNode costs(Path home) throws Exception {
        return new ObjectMapper().readTree(home.resolve("default/costs.json").toFile());
    }

    private static boolean openCost(Path home, String serverId) throws Exception {
        JsonNode entry = costs(home).path("servers").path(serverId);
        return !entry.isMissingNode() && entry.path("deleted").isNull();
    }

    @Test
    void theIdleMachineDoesNotDeleteAServerAnotherMachineUses(TestBed bed) throws Exception {
        Path work = Files.createTempDirectory("dbe2e-shared");
        Path homeA = work.resolve("laptop-a");
        Path homeB = work.resolve("laptop-b");
        Path busyConfig = Files.writeString(work.resolve("a.yaml"), "provider: hetzner\nidle:\n  timeout: 30m\n");
        Path idleConfig = Files.writeString(work.resolve("b.yaml"), "provider: hetzner\nidle:\n  timeout: 20s\n  billing_aware: false\n");
        try (HetznerSimulator sim = new HetznerSimulator(TOKEN, List.of(bed.host(3), bed.host(4)));
             DockBridgeProcess a = DockBridgeProcess.start(homeA, busyConfig, sim.clientEnv())) {
            DockerCli dockerA = new DockerCli(a.socket(), work.resolve("docker-config-a"));
            dockerA.ok("ps");
            // the same profile on a second machine: its keys synced (as a dotfiles sync would), its own DOCKBRIDGE_HOME
            Path stateB = Files.createDirectories(homeB.resolve("default"), PosixFilePermissions.asFileAttribute(
                    PosixFilePermissions.fromString("rwx------")));
            Files.createDirectories(stateB.resolve("hosts"));
            Files.copy(homeA.resolve("default/id_ed25519"), stateB.resolve("id_ed25519"));
            Files.copy(homeA.resolve("default/id_ed25519.pub"), stateB.resolve("id_ed25519.pub"));
            try (Stream<Path> keys = Files.list(homeA.resolve("default/hosts"))) {
                for (Path k : keys.toList()) {
                    Files.copy(k, stateB.resolve("hosts").resolve(k.getFileName()));
                }
            }
            try (DockBridgeProcess b = DockBridgeProcess.start(homeB, idleConfig, sim.clientEnv())) {
                assertThat(b.log()).contains("adopting");
                long until = System.nanoTime() + Duration.ofSeconds(35).toNanos(); // B alone would delete at about 20 s
                for (int i = 0; System.nanoTime() < until; i++) {
                    dockerA.ok("volume", "create", "work-" + i); // machine A works; machine B has nothing to do
                    Thread.sleep(3000);
                }
                assertThat(sim.serverDeletes()).as("B's idle timeout (20 s) passed, but A uses the server").isZero();
                assertThat(sim.servers()).hasSize(1);
                JsonNode status = new ObjectMapper().readTree(DockBridgeProcess.run(homeB, Duration.ofSeconds(30), "status", "--json").stdout());
                StatusSchema.valid(status);
                assertThat(status.path("idle").path("blocked_by").toString()).contains("in use from another machine");
            }
        }
    }
}

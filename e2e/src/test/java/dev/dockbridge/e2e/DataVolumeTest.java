package dev.dockbridge.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.dockbridge.e2e.hetzner.HetznerSimulator;
import dev.dockbridge.e2e.testbed.BusyboxImage;
import dev.dockbridge.e2e.testbed.Cmd;
import dev.dockbridge.e2e.testbed.TestBed;

/**
 * Issue 5's data volume: images, stopped containers and named volumes outlive an idle deletion, because
 * /var/lib/docker is a Hetzner volume that cloud-init mounts before Docker starts. The simulator's
 * servers run Docker on the volume's directory only if the cloud-init really mounts it there.
 */
@ExtendWith(TestBedExtension.class)
@Timeout(value = 4, unit = TimeUnit.MINUTES)
class DataVolumeTest {
    private static final String TOKEN = "sim-token-volume";
    private static final String IMAGE = "dockbridge-busybox:kept";

    @Test
    void dockerDataOutlivesAnIdleDeletionAndOnlyPurgeDeletesTheVolume(TestBed bed) throws Exception {
        Path work = Files.createTempDirectory("dbe2e-volume");
        Path home = work.resolve("home");
        Path config = Files.writeString(work.resolve("config.yaml"),
                "provider: hetzner\nhetzner:\n  volume_size_gb: 10\nidle:\n  timeout: 20s\n  billing_aware: false\n");
        try (HetznerSimulator sim = new HetznerSimulator(TOKEN, List.of(bed.host(3), bed.host(4)));
             DockBridgeProcess daemon = DockBridgeProcess.start(home, config, sim.clientEnv())) {
            DockerCli docker = new DockerCli(daemon.socket(), work.resolve("docker-config"));
            docker.ok("build", "-t", IMAGE, BusyboxImage.context(work.resolve("context")).toString());
            docker.ok("volume", "create", "notes");
            docker.ok("run", "--rm", "-v", "notes:/notes", IMAGE, "sh", "-c", "echo kept across servers > /notes/n.txt");
            docker.ok("create", "--name", "stopped-one", IMAGE, "true");

            assertThat(sim.volumes()).hasSize(1);
            JsonNode simVolume = sim.volumes().get(0);
            long volumeId = simVolume.path("id").asLong();
            assertThat(simVolume.path("labels").path("managed-by").asText()).isEqualTo("dockbridge");
            assertThat(simVolume.path("labels").path("dockbridge/profile").asText()).isEqualTo("default");
            assertThat(simVolume.path("size").asInt()).isEqualTo(10);
            JsonNode firstServer = sim.servers().get(0);
            assertThat(firstServer.path("volumes").toString()).isEqualTo("[" + volumeId + "]");
            JsonNode volume = status(home).path("server").path("volume");
            assertThat(volume.path("id").asLong()).isEqualTo(volumeId);
            assertThat(volume.path("size_gb").asInt()).isEqualTo(10);
            assertThat(volume.path("attached").asBoolean()).isTrue();
            assertThat(volume.path("monthly_price").decimalValue()).isEqualByComparingTo("0.524"); // 10 GB x 0.0524 gross
            assertThat(volume.path("currency").asText()).isEqualTo("EUR");
            assertThat(DockBridgeProcess.run(home, Duration.ofSeconds(30), "status").stdout())
                    .contains("volume:      dockbridge-default-docker (" + volumeId + "), 10 GB for /var/lib/docker, attached, 0.524");

            // idle deletion: the server goes, the volume stays (detached)
            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(500)).until(() -> sim.servers().isEmpty());
            await().atMost(Duration.ofSeconds(30)).until(() -> sim.volumes().size() == 1 && sim.volumes().get(0).path("server").isNull());
            assertThat(daemon.log()).contains("before deleting " + firstServer.path("name").asText());
            // the daemon sees the delete action finish at its next poll
            await().atMost(Duration.ofSeconds(10)).until(() -> status(home).path("server").path("state").asText().equals("absent"));
            JsonNode afterDelete = status(home).path("server");
            assertThat(afterDelete.path("volume").path("attached").asBoolean()).isFalse();

            // a look does not bring a server back, and with a data volume it cannot claim the lists are empty
            Cmd.Result look = docker.run(Duration.ofSeconds(30), "images");
            assertThat(look.exitCode()).isNotZero();
            assertThat(look.stderr()).contains("no server is running").contains("brings one up");
            assertThat(sim.count("POST /servers")).isEqualTo(1);
            // the next command that needs the engine brings a new server (on the other test-bed host) with the same volume
            docker.ok("volume", "create", "second-server");
            assertThat(docker.ok("images", "--format", "{{.Repository}}:{{.Tag}}")).contains(IMAGE);
            JsonNode secondServer = sim.servers().get(0);
            assertThat(secondServer.path("id").asLong()).isNotEqualTo(firstServer.path("id").asLong());
            assertThat(secondServer.path("public_net").path("ipv4").path("ip").asText())
                    .as("another machine: the data came with the volume").isNotEqualTo(firstServer.path("public_net").path("ipv4").path("ip").asText());
            assertThat(secondServer.path("volumes").toString()).isEqualTo("[" + volumeId + "]");
            assertThat(docker.ok("ps", "-a", "--format", "{{.Names}}")).contains("stopped-one");
            assertThat(docker.ok("run", "--rm", "-v", "notes:/notes", IMAGE, "cat", "/notes/n.txt")).isEqualTo("kept across servers\n");
            assertThat(sim.count("POST /volumes")).isEqualTo(1);

            Cmd.Result refused = DockBridgeProcess.run(home, Duration.ofSeconds(30), "stop", "--purge-volume");
            assertThat(refused.exitCode()).isEqualTo(2);
            assertThat(refused.stderr()).contains("use it with --destroy");

            Cmd.Result purge = DockBridgeProcess.run(home, Duration.ofSeconds(120), "stop", "--destroy", "--purge-volume");
            assertThat(purge.exitCode()).as(purge.describe()).isZero();
            assertThat(purge.stdout()).contains("deleted its server " + secondServer.path("name").asText())
                    .contains("and its data volume " + simVolume.path("name").asText());
            assertThat(sim.servers()).isEmpty();
            assertThat(sim.volumes()).isEmpty();
            assertThat(daemon.process().waitFor(30, TimeUnit.SECONDS)).isTrue();
        }
    }

    /** Issue 14 item 2: a volume that cannot be unmounted (something on the server holds it) is never cut off by a deletion. */
    @Test
    void aBusyVolumeKeepsItsServerUntilItIsReleased(TestBed bed) throws Exception {
        Path work = Files.createTempDirectory("dbe2e-busy-volume");
        Path home = work.resolve("home");
        Path config = Files.writeString(work.resolve("config.yaml"),
                "provider: hetzner\nhetzner:\n  volume_size_gb: 10\nidle:\n  timeout: 5s\n  billing_aware: false\n");
        try (HetznerSimulator sim = new HetznerSimulator(TOKEN, List.of(bed.host(3), bed.host(4)));
             DockBridgeProcess daemon = DockBridgeProcess.start(home, config, sim.clientEnv())) {
            DockerCli docker = new DockerCli(daemon.socket(), work.resolve("docker-config"));
            docker.ok("volume", "create", "precious");
            // a shell on the server sits in /var/lib/docker (as a user's 'cd' would); it ends when its stdin closes
            ProcessBuilder pb = new ProcessBuilder(DockBridgeProcess.launcher().toString(), "ssh", "--",
                    "cd /var/lib/docker/volumes && echo holding && read line").redirectErrorStream(true);
            pb.environment().put("DOCKBRIDGE_HOME", home.toString());
            pb.environment().putAll(sim.clientEnv());
            Process holder = pb.start();
            try {
                assertThat(new String(holder.getInputStream().readNBytes(8))).isEqualTo("holding\n");
                await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(500))
                        .until(() -> daemon.log().contains("not deleted: its data volume could not be unmounted"));
                assertThat(daemon.log()).contains("target is busy");
                assertThat(sim.servers()).as("kept").hasSize(1);
                assertThat(sim.serverDeletes()).isZero();
                await().atMost(Duration.ofSeconds(30)).until(() -> status(home).path("server").path("reason").asText().contains("target is busy"));
                assertThat(docker.ok("volume", "ls", "--format", "{{.Name}}")).as("Docker runs again").contains("precious");

                Cmd.Result destroy = DockBridgeProcess.run(home, Duration.ofSeconds(120), "server", "destroy");
                assertThat(destroy.exitCode()).as(destroy.describe()).isPositive();
                assertThat(destroy.stderr()).contains("was not deleted").contains("fuser -vm /var/lib/docker");
                assertThat(sim.servers()).hasSize(1);
            } finally {
                holder.getOutputStream().close();
                holder.waitFor(20, TimeUnit.SECONDS);
                holder.destroyForcibly();
            }
            // released: the next idle deletion goes ahead, and the volume comes back detached
            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(500)).until(() -> sim.servers().isEmpty());
            await().atMost(Duration.ofSeconds(30)).until(() -> sim.volumes().size() == 1 && sim.volumes().get(0).path("server").isNull());
            assertThat(daemon.log()).contains("before deleting").contains(": done");
        }
    }

    private static JsonNode status(Path home) throws IOException {
        Cmd.Result r = DockBridgeProcess.run(home, Duration.ofSeconds(30), "status", "--json");
        assertThat(r.exitCode()).as(r.describe()).isZero();
        return StatusSchema.valid(new ObjectMapper().readTree(r.stdout()));
    }
}

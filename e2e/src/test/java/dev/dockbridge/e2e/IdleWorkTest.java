package dev.dockbridge.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
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

/**
 * Issue 11: a container that works keeps the server and one that only sleeps does not; polling neither keeps
 * a server nor brings a deleted one back, while a person's command does; failed creates are bounded; a hold
 * survives a restart. {@code idle.timeout: 20s}, billing-aware off.
 */
@ExtendWith(TestBedExtension.class)
@Timeout(value = 6, unit = TimeUnit.MINUTES)
class IdleWorkTest {
    private static final String TOKEN = "sim-token-idle-work";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String IDLE = "idle:\n  timeout: 20s\n  billing_aware: false\n";

    private static JsonNode status(Path home) throws Exception {
        Cmd.Result r = DockBridgeProcess.run(home, Duration.ofSeconds(30), "status", "--json");
        assertThat(r.exitCode()).as(r.describe()).isZero();
        return StatusSchema.valid(JSON.readTree(r.stdout()));
    }

    private static long deletes(HetznerSimulator sim) {
        return sim.calls().stream().filter(c -> c.startsWith("DELETE /servers/")).count();
    }

    @Test
    void aWorkingContainerKeepsTheServerAndASleepingOneDoesNot(TestBed bed) throws Exception {
        Path work = Files.createTempDirectory("dbe2e-work");
        Path home = work.resolve("home");
        Path config = Files.writeString(work.resolve("config.yaml"), "provider: hetzner\n" + IDLE);
        try (HetznerSimulator sim = new HetznerSimulator(TOKEN, List.of(bed.host(3), bed.host(4)));
             DockBridgeProcess daemon = DockBridgeProcess.start(home, config, sim.clientEnv())) {
            DockerCli docker = new DockerCli(daemon.socket(), work.resolve("docker-config"));
            docker.ok("build", "-t", "work:e2e", BusyboxImage.context(work.resolve("context")).toString());
            docker.ok("run", "-d", "--name", "train-1", "work:e2e", "sh", "-c",
                    "end=$(( $(date +%s) + 45 )); while [ $(date +%s) -lt $end ]; do :; done");
            long started = System.nanoTime();
            await().atMost(Duration.ofSeconds(40)).pollInterval(Duration.ofSeconds(1))
                    .until(() -> status(home).path("idle").path("blocked_by").toString().contains("container train-1 is working"));
            // no DELETE while it works (twice the 20 s timeout)
            while (System.nanoTime() - started < Duration.ofSeconds(40).toNanos()) {
                assertThat(deletes(sim)).as("deleted under a running job").isZero();
                Thread.sleep(2000);
            }
            await().atMost(Duration.ofSeconds(20)).until(() -> docker.ok("ps", "-q", "--filter", "name=train-1").isBlank());
            long ended = System.nanoTime();
            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(250)).until(() -> deletes(sim) == 1);
            double after = (System.nanoTime() - ended) / 1e9;
            assertThat(after).as("DELETE not before the timeout after the job ended, seconds").isGreaterThanOrEqualTo(15.0);
            assertThat(daemon.log()).contains("deleting idle server");
        }
    }

    @Test
    void aSleeperIsStoppedByTheDeletionAndStatusSaidSoBeforehand(TestBed bed) throws Exception {
        Path work = Files.createTempDirectory("dbe2e-sleeper");
        Path home = work.resolve("home");
        Path config = Files.writeString(work.resolve("config.yaml"), "provider: hetzner\n" + IDLE);
        try (HetznerSimulator sim = new HetznerSimulator(TOKEN, List.of(bed.host(3), bed.host(4)));
             DockBridgeProcess daemon = DockBridgeProcess.start(home, config, sim.clientEnv())) {
            DockerCli docker = new DockerCli(daemon.socket(), work.resolve("docker-config"));
            docker.ok("build", "-t", "work:e2e", BusyboxImage.context(work.resolve("context")).toString());
            docker.ok("run", "-d", "--name", "sleeper", "work:e2e", "sleep", "3600");
            await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofSeconds(1))
                    .until(() -> status(home).path("idle").path("will_stop").toString().contains("sleeper"));
            assertThat(status(home).path("idle").path("blocked_by").toString()).doesNotContain("sleeper");
            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(250)).until(() -> deletes(sim) == 1);
            assertThat(daemon.log()).contains("stops the running containers sleeper");
        }
    }

    @Test
    void pollingNeitherKeepsTheServerNorBringsItBackButAPersonDoes(TestBed bed) throws Exception {
        Path work = Files.createTempDirectory("dbe2e-poller");
        Path home = work.resolve("home");
        Path config = Files.writeString(work.resolve("config.yaml"), "provider: hetzner\n" + IDLE);
        Path compose = work.resolve("compose");
        BusyboxImage.context(compose.resolve("app"));
        Files.writeString(compose.resolve("docker-compose.yml"), """
                version: "3"
                services:
                  web:
                    build: ./app
                    image: compose-app:e2e
                    command: ["httpd", "-f", "-p", "80", "-h", "/www"]
                  worker:
                    image: compose-app:e2e
                    command: ["sleep", "600"]
                    depends_on: [web]
                """);
        try (HetznerSimulator sim = new HetznerSimulator(TOKEN, List.of(bed.host(3), bed.host(4)));
             DockBridgeProcess daemon = DockBridgeProcess.start(home, config, sim.clientEnv())) {
            DockerCli docker = new DockerCli(daemon.socket(), work.resolve("docker-config"));
            docker.ok("build", "-t", "work:e2e", BusyboxImage.context(work.resolve("context")).toString()); // the last real command
            long lastReal = System.nanoTime();

            AtomicBoolean polling = new AtomicBoolean(true);
            Process events = docker.builder("events").redirectErrorStream(true).redirectOutput(work.resolve("events.txt").toFile()).start();
            Thread poller = new Thread(() -> {
                while (polling.get()) {
                    docker.run(Duration.ofSeconds(30), "ps"); // an IDE's Docker view
                    try {
                        Thread.sleep(5000);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            });
            poller.start();
            try {
                await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(250)).until(() -> deletes(sim) == 1);
                assertThat((System.nanoTime() - lastReal) / 1e9).as("deleted not before the timeout after the last real command, seconds").isGreaterThanOrEqualTo(19.0);
                long creates = sim.count("POST /servers");
                Thread.sleep(30_000); // the poller goes on: one and a half timeouts
                assertThat(sim.count("POST /servers")).as("no server brought back by polling").isEqualTo(creates);
                assertThat(deletes(sim)).isEqualTo(1);
            } finally {
                polling.set(false);
                poller.join(40_000);
                events.destroy();
            }

            // a person's command from no server works as it always did (no data volume: the image is built again)
            docker.ok("build", "-t", "work:e2e", BusyboxImage.context(work.resolve("context")).toString());
            Cmd.Result run = docker.run(Duration.ofSeconds(120), "run", "--rm", "work:e2e", "echo", "ok");
            assertThat(run.stdout().strip()).as(run.describe()).isEqualTo("ok");
            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(250)).until(() -> deletes(sim) == 2);
            Cmd.Result up = Cmd.exec(Duration.ofSeconds(180), Map.of("DOCKER_HOST", "unix://" + daemon.socket()), null,
                    "docker-compose", "-f", compose.resolve("docker-compose.yml").toString(), "-p", "poller", "up", "-d");
            assertThat(up.exitCode()).as(up.describe()).isZero();
            assertThat(docker.ok("ps", "--format", "{{.Names}}")).contains("web").contains("worker");
            assertThat(sim.count("POST /servers")).isEqualTo(3);
        }
    }

    @Test
    void failedCreatesAreBoundedAndAHoldSurvivesARestart(TestBed bed) throws Exception {
        Path work = Files.createTempDirectory("dbe2e-bounded");
        Path home = work.resolve("home");
        // one location: a bring-up there is one create call (with more, each refused location is one more)
        Path config = Files.writeString(work.resolve("config.yaml"), "provider: hetzner\nhetzner:\n  locations: [fsn1]\n" + IDLE);
        try (HetznerSimulator sim = new HetznerSimulator(TOKEN, List.of(bed.host(3), bed.host(4)))) {
            sim.addFault(Fault.error("POST", "/servers", 1000, 412, "resource_unavailable", "server type cx23 sold out in fsn1"));
            try (DockBridgeProcess daemon = DockBridgeProcess.start(home, config, sim.clientEnv())) {
                DockerCli docker = new DockerCli(daemon.socket(), work.resolve("docker-config"));
                long until = System.nanoTime() + Duration.ofSeconds(65).toNanos();
                List<Cmd.Result> person = new ArrayList<>();
                for (int i = 0; System.nanoTime() < until; i++) {
                    docker.run(Duration.ofSeconds(30), "ps"); // a poller, every second
                    if (i % 5 == 4) {
                        person.add(docker.run(Duration.ofSeconds(30), "volume", "create", "v" + i)); // and a person, retrying
                    }
                    Thread.sleep(1000);
                }
                assertThat(sim.count("POST /servers")).as("one failed create a minute at most (65 s of commands every second)").isBetween(1L, 2L);
                assertThat(person).allSatisfy(r -> assertThat(r.stderr()).as(r.describe()).contains("sold out"));
                assertThat(person).anySatisfy(r -> assertThat(r.stderr()).contains("tries again in"));
            }
            sim.clearFaults();
            try (DockBridgeProcess daemon = DockBridgeProcess.start(home, config, sim.clientEnv())) {
                new DockerCli(daemon.socket(), work.resolve("docker-config")).ok("build", "-t", "work:e2e",
                        BusyboxImage.context(work.resolve("context")).toString());
                Cmd.Result hold = DockBridgeProcess.run(home, Duration.ofSeconds(30), "hold", "1h");
                assertThat(hold.exitCode()).as(hold.describe()).isZero();
            }
            try (DockBridgeProcess daemon = DockBridgeProcess.start(home, config, sim.clientEnv())) {
                assertThat(status(home).path("idle").path("held_until").isNull()).as("the hold survived the restart").isFalse();
                assertThat(status(home).path("idle").path("blocked_by").toString()).contains("held until");
            }
        }
    }
}

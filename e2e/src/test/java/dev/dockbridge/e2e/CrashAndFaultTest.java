package dev.dockbridge.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

import dev.dockbridge.e2e.hetzner.Fault;
import dev.dockbridge.e2e.hetzner.HetznerSimulator;
import dev.dockbridge.e2e.testbed.Cmd;
import dev.dockbridge.e2e.testbed.TestBed;

/** Issue 7's crash safety and API fault sequences: never two servers, never a server, key or firewall without an owner. */
@ExtendWith(TestBedExtension.class)
@Timeout(value = 4, unit = TimeUnit.MINUTES)
class CrashAndFaultTest {
    private static final String TOKEN = "sim-token-crash";

    private static Map<String, String> env(HetznerSimulator sim) {
        return sim.clientEnv();
    }

    @Test
    void killNineDuringProvisioningAndWhileReadyThenStopDuringProvisioning(TestBed bed) throws Exception {
        Path work = Files.createTempDirectory("dbe2e-crash");
        Path home = work.resolve("home");
        Path config = Files.writeString(work.resolve("config.yaml"), "provider: hetzner\n");
        try (HetznerSimulator sim = new HetznerSimulator(TOKEN, List.of(bed.host(3), bed.host(4)))) {
            sim.bootDelay(Duration.ofSeconds(6));
            DockBridgeProcess first = DockBridgeProcess.start(home, config, env(sim));
            DockerCli docker = new DockerCli(first.socket(), work.resolve("docker-config"));
            Process ps = docker.builder("ps").redirectErrorStream(true).redirectOutput(work.resolve("ps1.txt").toFile()).start();
            await().atMost(Duration.ofSeconds(30)).until(() -> sim.count("POST /servers") == 1);
            first.process().destroyForcibly(); // kill -9 while the server boots
            first.process().waitFor(10, TimeUnit.SECONDS);
            assertThat(ps.waitFor(30, TimeUnit.SECONDS)).as("the docker command of the killed daemon ends").isTrue();

            // the next start adopts the booting server instead of creating a second
            DockBridgeProcess second = DockBridgeProcess.start(home, config, env(sim));
            assertThat(docker.ok("ps")).startsWith("CONTAINER ID");
            assertThat(sim.count("POST /servers")).isEqualTo(1);
            assertThat(second.log()).contains("adopting");
            second.process().destroyForcibly(); // kill -9 while ready
            second.process().waitFor(10, TimeUnit.SECONDS);

            DockBridgeProcess third = DockBridgeProcess.start(home, config, env(sim));
            assertThat(docker.ok("ps")).startsWith("CONTAINER ID");
            assertThat(sim.count("POST /servers")).isEqualTo(1);
            assertThat(sim.servers()).hasSize(1);

            // stop during provisioning cancels it: the half-made server is deleted, nothing is left behind
            assertThat(DockBridgeProcess.run(home, Duration.ofSeconds(60), "server", "destroy").exitCode()).isZero();
            await().atMost(Duration.ofSeconds(30)).until(() -> sim.servers().isEmpty());
            Process ps3 = docker.builder("volume", "create", "needs-a-server").redirectErrorStream(true).redirectOutput(work.resolve("ps3.txt").toFile()).start();
            await().atMost(Duration.ofSeconds(30)).until(() -> sim.count("POST /servers") == 2);
            Cmd.Result stop = DockBridgeProcess.run(home, Duration.ofSeconds(90), "stop");
            assertThat(stop.exitCode()).as(stop.describe()).isZero();
            assertThat(third.process().waitFor(30, TimeUnit.SECONDS)).isTrue();
            assertThat(ps3.waitFor(30, TimeUnit.SECONDS)).isTrue();
            await().atMost(Duration.ofSeconds(30)).until(() -> sim.servers().isEmpty());
            assertThat(third.log()).contains("cancelling");
            assertThat(sim.sshKeys()).hasSize(1);
            assertThat(sim.firewalls()).hasSize(1);
        }
    }

    @Test
    void faultSequencesFromTheApiEndWithExactlyOneOfEachOrAClearError(TestBed bed) throws Exception {
        Path work = Files.createTempDirectory("dbe2e-faults");
        Path home = work.resolve("home");
        Path config = Files.writeString(work.resolve("config.yaml"), "provider: hetzner\n");
        try (HetznerSimulator sim = new HetznerSimulator(TOKEN, List.of(bed.host(3), bed.host(4)));
             DockBridgeProcess daemon = DockBridgeProcess.start(home, config, env(sim))) {
            DockerCli docker = new DockerCli(daemon.socket(), work.resolve("docker-config"));
            // a create that is not safe to repeat fails with a clear error, and creates nothing twice
            sim.addFault(Fault.error("POST", "/ssh_keys", 1, 500, "server_error", "internal server error"));
            Cmd.Result failed = docker.run(Duration.ofSeconds(60), "ps");
            assertThat(failed.exitCode()).isNotZero();
            assertThat(failed.stderr()).contains("server_error");

            // then: a lost answer to the server create, a conflict and a locked resource, 503s, a malformed body
            sim.addFault(Fault.answerLost("POST", "/servers", 1));
            sim.addFault(Fault.error("POST", "/firewalls", 1, 409, "conflict", "resource is being changed"));
            sim.addFault(Fault.error("GET", "/actions", 2, 503, "unavailable", "service unavailable"));
            sim.addFault(Fault.malformedBody("GET", "/servers/\\d+", 1));
            sim.addFault(Fault.error("GET", "/server_types", 1, 423, "locked", "resource is locked"));
            await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofSeconds(2))
                    .until(() -> docker.run(Duration.ofSeconds(60), "ps").ok());
            assertThat(sim.servers()).as("one server although its create answer was lost").hasSize(1);
            assertThat(sim.sshKeys()).hasSize(1);
            assertThat(sim.firewalls()).hasSize(1);

            // deleting rides out a locked server
            sim.addFault(Fault.error("DELETE", "/servers/\\d+", 1, 423, "locked", "server is locked by a running action"));
            Cmd.Result destroy = DockBridgeProcess.run(home, Duration.ofSeconds(60), "server", "destroy");
            assertThat(destroy.exitCode()).as(destroy.describe()).isZero();
            assertThat(sim.servers()).isEmpty();
            assertThat(sim.calls().stream().filter(c -> c.startsWith("DELETE /servers/")).count()).isEqualTo(2);
        }
    }
}

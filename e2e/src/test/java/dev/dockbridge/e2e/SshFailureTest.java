package dev.dockbridge.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

import dev.dockbridge.e2e.testbed.Cmd;
import dev.dockbridge.e2e.testbed.TestBed;

/** Host keys are verified and failures reach the user as messages, never as hangs. */
@ExtendWith(TestBedExtension.class)
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class SshFailureTest {

    @Test
    void changedHostKeyIsRefusedAtStart(TestBed bed) throws IOException {
        Path work = Files.createTempDirectory("dbe2e-hostkey");
        // host 1's address with host 2's key: what a man in the middle (or a reinstalled host) looks like
        String wrong = bed.host(2).knownHostsLine(22).replace(bed.host(2).address(), bed.host(1).address());
        Path knownHosts = Files.writeString(work.resolve("known_hosts"), wrong + "\n");
        Path config = Files.writeString(work.resolve("config.yaml"),
                bed.sshConfig(1, "").replace(bed.knownHosts().toString(), knownHosts.toString()));

        Cmd.Result r = DockBridgeProcess.run(work.resolve("home"), Duration.ofSeconds(60), "start", "--config", config.toString());

        assertThat(r.exitCode()).as(r.describe()).isEqualTo(1);
        assertThat(r.stderr()).contains("host key of " + bed.host(1).address() + " CHANGED")
                .contains("ssh-keygen -f " + knownHosts + " -R '" + bed.host(1).address() + "'");
        assertThat(work.resolve("home/default/docker.sock")).doesNotExist();
    }

    @Test
    void unknownHostKeyIsRefusedUnlessAcceptNew(TestBed bed) throws IOException {
        Path work = Files.createTempDirectory("dbe2e-hostkey");
        Path knownHosts = Files.writeString(work.resolve("known_hosts"), "");
        String yaml = bed.sshConfig(1, "").replace(bed.knownHosts().toString(), knownHosts.toString());
        Path strict = Files.writeString(work.resolve("strict.yaml"), yaml);

        Cmd.Result r = DockBridgeProcess.run(work.resolve("home"), Duration.ofSeconds(60), "start", "--config", strict.toString());
        assertThat(r.exitCode()).as(r.describe()).isEqualTo(1);
        assertThat(r.stderr()).contains("is not in " + knownHosts).contains("ssh-keyscan -p 22").contains("accept-new");
        assertThat(Files.readString(knownHosts)).isEmpty();

        Path acceptNew = Files.writeString(work.resolve("accept-new.yaml"),
                yaml.replace("ssh:\n", "ssh:\n  host_key_policy: accept-new\n"));
        try (DockBridgeProcess daemon = DockBridgeProcess.start(work.resolve("home"), acceptNew)) {
            DockerCli docker = new DockerCli(daemon.socket(), work.resolve("docker-config"));
            assertThat(docker.ok("ps")).startsWith("CONTAINER ID");
        }
        String hostKey = Files.readString(bed.host(1).hostPublicKey()).split(" ")[1];
        assertThat(Files.readString(knownHosts)).contains(bed.host(1).address()).contains(hostKey);
    }

    @Test
    void unreachableHostGivesTheDockerCliAnErrorMessage(TestBed bed) throws IOException {
        Path work = Files.createTempDirectory("dbe2e-unreachable");
        // nothing routes 198.18.250.0/24: the TCP connect can only time out
        Path config = Files.writeString(work.resolve("config.yaml"), bed.sshConfig(1, "")
                .replace(bed.host(1).address(), "198.18.250.2")
                .replace("ssh:\n", "ssh:\n  connect_timeout: 2s\n"));
        try (DockBridgeProcess daemon = DockBridgeProcess.start(work.resolve("home"), config)) {
            DockerCli docker = new DockerCli(daemon.socket(), work.resolve("docker-config"));
            Cmd.Result r = docker.run(Duration.ofSeconds(30), "ps");
            assertThat(r.exitCode()).as(r.describe()).isPositive();
            assertThat(r.stderr()).contains("dockbridge: cannot reach SSH host 198.18.250.2:22");
            assertThat(daemon.process().isAlive()).isTrue();
        }
    }

    @Test
    void refusedConnectionIsReportedAtOnce(TestBed bed) throws IOException {
        Path work = Files.createTempDirectory("dbe2e-refused");
        Path config = Files.writeString(work.resolve("config.yaml"),
                bed.sshConfig(1, "").replace("ssh:\n", "ssh:\n  port: 2200\n")); // nothing listens there
        try (DockBridgeProcess daemon = DockBridgeProcess.start(work.resolve("home"), config)) {
            DockerCli docker = new DockerCli(daemon.socket(), work.resolve("docker-config"));
            Cmd.Result r = docker.run(Duration.ofSeconds(30), "version");
            assertThat(r.exitCode()).as(r.describe()).isPositive();
            assertThat(r.stderr()).contains("dockbridge: cannot reach SSH host " + bed.host(1).address() + ":2200")
                    .contains("Connection refused");
        }
    }

    @Test
    void missingRemoteSocketIsNamedInTheError(TestBed bed) throws IOException {
        Path work = Files.createTempDirectory("dbe2e-nosocket");
        Path config = Files.writeString(work.resolve("config.yaml"),
                bed.sshConfig(1, "").replace(bed.host(1).dockerSocket().toString(), "/run/no-such-docker.sock"));
        try (DockBridgeProcess daemon = DockBridgeProcess.start(work.resolve("home"), config)) {
            DockerCli docker = new DockerCli(daemon.socket(), work.resolve("docker-config"));
            Cmd.Result r = docker.run(Duration.ofSeconds(30), "ps");
            assertThat(r.exitCode()).as(r.describe()).isPositive();
            assertThat(r.stderr()).contains("there is no socket /run/no-such-docker.sock on " + bed.host(1).address())
                    .contains("remote.docker_socket");
        }
    }
}

package dev.dockbridge.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

import dev.dockbridge.e2e.testbed.Cmd;
import dev.dockbridge.e2e.testbed.TestBed;

/**
 * Issue 14 item 9, provider ssh: a key held by an ssh-agent, a key with a passphrase (asked once on a terminal,
 * refused when detached), and a ~/.ssh/config that DockBridge does not read.
 */
@ExtendWith(TestBedExtension.class)
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class SshSetupsTest {

    @Test
    void aKeyInAnAgentLogsInAndSshConfigIsNotRead(TestBed bed) throws Exception {
        Path work = Files.createTempDirectory("dbe2e-agent");
        Path key = newKey(work, "agent_ed25519", "");
        List<String> authorized = Files.readAllLines(bed.host(1).authorizedKeys());
        Path socket = work.resolve("agent.sock");
        Process agent = new ProcessBuilder("ssh-agent", "-D", "-a", socket.toString()).redirectErrorStream(true)
                .redirectOutput(work.resolve("agent.log").toFile()).start();
        try {
            bed.host(1).authorize(Files.readString(Path.of(key + ".pub")));
            await().atMost(Duration.ofSeconds(10)).until(() -> Files.exists(socket));
            Cmd.Result added = Cmd.exec(Duration.ofSeconds(10), Map.of("SSH_AUTH_SOCK", socket.toString()), null, "ssh-add", key.toString());
            assertThat(added.exitCode()).as(added.describe()).isZero();
            Files.delete(key); // only the agent holds it now
            // a home whose ~/.ssh/config would send the connection elsewhere, were it read (SSHD reads it by default)
            Path home = Files.createDirectories(work.resolve("user-home"));
            Files.createDirectories(home.resolve(".ssh"));
            Files.writeString(home.resolve(".ssh/config"), "Host " + bed.host(1).address() + "\n  HostName 192.0.2.1\n  Port 2299\n  User nobody\n");
            Path config = Files.writeString(work.resolve("config.yaml"),
                    bed.sshConfig(1, "").replaceAll("(?m)^  identity_file: .*\n", ""));
            Map<String, String> env = Map.of("SSH_AUTH_SOCK", socket.toString(), "JAVA_TOOL_OPTIONS", "-Duser.home=" + home);
            try (DockBridgeProcess daemon = DockBridgeProcess.start(work.resolve("dbhome"), config, env)) {
                DockerCli docker = new DockerCli(daemon.socket(), work.resolve("docker-config"));
                Cmd.Result ps = docker.run(Duration.ofSeconds(60), "ps");
                assertThat(ps.exitCode()).as(ps.describe() + daemon.log()).isZero();
                assertThat(daemon.log()).contains("ssh session open to root@" + bed.host(1).address() + ":22");
            }
        } finally {
            agent.destroy();
            agent.waitFor(10, TimeUnit.SECONDS);
            Files.write(bed.host(1).authorizedKeys(), authorized);
        }
    }

    @Test
    void aPassphraseIsAskedOnATerminalAndRefusedDetached(TestBed bed) throws Exception {
        Path work = Files.createTempDirectory("dbe2e-passphrase");
        Path key = newKey(work, "locked_ed25519", "correct horse");
        List<String> authorized = Files.readAllLines(bed.host(1).authorizedKeys());
        Path home = work.resolve("dbhome");
        Path config = Files.writeString(work.resolve("config.yaml"),
                bed.sshConfig(1, "").replace(bed.clientKey().toString(), key.toString()));
        try {
            bed.host(1).authorize(Files.readString(Path.of(key + ".pub")));
            Cmd.Result detached = DockBridgeProcess.run(home, Map.of("SSH_AUTH_SOCK", ""), Duration.ofSeconds(60),
                    "start", "--detach", "--config", config.toString());
            assertThat(detached.exitCode()).as(detached.describe()).isNotZero();
            assertThat(detached.stdout() + detached.stderr()).contains(key + " is protected by a passphrase")
                    .contains("ssh-add " + key).contains("in a terminal");

            // on a terminal (script(1) gives it one) the passphrase is asked once, and the daemon logs in with the key
            ProcessBuilder pb = new ProcessBuilder("script", "-qec",
                    DockBridgeProcess.launcher() + " start --config " + config, "/dev/null").redirectErrorStream(true)
                    .redirectOutput(work.resolve("terminal.log").toFile());
            pb.environment().put("DOCKBRIDGE_HOME", home.toString());
            pb.environment().put("DOCKER_CONFIG", work.resolve("docker-config").toString());
            pb.environment().remove("SSH_AUTH_SOCK");
            Process terminal = pb.start();
            try {
                await().atMost(Duration.ofSeconds(30)).until(() -> Files.readString(work.resolve("terminal.log")).contains("Passphrase for " + key));
                try (OutputStream typed = terminal.getOutputStream()) {
                    typed.write("correct horse\n".getBytes(StandardCharsets.UTF_8));
                }
                Path socket = home.resolve("default/docker.sock");
                await().atMost(Duration.ofSeconds(30)).until(() -> Files.exists(socket));
                DockerCli docker = new DockerCli(socket, work.resolve("docker-config"));
                Cmd.Result ps = docker.run(Duration.ofSeconds(60), "ps");
                assertThat(ps.exitCode()).as(ps.describe() + Files.readString(work.resolve("terminal.log"))).isZero();
                assertThat(Files.readString(work.resolve("terminal.log"))).doesNotContain("correct horse");
            } finally {
                DockBridgeProcess.run(home, Duration.ofSeconds(30), "stop");
                terminal.waitFor(20, TimeUnit.SECONDS);
                terminal.destroyForcibly();
            }
        } finally {
            Files.write(bed.host(1).authorizedKeys(), authorized);
        }
    }

    /** Issue 14 item 5 for provider ssh: OpenSSH with the configured host, key and known_hosts. */
    @Test
    void sshReachesTheConfiguredHost(TestBed bed) throws Exception {
        Path work = Files.createTempDirectory("dbe2e-ssh-provider");
        Path config = Files.writeString(work.resolve("config.yaml"), bed.sshConfig(1, ""));
        Cmd.Result info = DockBridgeProcess.run(work.resolve("home"), Duration.ofSeconds(60), "ssh", "--config", config.toString(), "--",
                "docker", "-H", "unix://" + bed.host(1).dockerSocket(), "info", "--format", "'{{.ServerVersion}}'");
        assertThat(info.exitCode()).as(info.describe()).isZero();
        assertThat(info.stdout().strip()).matches("\\d+\\.\\d+.*");
        // the host key is checked against the configured known_hosts: an empty one refuses the host
        Path empty = Files.writeString(work.resolve("known_hosts_empty"), "");
        Path strict = Files.writeString(work.resolve("strict.yaml"), bed.sshConfig(1, "").replace(bed.knownHosts().toString(), empty.toString()));
        Cmd.Result refused = DockBridgeProcess.run(work.resolve("home"), Duration.ofSeconds(60), "ssh", "--config", strict.toString(), "--", "true");
        assertThat(refused.exitCode()).as(refused.describe()).isEqualTo(255);
        assertThat(refused.stderr()).containsIgnoringCase("host key verification failed");
    }

    /** A server of the user's own whose ~/.bashrc prints: what DockBridge's commands print there is not theirs alone. */
    @Test
    void aShellThatPrintsForEveryCommandIsNamedWithTheFix(TestBed bed) throws Exception {
        Path work = Files.createTempDirectory("dbe2e-noisy-shell");
        Path config = Files.writeString(work.resolve("config.yaml"), bed.sshConfig(1, ""));
        Path home = work.resolve("home");
        Cmd.Result noisy = DockBridgeProcess.run(home, Duration.ofSeconds(60), "ssh", "--config", config.toString(), "--",
                "echo 'echo welcome to the build box' > ~/.bashrc");
        assertThat(noisy.exitCode()).as(noisy.describe()).isZero();
        try (DockBridgeProcess daemon = DockBridgeProcess.start(home, config)) {
            DockerCli docker = new DockerCli(daemon.socket(), work.resolve("docker-config"));
            Cmd.Result ps = docker.run(Duration.ofSeconds(60), "ps");
            assertThat(ps.exitCode()).as(ps.describe() + daemon.log()).isZero();
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(daemon.log())
                    .contains("the shell on " + bed.host(1).address() + " prints for every command ('welcome to the build box')")
                    .contains("put 'case $- in *i*) ;; *) return;; esac' at the top of ~/.bashrc there"));
        } finally {
            Cmd.Result quiet = DockBridgeProcess.run(home, Duration.ofSeconds(60), "ssh", "--config", config.toString(), "--", "rm -f ~/.bashrc");
            assertThat(quiet.exitCode()).as(quiet.describe()).isZero();
        }
    }

    private static Path newKey(Path dir, String name, String passphrase) throws IOException {
        Path key = dir.resolve(name);
        Cmd.Result r = Cmd.exec(Duration.ofSeconds(20), Map.of(), null, "ssh-keygen", "-q", "-t", "ed25519", "-N", passphrase, "-C", name,
                "-f", key.toString());
        assertThat(r.exitCode()).as(r.describe()).isZero();
        return key;
    }
}

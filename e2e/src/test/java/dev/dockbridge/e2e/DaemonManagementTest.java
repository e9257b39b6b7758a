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
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;

/** One daemon per profile, recovery from kill -9, and stop. */
@ExtendWith(TestBedExtension.class)
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class DaemonManagementTest {

    @Test
    void secondStartIsRefusedKillNineRecoversAndStopEndsEverything(TestBed bed) throws Exception {
        Path work = Files.createTempDirectory("dbe2e-daemon");
        Path home = work.resolve("home");
        Path config = Files.writeString(work.resolve("config.yaml"), bed.sshConfig(1, ""));
        DockBridgeProcess first = DockBridgeProcess.start(home, config);
        try {
            Cmd.Result second = DockBridgeProcess.run(home, Duration.ofSeconds(60), "start", "--config", config.toString());
            assertThat(second.exitCode()).as(second.describe()).isEqualTo(1);
            assertThat(second.stderr()).contains("already running (pid " + first.process().pid() + ", socket " + first.socket() + ")");
            assertThat(first.process().isAlive()).isTrue();
        } finally {
            first.process().destroyForcibly(); // kill -9: lock, pid file and sockets are left behind
            first.process().waitFor(10, TimeUnit.SECONDS);
        }
        assertThat(home.resolve("default/daemon.pid")).exists();

        DockBridgeProcess again = DockBridgeProcess.start(home, config);
        try {
            assertThat(new DockerCli(again.socket(), work.resolve("docker-config")).ok("ps")).startsWith("CONTAINER ID");
            Cmd.Result stop = DockBridgeProcess.run(home, Duration.ofSeconds(60), "stop");
            assertThat(stop.stdout()).as(stop.describe()).contains("stopped dockbridge for profile default");
            assertThat(again.process().waitFor(20, TimeUnit.SECONDS)).isTrue();
            assertThat(again.process().exitValue()).isZero();
            assertThat(again.socket()).doesNotExist();
            assertThat(home.resolve("default/control.sock")).doesNotExist();
            assertThat(home.resolve("default/watcher.sock")).doesNotExist();
            assertThat(home.resolve("default/daemon.pid")).doesNotExist();
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(home.resolve("default")))).isEqualTo("rwx------");
        } finally {
            again.close();
        }
        Cmd.Result notRunning = DockBridgeProcess.run(home, Duration.ofSeconds(30), "stop");
        assertThat(notRunning.stdout()).contains("not running");
    }

    @Test
    void statusWithoutADaemonSaysHowToStartOne() throws IOException {
        Path home = Files.createTempDirectory("dbe2e-nodaemon");
        Cmd.Result r = DockBridgeProcess.run(home, Duration.ofSeconds(30), "status");
        assertThat(r.exitCode()).isEqualTo(1);
        assertThat(r.stderr()).contains("dockbridge is not running for profile default: start it with 'dockbridge start'");
    }

    @Test
    void detachReturnsOnceTheContextWorksAndStopLeavesNoProcess(TestBed bed) throws Exception {
        Path work = Files.createTempDirectory("dbe2e-detach");
        Path home = work.resolve("home");
        Path dockerConfig = work.resolve("docker-config");
        Path config = Files.writeString(work.resolve("config.yaml"), bed.sshConfig(1, ""));
        Map<String, String> env = Map.of("DOCKER_CONFIG", dockerConfig.toString());

        Cmd.Result start = DockBridgeProcess.run(home, env, Duration.ofSeconds(120), "start", "--detach", "--config", config.toString());
        assertThat(start.exitCode()).as(start.describe()).isZero();
        assertThat(start.stdout()).contains("started in the background").contains("docker context dockbridge");
        long pid = Long.parseLong(Files.readString(home.resolve("default/daemon.pid")).strip());
        try {
            // returned only once the socket answers; the context points at it
            Cmd.Result version = Cmd.exec(Duration.ofSeconds(60), env, null, "docker", "--context", "dockbridge", "version",
                    "--format", "{{.Server.Version}}");
            assertThat(version.exitCode()).as(version.describe()).isZero();
            assertThat(Files.readString(home.resolve("default/daemon.log"))).contains("docker socket listening");

            // the terminal it was started from closes, or a Ctrl-C meant for the shell: the daemon stays (no setsid)
            Cmd.exec(Duration.ofSeconds(10), Map.of(), null, "kill", "-HUP", Long.toString(pid));
            Cmd.exec(Duration.ofSeconds(10), Map.of(), null, "kill", "-INT", Long.toString(pid));
            Thread.sleep(1000);
            assertThat(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)).as("alive after SIGHUP and SIGINT").isTrue();
            Cmd.Result again = Cmd.exec(Duration.ofSeconds(60), env, null, "docker", "--context", "dockbridge", "version",
                    "--format", "{{.Server.Version}}");
            assertThat(again.exitCode()).as(again.describe()).isZero();

            Cmd.Result stop = DockBridgeProcess.run(home, env, Duration.ofSeconds(60), "stop");
            assertThat(stop.exitCode()).as(stop.describe()).isZero();
            assertThat(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)).isFalse();
            assertThat(home.resolve("default/docker.sock")).doesNotExist();
            // the context stays; docker says the daemon is not there
            Cmd.Result after = Cmd.exec(Duration.ofSeconds(30), env, null, "docker", "--context", "dockbridge", "ps");
            assertThat(after.exitCode()).isPositive();
            assertThat(after.stderr()).contains("docker.sock");
        } finally {
            ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
        }
    }
}

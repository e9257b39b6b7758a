package dev.dockbridge.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

import dev.dockbridge.e2e.testbed.TestBed;

/**
 * Issue 13: once the engine is ready the daemon runs its request path through a couple of thousand times on a private
 * socket (real sshd, real dockerd), which is gone afterwards; the user's socket serves meanwhile and after.
 */
@ExtendWith(TestBedExtension.class)
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class RequestPathWarmupTest {

    @Test
    void theRequestPathIsRunThroughOnceAndItsSocketIsGone(TestBed bed) throws Exception {
        Path work = Files.createTempDirectory("dbe2e-warmup");
        Path home = work.resolve("home");
        Path config = Files.writeString(work.resolve("config.yaml"), bed.sshConfig(1, "local:\n  warmup: true\n"));
        try (DockBridgeProcess daemon = DockBridgeProcess.start(home, config)) {
            DockerCli docker = new DockerCli(daemon.socket(), work.resolve("docker-config"));
            assertThat(docker.ok("version", "--format", "{{.Server.APIVersion}}")).isNotBlank(); // served during the warm-up
            await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(500))
                    .until(() -> daemon.log().contains("request path warmed up: 2000 exchanges"));
            assertThat(home.resolve("default/warmup.sock")).as("the private socket goes with the warm-up").doesNotExist();
            docker.ok("ps");
            assertThat(daemon.log()).doesNotContain("request path warm-up stopped");
        }
    }
}

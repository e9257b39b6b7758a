package dev.dockbridge.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

import dev.dockbridge.e2e.testbed.BusyboxImage;
import dev.dockbridge.e2e.testbed.Cmd;
import dev.dockbridge.e2e.testbed.TestBed;

/** An sshd that forbids stream-local forwarding still works, through {@code docker system dial-stdio}. */
@ExtendWith(TestBedExtension.class)
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class DialStdioFallbackTest {
    private static final int PORT = 2222;

    @Test
    void fallsBackToDialStdioWithHalfCloseIntact(TestBed bed) throws IOException {
        bed.host(2).startSshd(PORT, "AllowStreamLocalForwarding no");
        try {
            Path work = Files.createTempDirectory("dbe2e-dialstdio");
            Path knownHosts = Files.writeString(work.resolve("known_hosts"), bed.host(2).knownHostsLine(PORT) + "\n");
            Path config = Files.writeString(work.resolve("config.yaml"), bed.sshConfig(2, "")
                    .replace(bed.knownHosts().toString(), knownHosts.toString())
                    .replace("ssh:\n", "ssh:\n  port: " + PORT + "\n"));
            try (DockBridgeProcess daemon = DockBridgeProcess.start(work.resolve("home"), config)) {
                DockerCli docker = new DockerCli(daemon.socket(), work.resolve("docker-config"));
                docker.ok("build", "-t", "fallback:e2e", BusyboxImage.context(work.resolve("context")).toString());
                Cmd.Result r = docker.runWithStdin(Duration.ofSeconds(60), "hello".getBytes(StandardCharsets.UTF_8),
                        "run", "-i", "--rm", "fallback:e2e", "sh", "-c", "echo started; cat; echo; echo stdin-eof-seen");
                assertThat(r.stdout()).as(r.describe()).isEqualTo("started\nhello\nstdin-eof-seen\n");
                assertThat(daemon.log()).contains("refuses stream-local forwarding").contains("dial-stdio");
            }
        } finally {
            bed.host(2).stopSshd(PORT);
        }
    }
}

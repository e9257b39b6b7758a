package dev.dockbridge.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.dockbridge.e2e.hetzner.HetznerSimulator;
import dev.dockbridge.e2e.testbed.BusyboxImage;
import dev.dockbridge.e2e.testbed.Cmd;
import dev.dockbridge.e2e.testbed.TestBed;

/** Issue 5's end-to-end idle behaviour, with {@code idle.timeout: 20s} and billing awareness off. */
@ExtendWith(TestBedExtension.class)
@Timeout(value = 6, unit = TimeUnit.MINUTES)
class IdleDeletionTest {
    private static final String TOKEN = "sim-token-idle";

    private HetznerSimulator sim;
    private Path work;
    private DockBridgeProcess daemon;
    private DockerCli docker;

    @BeforeEach
    void start(TestBed bed) throws IOException {
        sim = new HetznerSimulator(TOKEN, List.of(bed.host(3), bed.host(4)));
        work = Files.createTempDirectory("dbe2e-idle");
        Path config = Files.writeString(work.resolve("config.yaml"), "provider: hetzner\nidle:\n  timeout: 20s\n  billing_aware: false\n");
        daemon = DockBridgeProcess.start(work.resolve("home"), config, sim.clientEnv());
        docker = new DockerCli(daemon.socket(), work.resolve("docker-config"));
    }

    @AfterEach
    void stop() {
        daemon.close();
        sim.close();
    }

    private long deletes() {
        return sim.calls().stream().filter(c -> c.startsWith("DELETE /servers/")).count();
    }

    private JsonNode status() throws IOException {
        Cmd.Result r = DockBridgeProcess.run(work.resolve("home"), Duration.ofSeconds(30), "status", "--json");
        assertThat(r.exitCode()).as(r.describe()).isZero();
        return StatusSchema.valid(new ObjectMapper().readTree(r.stdout()));
    }

    @Test
    void idleServerIsDeletedAfterTheTimeoutAndTheNextCommandBringsOneBack() throws IOException {
        docker.ok("ps");
        long lastCommand = System.nanoTime();
        JsonNode idle = status().path("idle");
        assertThat(idle.path("timeout_s").asLong()).isEqualTo(20);
        assertThat(idle.path("destroy_in_s").asLong()).isBetween(1L, 20L);
        assertThat(idle.path("blocked_by")).isEmpty();
        JsonNode server = status().path("server");
        assertThat(server.path("hourly_price").decimalValue()).isEqualByComparingTo("0.0105"); // the simulator's cx23 in fsn1
        assertThat(server.path("cost").decimalValue()).isEqualByComparingTo("0.0105"); // one started hour
        assertThat(server.path("profile_cost").decimalValue()).isEqualByComparingTo("0.0105");

        Cmd.Result hold = DockBridgeProcess.run(work.resolve("home"), Duration.ofSeconds(30), "hold", "2h");
        assertThat(hold.stdout()).as(hold.describe()).contains("server kept until");
        assertThat(status().path("idle").path("blocked_by").toString()).contains("held until");
        assertThat(status().path("idle").path("destroy_in_s").isNull()).isTrue();
        DockBridgeProcess.run(work.resolve("home"), Duration.ofSeconds(30), "hold", "--release");
        assertThat(status().path("idle").path("blocked_by")).isEmpty();

        await().atMost(Duration.ofSeconds(40)).pollInterval(Duration.ofMillis(200)).until(() -> deletes() == 1);
        double seconds = (System.nanoTime() - lastCommand) / 1e9;
        assertThat(seconds).as("DELETE after the last command, seconds").isBetween(19.0, 30.0);
        assertThat(daemon.log()).contains("deleting idle server");
        await().atMost(Duration.ofSeconds(10)).until(() -> status().path("server").path("state").asText().equals("absent"));

        // a look does not bring the server back: answered without one (no data volume: the next server starts empty)
        assertThat(docker.ok("ps")).startsWith("CONTAINER ID");
        assertThat(sim.count("POST /servers")).isEqualTo(1);
        // a command that needs the engine does, transparently
        docker.ok("build", "-t", "idle:again", BusyboxImage.context(work.resolve("context-again")).toString());
        assertThat(sim.count("POST /servers")).isEqualTo(2);
        assertThat(status().path("server").path("profile_cost").decimalValue()).as("both servers, one hour each")
                .isEqualByComparingTo("0.0210");
        assertThat(Files.readString(work.resolve("home/default/costs.json"))).contains("\"deleted\"");
    }

    @Test
    void aForwardInUseOrAnOpenLogsStreamKeepsTheServer() throws Exception {
        docker.ok("build", "-t", "idle:e2e", BusyboxImage.context(work.resolve("context")).toString());
        String web = docker.ok("run", "-d", "-p", "18095:80", "idle:e2e", "httpd", "-f", "-p", "80", "-h", "/www").strip();
        await().atMost(Duration.ofSeconds(5)).ignoreExceptions().until(() -> get(18095).contains("hello"));

        // 1: a request through the forward every 5 s: 30 s, one and a half timeouts, with no DELETE
        long until = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (System.nanoTime() < until) {
            assertThat(get(18095)).contains("hello from dockbridge");
            Thread.sleep(5000);
        }
        assertThat(deletes()).isZero();

        // 2: nothing but an open `docker logs -f`: another 30 s with no DELETE, and status says why
        Process logs = docker.builder("logs", "-f", web).redirectErrorStream(true).start();
        try {
            Thread.sleep(30_000);
            assertThat(deletes()).isZero();
            assertThat(status().path("idle").path("blocked_by").toString()).contains("1 open docker connection");
        } finally {
            logs.destroy();
        }
        // released: now it goes
        await().atMost(Duration.ofSeconds(40)).pollInterval(Duration.ofMillis(500)).until(() -> deletes() == 1);
    }

    private static String get(int port) throws IOException {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 2000);
            s.setSoTimeout(10_000);
            s.getOutputStream().write("GET /index.html HTTP/1.0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            return new String(s.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        }
    }
}

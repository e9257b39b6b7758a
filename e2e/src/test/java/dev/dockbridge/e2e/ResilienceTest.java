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
import java.io.InputStream;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Issue 7, faults injected for real: sshd killed, the link down for a minute, the server deleted in the console. */
@ExtendWith(TestBedExtension.class)
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class ResilienceTest {
    private static final String IMAGE = "dockbridge-busybox:resilience";
    /** Fast keepalives so a dead session is found in seconds; new connections wait up to 15 s for it to return. */
    private static final String FAST = "  keepalive_interval: 1s\n  keepalive_max_misses: 3\n  reconnect_wait: 15s\n";

    private static String sshConfig(TestBed bed, int host) {
        return bed.sshConfig(host, "").replace("ssh:\n", "ssh:\n" + FAST);
    }



    private static Process background(DockerCli docker, Path out, String... args) throws IOException {
        return docker.builder(args).redirectErrorStream(true).redirectOutput(out.toFile()).start();
    }

    /**
     * GETs a file over HTTP/1.0 reading 64 KiB every 10 ms; "complete" only if the body has the announced
     * length, "error: ..." if the connection failed, "short: ..." for a clean end before that (a silent truncation).
     */
    private static String slowDownload(int port, String path, AtomicLong received) {
        try (Socket s = new Socket("127.0.0.1", port)) {
            s.setSoTimeout(30_000);
            s.getOutputStream().write(("GET " + path + " HTTP/1.0\r\nHost: x\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            InputStream in = s.getInputStream();
            StringBuilder head = new StringBuilder();
            while (!head.toString().endsWith("\r\n\r\n")) {
                int b = in.read();
                if (b < 0) {
                    return "short: no headers";
                }
                head.append((char) b);
            }
            Matcher m = Pattern.compile("(?i)content-length: *(\\d+)").matcher(head);
            long length = m.find() ? Long.parseLong(m.group(1)) : -1;
            byte[] buffer = new byte[64 * 1024];
            long body = 0;
            int n;
            while ((n = in.read(buffer)) > 0) {
                body += n;
                received.addAndGet(n);
                Thread.sleep(10);
            }
            return body == length ? "complete" : "short: " + body + " of " + length + " bytes, then a clean end";
        } catch (IOException e) {
            return "error: " + e;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "error: interrupted";
        }
    }

    private static DockBridgeProcess startOnHost2(TestBed bed, Path work) throws IOException {
        return DockBridgeProcess.start(work.resolve("home"), Files.writeString(work.resolve("config.yaml"), sshConfig(bed, 2)));
    }

    /** Builds the image and runs busybox httpd publishing {@code port}; returns the container id once the forward answers. */
    private static String serveWeb(DockerCli docker, Path work, int port) throws IOException {
        docker.ok("build", "-t", IMAGE, BusyboxImage.context(work.resolve("context")).toString());
        String web = docker.ok("run", "-d", "-p", port + ":80", IMAGE, "httpd", "-f", "-p", "80", "-h", "/www").strip();
        await().atMost(Duration.ofSeconds(10)).ignoreExceptions().until(() -> LocalPorts.get(port).contains("hello"));
        return web;
    }

    private static void restore(TestHost host) throws IOException {
        host.link(true);
        host.stopSshd(22);
        host.startSshd(22);
    }

    @Test
    void aKilledSessionIsReconnectedWhileNewConnectionsWaitAndInFlightOnesEnd(TestBed bed) throws Exception {
        TestHost host = bed.host(2);
        Path work = Files.createTempDirectory("dbe2e-reconnect");
        try (DockBridgeProcess daemon = startOnHost2(bed, work)) {
            DockerCli docker = new DockerCli(daemon.socket(), work.resolve("docker-config"));
            String web = serveWeb(docker, work, 18290);
            try {
                Process follow = background(docker, work.resolve("follow.txt"), "logs", "-f", web);
                // a 64 MiB download through the forward, read slowly, is in flight when the session dies
                docker.ok("exec", web, "dd", "if=/dev/urandom", "of=/www/big", "bs=1048576", "count=64");
                AtomicLong received = new AtomicLong();
                CompletableFuture<String> download = CompletableFuture.supplyAsync(
                        () -> slowDownload(18290, "/big", received));
                await().atMost(Duration.ofSeconds(20)).until(() -> received.get() > 4 << 20);

                // sshd and every session killed: the session is lost at once
                host.stopSshd(22);
                host.killSshSessions();
                assertThat(download.get(60, TimeUnit.SECONDS)).as("the cut download: an error, never a short reply that looks complete")
                        .startsWith("error:");
                await().atMost(Duration.ofSeconds(10)).until(() -> daemon.log().contains("ssh session to root@" + host.address() + ":22 lost"));
                assertThat(follow.waitFor(20, TimeUnit.SECONDS)).as("an in-flight stream ends, it does not hang").isTrue();

                // a new connection waits for the session to come back
                long asked = System.nanoTime();
                Process ps = background(docker, work.resolve("ps.txt"), "ps");
                Thread.sleep(3000);
                assertThat(ps.isAlive()).as("docker ps waits for the reconnect").isTrue();
                assertThat(LocalPorts.accepts(18290)).as("the forward's listener stays bound during the outage").isTrue();
                host.startSshd(22);
                assertThat(ps.waitFor(15, TimeUnit.SECONDS)).isTrue();
                assertThat(ps.exitValue()).as(Files.readString(work.resolve("ps.txt"))).isZero();
                assertThat((System.nanoTime() - asked) / 1e9).as("it succeeded only once sshd was back").isGreaterThanOrEqualTo(3.0);
                assertThat(Files.readString(work.resolve("ps.txt"))).contains(web.substring(0, 12));
                await().atMost(Duration.ofSeconds(10)).ignoreExceptions().until(() -> LocalPorts.get(18290).contains("hello"));
                assertThat(daemon.log()).contains("is back after");

                // an outage longer than the bound: the command fails with a message, and the tunnel comes back later
                host.stopSshd(22);
                host.killSshSessions();
                Cmd.Result failed = docker.run(Duration.ofSeconds(60), "ps");
                assertThat(failed.exitCode()).isNotZero();
                assertThat(failed.stderr()).contains("was lost").contains("not back yet").contains("keeps trying");
                host.startSshd(22);
                await().atMost(Duration.ofSeconds(45)).until(() -> docker.run(Duration.ofSeconds(30), "ps").ok());

                // the watcher subscribed again: a new published port is forwarded
                String second = docker.ok("run", "-d", "-p", "18291:80", IMAGE, "httpd", "-f", "-p", "80", "-h", "/www").strip();
                await().atMost(Duration.ofSeconds(5)).ignoreExceptions().until(() -> LocalPorts.get(18291).contains("hello"));
                docker.run(Duration.ofSeconds(30), "rm", "-f", second);
            } finally {
                restore(host);
                docker.run(Duration.ofSeconds(30), "rm", "-f", web);
            }
        }
    }

    @Test
    void aMinuteWithTheLinkDownLikeASleepingLaptopNeedsNoRestart(TestBed bed) throws Exception {
        TestHost host = bed.host(2);
        Path work = Files.createTempDirectory("dbe2e-sleep");
        try (DockBridgeProcess daemon = startOnHost2(bed, work)) {
            DockerCli docker = new DockerCli(daemon.socket(), work.resolve("docker-config"));
            String web = serveWeb(docker, work, 18292);
            try {
                long down = System.nanoTime();
                host.link(false);
                // nothing resets the connection: only the keepalives can tell (1 s x 3 misses)
                await().atMost(Duration.ofSeconds(15)).until(() -> daemon.log().contains("lost; reconnecting"));
                Thread.sleep(Math.max(0, 60_000 - (System.nanoTime() - down) / 1_000_000));
                host.link(true);
                Cmd.Result ps = docker.run(Duration.ofSeconds(30), "ps");
                assertThat(ps.exitCode()).as(ps.describe()).isZero();
                await().atMost(Duration.ofSeconds(10)).ignoreExceptions().until(() -> LocalPorts.get(18292).contains("hello"));
                assertThat(daemon.process().isAlive()).isTrue();
            } finally {
                restore(host);
                docker.run(Duration.ofSeconds(30), "rm", "-f", web);
            }
        }
    }

    @Test
    void aServerDeletedInTheConsoleIsNoticedAndTheNextCommandCreatesOne(TestBed bed) throws Exception {
        String token = "sim-token-gone";
        Path work = Files.createTempDirectory("dbe2e-gone");
        Path home = work.resolve("home");
        Path config = Files.writeString(work.resolve("config.yaml"), "provider: hetzner\nssh:\n" + FAST);
        try (HetznerSimulator sim = new HetznerSimulator(token, List.of(bed.host(3), bed.host(4)));
             DockBridgeProcess daemon = DockBridgeProcess.start(home, config, sim.clientEnv())) {
            DockerCli docker = new DockerCli(daemon.socket(), work.resolve("docker-config"));
            docker.ok("ps");
            JsonNode first = sim.servers().get(0);
            sim.deleteInConsole(first.path("id").asLong());
            await().atMost(Duration.ofSeconds(20)).until(() -> daemon.log().contains("no longer exists"));
            JsonNode status = StatusSchema.valid(new ObjectMapper().readTree(DockBridgeProcess.run(home, Duration.ofSeconds(30), "status", "--json").stdout()));
            assertThat(status.path("server").path("state").asText()).isEqualTo("absent");

            assertThat(docker.ok("ps")).as("a look: answered without a server").startsWith("CONTAINER ID");
            assertThat(sim.count("POST /servers")).isEqualTo(1);
            docker.ok("volume", "create", "after-console-delete"); // needs the engine: a new server
            assertThat(sim.count("POST /servers")).isEqualTo(2);
            assertThat(sim.servers()).hasSize(1);
            assertThat(sim.servers().get(0).path("id").asLong()).isNotEqualTo(first.path("id").asLong());
        }
    }
}

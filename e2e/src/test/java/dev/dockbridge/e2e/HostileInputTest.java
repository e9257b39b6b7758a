package dev.dockbridge.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

import dev.dockbridge.e2e.testbed.BusyboxImage;
import dev.dockbridge.e2e.testbed.TestBed;

/**
 * Issue 7's hostile local input: garbage, a huge header, a client that never speaks, a thousand connections
 * at once on the Docker socket and on a forward. The daemon stays up, its memory bounded, other clients
 * served; the limits are the configured ones.
 */
@ExtendWith(TestBedExtension.class)
@Timeout(value = 4, unit = TimeUnit.MINUTES)
class HostileInputTest {
    private static final String IMAGE = "dockbridge-busybox:hostile";

    static long rssKb(long pid) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        throw new IOException("no VmRSS for " + pid);
    }

    /** Sends bytes (from another thread: the far end may stop reading) and returns what comes back before EOF, at most 10 s. */
    private static String exchange(Path socket, byte[] request) throws Exception {
        try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            ch.connect(UnixDomainSocketAddress.of(socket));
            CompletableFuture.runAsync(() -> {
                try {
                    ch.write(ByteBuffer.wrap(request));
                } catch (IOException ignored) {
                    // the far end closed before taking it all: also an answer
                }
            });
            InputStream in = Channels.newInputStream(ch);
            CompletableFuture<byte[]> reply = CompletableFuture.supplyAsync(() -> {
                try {
                    return in.readNBytes(64 * 1024);
                } catch (IOException e) {
                    return new byte[0];
                }
            });
            return new String(reply.get(10, TimeUnit.SECONDS), StandardCharsets.ISO_8859_1);
        }
    }

    private static String firstLine(String reply) {
        return reply.lines().findFirst().orElse("(closed without an answer)");
    }

    private static String readAll(SocketChannel ch) throws IOException {
        return new String(Channels.newInputStream(ch).readNBytes(4096), StandardCharsets.UTF_8);
    }

    @Test
    void garbageHugeHeadersSilentClientsAndAThousandConnectionsLeaveTheDaemonServing(TestBed bed) throws Exception {
        Path work = Files.createTempDirectory("dbe2e-hostile");
        Path config = Files.writeString(work.resolve("config.yaml"), bed.sshConfig(1,
                "local:\n  first_byte_timeout: 4s\n  max_connections: 1100\nforward:\n  max_connections: 100\n"));
        try (DockBridgeProcess daemon = DockBridgeProcess.start(work.resolve("home"), config)) {
            Path socket = daemon.socket();
            long pid = daemon.process().pid();
            DockerCli docker = new DockerCli(socket, work.resolve("docker-config"));
            docker.ok("build", "-t", IMAGE, BusyboxImage.context(work.resolve("context")).toString());
            String web = docker.ok("run", "-d", "-p", "18390:80", IMAGE, "httpd", "-f", "-p", "80", "-h", "/www").strip();
            try {
                await().atMost(Duration.ofSeconds(10)).until(() -> LocalPorts.accepts(18390));
                docker.ok("ps");
                long rssBefore = rssKb(pid);

                // garbage: the engine says 400 (or hangs up); nothing else happens
                byte[] garbage = new byte[64 * 1024];
                new Random(7).nextBytes(garbage);
                String reply = exchange(socket, garbage);
                assertThat(reply.isEmpty() || reply.startsWith("HTTP/1.1 400")).as(firstLine(reply)).isTrue();
                // a 4 MB header: refused by the engine's header limit, not buffered by DockBridge
                byte[] huge = ("GET /_ping HTTP/1.1\r\nHost: docker\r\nX-Big: " + "a".repeat(4 << 20) + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
                reply = exchange(socket, huge);
                assertThat(reply.isEmpty() || reply.startsWith("HTTP/1.1 431") || reply.startsWith("HTTP/1.1 400")).as(firstLine(reply)).isTrue();
                assertThat(docker.ok("version", "--format", "{{.Server.Version}}")).isNotBlank();

                // a client that connects and never speaks is told so after local.first_byte_timeout
                try (SocketChannel silent = SocketChannel.open(UnixDomainSocketAddress.of(socket))) {
                    long t0 = System.nanoTime();
                    String answer = readAll(silent);
                    assertThat(answer).startsWith("HTTP/1.1 408").contains("nothing was sent within 4 s");
                    assertThat((System.nanoTime() - t0) / 1e9).as("not before the limit").isGreaterThanOrEqualTo(3.5);
                }

                // a thousand silent connections at once: admitted, cheap, and docker still answers
                List<SocketChannel> idle = new ArrayList<>();
                try {
                    for (int i = 0; i < 1000; i++) {
                        idle.add(SocketChannel.open(UnixDomainSocketAddress.of(socket)));
                    }
                    assertThat(docker.ok("ps")).startsWith("CONTAINER ID");
                    // past local.max_connections (1100): a 503 with the reason, at once
                    List<SocketChannel> more = new ArrayList<>();
                    for (int i = 0; i < 150; i++) {
                        more.add(SocketChannel.open(UnixDomainSocketAddress.of(socket)));
                    }
                    String refused = readAll(more.get(more.size() - 1));
                    assertThat(refused).startsWith("HTTP/1.1 503").contains("too many open docker connections (1100, local.max_connections)");
                    for (SocketChannel c : more) {
                        c.close();
                    }
                    long rssDuring = rssKb(pid);
                    assertThat((rssDuring - rssBefore) / 1024).as("RSS growth with 1000 idle connections, MiB").isLessThan(64);
                } finally {
                    for (SocketChannel c : idle) {
                        c.close();
                    }
                }

                // a thousand connections at once on a forward (limit 100): the rest are closed, the daemon and docker carry on
                List<Socket> flood = new ArrayList<>();
                try {
                    for (int i = 0; i < 1000; i++) {
                        Socket s = new Socket();
                        try {
                            s.connect(new InetSocketAddress("127.0.0.1", 18390), 2000);
                        } catch (IOException e) {
                            // the backlog is full: also a refusal
                        }
                        flood.add(s);
                    }
                    assertThat(docker.ok("ps")).startsWith("CONTAINER ID");
                    // the kernel took all thousand at once (the backlog); the daemon accepts them as it gets to them
                    await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(200))
                            .until(() -> daemon.log().contains("connections open, closing new ones (forward.max_connections)"));
                    assertThat((rssKb(pid) - rssBefore) / 1024).as("RSS growth with a forward flooded, MiB").isLessThan(96);
                } finally {
                    for (Socket s : flood) {
                        s.close();
                    }
                }
                await().atMost(Duration.ofSeconds(20)).ignoreExceptions().until(() -> LocalPorts.get(18390).contains("hello"));
                assertThat(daemon.process().isAlive()).isTrue();
            } finally {
                docker.run(Duration.ofSeconds(30), "rm", "-f", web);
            }
        }
    }


}

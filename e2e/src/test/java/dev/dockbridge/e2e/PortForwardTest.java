package dev.dockbridge.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.dockbridge.e2e.testbed.BusyboxImage;
import dev.dockbridge.e2e.testbed.Cmd;
import dev.dockbridge.e2e.testbed.TestBed;
import java.awt.image.BufferedImage;
import java.nio.file.StandardCopyOption;
import java.util.Map;
import java.util.Random;
import javax.imageio.ImageIO;

/** Issue 4's acceptance: published container ports appear on localhost, through SSH, exactly. */
@ExtendWith(TestBedExtension.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 4, unit = TimeUnit.MINUTES)
class PortForwardTest {
    static final String IMAGE = "dockbridge-busybox:fwd";
    private static final String PAGE = "hello from dockbridge\n";

    private Path work;
    private Path home;
    private DockBridgeProcess daemon;
    private DockerCli docker;

    private TestBed bed;

    @BeforeAll
    void start(TestBed bed) throws IOException {
        this.bed = bed;
        work = Files.createTempDirectory("dbe2e-fwd");
        home = work.resolve("home");
        Path config = Files.writeString(work.resolve("config.yaml"), bed.sshConfig(1, ""));
        daemon = DockBridgeProcess.start(home, config);
        docker = new DockerCli(daemon.socket(), work.resolve("docker-config"));
        docker.ok("build", "-t", IMAGE, BusyboxImage.context(work.resolve("context")).toString());
    }

    @AfterAll
    void stop() {
        if (daemon != null) {
            daemon.close();
        }
    }

    private String web(String... publish) {
        List<String> args = new ArrayList<>(List.of("run", "-d"));
        for (String p : publish) {
            args.add("-p");
            args.add(p);
        }
        args.addAll(List.of(IMAGE, "httpd", "-f", "-p", "80", "-h", "/www"));
        return docker.ok(args.toArray(String[]::new)).strip();
    }

    private static String get(String host, int port) throws IOException {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(host, port), 2000);
            s.setSoTimeout(10_000);
            s.getOutputStream().write("GET /index.html HTTP/1.0\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            s.shutdownOutput(); // half-close: the reply must still come whole
            String reply = new String(s.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            return reply.substring(reply.indexOf("\r\n\r\n") + 4);
        }
    }

    private static boolean listening(int port) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 500);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private JsonNode ports() throws IOException {
        Cmd.Result r = DockBridgeProcess.run(home, Duration.ofSeconds(30), "ports", "--json");
        assertThat(r.exitCode()).as(r.describe()).isZero();
        return new ObjectMapper().readTree(r.stdout());
    }

    @Test
    void publishedPortAnswersOnIpv4AndIpv6Loopback() throws Exception {
        String id = web("18080:80");
        try {
            await().atMost(Duration.ofSeconds(3)).pollInterval(Duration.ofMillis(50)).ignoreExceptions()
                    .until(() -> get("127.0.0.1", 18080).equals(PAGE));
            assertThat(get("::1", 18080)).isEqualTo(PAGE);
            Cmd.Result curl = Cmd.exec(Duration.ofSeconds(10), Map.of(), null, "curl", "-sS", "-g", "http://[::1]:18080/index.html");
            assertThat(curl.stdout()).as(curl.describe()).isEqualTo(PAGE);
        } finally {
            docker.ok("rm", "-f", id);
        }
    }

    @Test
    void connectionsGoStraightToTheContainerNotThroughDockersProxy() throws Exception {
        String id = web("18094:80");
        try {
            await().atMost(Duration.ofSeconds(3)).ignoreExceptions().until(() -> get("127.0.0.1", 18094).equals(PAGE));
            String ns = bed.host(1).name();
            String[] wget = {"ip", "netns", "exec", ns, "busybox", "wget", "-q", "-O", "-", "http://127.0.0.1:18094/index.html"};
            assertThat(Cmd.exec(Duration.ofSeconds(10), Map.of(), null, wget).stdout()).isEqualTo(PAGE);
            // end Docker's userland proxy for the published port on the server: the published port is dead there now
            int killed = 0;
            for (String pid : Cmd.exec(Duration.ofSeconds(10), Map.of(), null, "ip", "netns", "pids", ns).stdout().split("\\s+")) {
                Path cmdline = Path.of("/proc", pid, "cmdline");
                if (!pid.isBlank() && Files.exists(cmdline) && Files.readString(cmdline).replace('\0', ' ').contains("-host-port 18094")) {
                    Cmd.exec(Duration.ofSeconds(10), Map.of(), null, "kill", "-9", pid);
                    killed++;
                }
            }
            assertThat(killed).as("docker-proxy processes of port 18094").isPositive();
            assertThat(Cmd.exec(Duration.ofSeconds(10), Map.of(), null, wget).exitCode())
                    .as("the published port on the server no longer answers").isNotZero();
            assertThat(get("127.0.0.1", 18094)).as("the forward still does: it dials the container's own address").isEqualTo(PAGE);
        } finally {
            docker.ok("rm", "-f", id);
        }
    }

    @Test
    void stopClosesTheLocalPortAndStartOpensItAgain() throws Exception {
        String id = web("18082:80");
        try {
            await().atMost(Duration.ofSeconds(3)).ignoreExceptions().until(() -> get("127.0.0.1", 18082).equals(PAGE));
            docker.ok("stop", "-t", "1", id);
            await().atMost(Duration.ofSeconds(3)).until(() -> !listening(18082));
            docker.ok("start", id);
            await().atMost(Duration.ofSeconds(3)).ignoreExceptions().until(() -> get("127.0.0.1", 18082).equals(PAGE));
        } finally {
            docker.ok("rm", "-f", id);
        }
    }

    @Test
    void takenLocalPortMovesToTheNextFreeOneAndPortsShowsIt() throws Exception {
        // 18097: the forward moves to 18098, which no other test publishes (a moved forward takes its neighbour's port)
        try (ServerSocket taken = new ServerSocket()) {
            taken.bind(new InetSocketAddress("127.0.0.1", 18097));
            String id = web("18097:80");
            try {
                await().atMost(Duration.ofSeconds(3)).until(() -> ports().findValues("remote_port").stream().anyMatch(p -> p.asInt() == 18097));
                JsonNode forward = forwardFor(18097);
                int local = forward.path("local_port").asInt();
                assertThat(local).isGreaterThan(18097);
                assertThat(forward.path("note").asText()).contains("taken");
                assertThat(get("127.0.0.1", local)).isEqualTo(PAGE);
                Cmd.Result table = DockBridgeProcess.run(home, Duration.ofSeconds(30), "ports");
                assertThat(table.stdout()).contains("localhost:" + local).contains(":18097");
            } finally {
                docker.ok("rm", "-f", id);
            }
        }
    }

    private static Path extract(String resource, Path target) throws IOException {
        try (InputStream in = PortForwardTest.class.getResourceAsStream(resource)) {
            Files.copy(in, target, StandardCopyOption.REPLACE_EXISTING);
        }
        return target;
    }

    private JsonNode forwardFor(int remotePort) throws IOException {
        for (JsonNode f : ports()) {
            if (f.path("remote_port").asInt() == remotePort) {
                return f;
            }
        }
        throw new AssertionError("no forward for " + remotePort + " in " + ports());
    }

    @Test
    void specificHostAddressIsForwardedAndUdpIsListedAsNotForwarded() throws Exception {
        String id = web("127.0.0.1:18081:80", "5353:53/udp");
        try {
            await().atMost(Duration.ofSeconds(3)).ignoreExceptions().until(() -> get("127.0.0.1", 18081).equals(PAGE));
            JsonNode tcp = forwardFor(18081);
            assertThat(tcp.path("remote_host").asText()).isEqualTo("127.0.0.1");
            JsonNode udp = forwardFor(5353);
            assertThat(udp.path("protocol").asText()).isEqualTo("udp");
            assertThat(udp.path("local_port").asInt()).isZero();
            assertThat(udp.path("note").asText()).contains("not forwarded");
        } finally {
            docker.ok("rm", "-f", id);
        }
    }

    @Test
    void headlessChromiumRendersAPageServedThroughAForward() throws Exception {
        String page = "<html><body style='margin:0;background:#2a7ae2'><h1 style='font:bold 72px sans-serif;color:#ffffff'>"
                + "DockBridge forward works</h1></body></html>";
        String id = docker.ok("run", "-d", "-p", "18087:80", IMAGE, "sh", "-c",
                "mkdir -p /p && echo \"" + page + "\" > /p/index.html && httpd -f -p 80 -h /p").strip();
        try {
            await().atMost(Duration.ofSeconds(3)).ignoreExceptions().until(() -> get("127.0.0.1", 18087).contains("forward works"));
            Path shot = work.resolve("page.png");
            List<String> chromium = List.of("chromium", "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                    "--disable-background-networking", "--disable-component-update", "--disable-sync",
                    "--user-data-dir=" + Files.createTempDirectory(work, "chromium"), "--window-size=800,600");
            List<String> dump = new ArrayList<>(chromium);
            dump.addAll(List.of("--dump-dom", "http://127.0.0.1:18087/index.html"));
            Cmd.Result dom = Cmd.exec(Duration.ofSeconds(60), Map.of(), null, dump);
            assertThat(dom.stdout()).as(dom.describe()).contains("DockBridge forward works");
            List<String> screenshot = new ArrayList<>(chromium);
            screenshot.addAll(List.of("--screenshot=" + shot, "http://127.0.0.1:18087/index.html"));
            Cmd.Result r = Cmd.exec(Duration.ofSeconds(60), Map.of(), null, screenshot);
            assertThat(shot).as(r.describe()).exists();
            BufferedImage image = ImageIO.read(shot.toFile());
            assertThat(image.getRGB(image.getWidth() - 5, image.getHeight() - 5) & 0xffffff).as("page background").isEqualTo(0x2a7ae2);
            long white = 0;
            for (int y = 0; y < 150; y++) {
                for (int x = 0; x < image.getWidth(); x++) {
                    if ((image.getRGB(x, y) & 0xffffff) == 0xffffff) {
                        white++;
                    }
                }
            }
            assertThat(white).as("white heading text drawn on the blue page").isGreaterThan(500);
        } finally {
            docker.ok("rm", "-f", id);
        }
    }

    @Test
    void twoHundredConcurrentConnectionsAllComplete() throws Exception {
        // busybox httpd (listen backlog 9) drops some of 200 simultaneous connections even without DockBridge,
        // so this test serves them with a small Java server run from this machine's JDK
        Path server = extract("/fixtures/HelloServer.java", work.resolve("HelloServer.java"));
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        String id = docker.ok("run", "-d", "-p", "18084:80", "-v", "/:/host", IMAGE, "chroot", "/host", java, server.toString(), "80").strip();
        ExecutorService pool = Executors.newFixedThreadPool(200);
        try {
            await().atMost(Duration.ofSeconds(30)).ignoreExceptions().until(() -> get("127.0.0.1", 18084).equals(PAGE));
            List<Future<String>> replies = new ArrayList<>();
            for (int i = 0; i < 200; i++) {
                replies.add(pool.submit(() -> get("127.0.0.1", 18084)));
            }
            for (Future<String> reply : replies) {
                assertThat(reply.get()).isEqualTo(PAGE);
            }
            assertThat(forwardFor(18084).path("total_connections").asLong()).isGreaterThanOrEqualTo(201);
        } finally {
            pool.shutdownNow();
            docker.ok("rm", "-f", id);
        }
    }

    @Test
    void gigabyteBothWaysIsByteIdenticalWithBoundedMemory() throws Exception {
        // download: httpd serves 1 GiB of random bytes; upload: nc hashes what arrives until EOF
        String id = docker.ok("run", "-d", "-p", "18085:80", "-p", "18086:9000", IMAGE, "sh", "-c",
                "dd if=/dev/urandom of=/www/big bs=1M count=1024 2>/dev/null; sha256sum /www/big > /big.sha; "
                        + "httpd -p 80 -h /www; nc -l -p 9000 | sha256sum > /up.sha; sleep 600").strip();
        try {
            await().atMost(Duration.ofSeconds(90)).ignoreExceptions()
                    .until(() -> !docker.run(Duration.ofSeconds(10), "exec", id, "cat", "/big.sha").stdout().isBlank());
            String remoteSha = docker.ok("exec", id, "cat", "/big.sha").split(" ")[0];
            // not by connecting: the upload side is a one-shot nc that a probe would use up
            await().atMost(Duration.ofSeconds(3)).ignoreExceptions()
                    .until(() -> forwardFor(18085).path("local_port").asInt() == 18085 && forwardFor(18086).path("local_port").asInt() == 18086);
            long pid = daemon.process().pid();
            long rssBefore = rssKiB(pid);
            AtomicLong peak = new AtomicLong(rssBefore);
            Thread sampler = new Thread(() -> {
                while (!Thread.currentThread().isInterrupted()) {
                    peak.accumulateAndGet(rssKiB(pid), Math::max);
                    try {
                        Thread.sleep(100);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            });
            sampler.start();
            try {
                String downloaded;
                try (Socket s = new Socket("127.0.0.1", 18085)) {
                    s.getOutputStream().write("GET /big HTTP/1.0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                    downloaded = hashHttpBody(s.getInputStream());
                }
                assertThat(downloaded).isEqualTo(remoteSha);

                String expected = upload(18086, 1024, 42);
                await().atMost(Duration.ofSeconds(30)).ignoreExceptions()
                        .until(() -> docker.ok("exec", id, "cat", "/up.sha").startsWith(expected));
            } finally {
                sampler.interrupt();
                sampler.join();
            }
            long growthMiB = (peak.get() - rssBefore) / 1024;
            assertThat(growthMiB).as("daemon RSS growth during 2 GiB of transfers, MiB").isLessThan(64);
        } finally {
            docker.ok("rm", "-f", id);
        }
    }

    @Test
    @Timeout(value = 2, unit = TimeUnit.MINUTES) // a forward that never resumes blocks the write below for good
    void anUploadToAContainerThatWaitsBeforeReadingArrivesWhole() throws Exception {
        // the container reads nothing for 5 s: the pipe, both sockets and the server's channel window (2 MiB from
        // OpenSSH) fill up, the forward must stop sending at the window's end and resume with the server's next adjust
        String id = docker.ok("run", "-d", "-p", "18088:9000", IMAGE, "sh", "-c",
                "nc -l -p 9000 | (sleep 5; sha256sum) > /up.sha; sleep 600").strip();
        try {
            await().atMost(Duration.ofSeconds(10)).ignoreExceptions().until(() -> forwardFor(18088).path("local_port").asInt() == 18088);
            String expected = upload(18088, 48, 7);
            await().atMost(Duration.ofSeconds(30)).ignoreExceptions()
                    .until(() -> docker.ok("exec", id, "cat", "/up.sha").startsWith(expected));
        } finally {
            docker.ok("rm", "-f", id);
        }
    }

    /**
     * Sends {@code mib} MiB of seeded random bytes to a forwarded port, ends its output and waits for the container side
     * to close; returns the SHA-256 (hex) of what was sent.
     */
    private static String upload(int port, int mib, long seed) throws Exception {
        MessageDigest sent = MessageDigest.getInstance("SHA-256");
        try (Socket s = new Socket("127.0.0.1", port)) {
            s.setSoTimeout(60_000);
            OutputStream out = s.getOutputStream();
            byte[] block = new byte[1 << 20];
            Random random = new Random(seed);
            for (int i = 0; i < mib; i++) {
                random.nextBytes(block);
                out.write(block);
                sent.update(block);
            }
            s.shutdownOutput();
            s.getInputStream().readAllBytes(); // until the container side closes
        }
        return HexFormat.of().formatHex(sent.digest());
    }

    private static String hashHttpBody(InputStream in) throws Exception {
        MessageDigest digest = MessageDigest.getInstance("SHA-256");
        byte[] buffer = new byte[1 << 16];
        // skip the header: find \r\n\r\n, then hash the rest
        StringBuilder head = new StringBuilder();
        int b;
        while ((b = in.read()) >= 0) {
            head.append((char) b);
            if (head.length() >= 4 && head.substring(head.length() - 4).equals("\r\n\r\n")) {
                break;
            }
        }
        int n;
        while ((n = in.read(buffer)) > 0) {
            digest.update(buffer, 0, n);
        }
        return HexFormat.of().formatHex(digest.digest());
    }

    private static long rssKiB(long pid) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", ""));
                }
            }
        } catch (IOException e) {
            // process gone: the test fails elsewhere
        }
        return 0;
    }
}

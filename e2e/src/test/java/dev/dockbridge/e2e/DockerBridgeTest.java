package dev.dockbridge.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

import dev.dockbridge.e2e.testbed.BusyboxImage;
import dev.dockbridge.e2e.testbed.Cmd;
import dev.dockbridge.e2e.testbed.TestBed;
import java.util.HashMap;

/** Issue 2's acceptance: the docker CLI through DockBridge to a real dockerd behind a real sshd. */
@ExtendWith(TestBedExtension.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class DockerBridgeTest {
    static final String IMAGE = "dockbridge-busybox:e2e";

    private TestBed bed;
    private Path work;
    private DockBridgeProcess daemon;
    private DockerCli docker;
    private DockerCli direct;

    @BeforeAll
    void start(TestBed bed) throws IOException {
        this.bed = bed;
        work = Files.createTempDirectory("dbe2e-bridge");
        Path config = Files.writeString(work.resolve("config.yaml"), bed.sshConfig(1, ""));
        daemon = DockBridgeProcess.start(work.resolve("home"), config);
        docker = new DockerCli(daemon.socket(), work.resolve("docker-config"));
        direct = new DockerCli(bed.host(1).dockerSocket(), work.resolve("docker-config"));
        docker.ok("build", "-t", IMAGE, BusyboxImage.context(work.resolve("context")).toString());
    }

    @AfterAll
    void stop() {
        if (daemon != null) {
            daemon.close();
            assertThat(daemon.socket()).as("socket removed on SIGTERM").doesNotExist();
        }
    }

    @Test
    void buildThroughTheBridgeLandsOnTheRemoteEngine() {
        assertThat(direct.ok("image", "inspect", "--format", "{{.Id}}", IMAGE))
                .isEqualTo(docker.ok("image", "inspect", "--format", "{{.Id}}", IMAGE));
    }

    /** Issue 13: a ready engine's /_ping is answered by DockBridge itself; it must be the engine's own answer, but for the date. */
    @Test
    void theLocalPingIsTheEnginesOwnAnswer() throws IOException {
        for (String method : List.of("GET", "HEAD")) {
            String request = method + " /_ping HTTP/1.1\r\nHost: docker\r\nUser-Agent: Docker-Client/28.5.1 (linux)\r\n\r\n";
            String local = exchange(daemon.socket(), request);
            String engine = exchange(bed.host(1).dockerSocket(), request);
            assertThat(withoutDate(local)).as(method + ": DockBridge's answer against the engine's\n" + local + "\n" + engine)
                    .isEqualTo(withoutDate(engine));
            assertThat(local).containsPattern("\r\nDate: \\w{3}, \\d{2} \\w{3} \\d{4} \\d{2}:\\d{2}:\\d{2} GMT\r\n");
        }
        // the CLI talks through it as to the engine
        assertThat(docker.ok("version", "--format", "{{.Server.APIVersion}}")).isEqualTo(direct.ok("version", "--format", "{{.Server.APIVersion}}"));
    }

    /** One request on a fresh connection; the answer up to the end of its body (the ping's is "OK" or nothing). */
    private static String exchange(Path socket, String request) throws IOException {
        try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            ch.connect(UnixDomainSocketAddress.of(socket));
            ch.write(ByteBuffer.wrap(request.getBytes(StandardCharsets.ISO_8859_1)));
            InputStream in = Channels.newInputStream(ch);
            StringBuilder got = new StringBuilder();
            byte[] b = new byte[4096];
            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (System.nanoTime() < deadline) {
                int end = got.indexOf("\r\n\r\n");
                if (end >= 0) {
                    int length = Integer.parseInt(got.toString().replaceAll("(?s).*\r\nContent-Length: (\\d+)\r\n.*", "$1"));
                    if (request.startsWith("HEAD") || got.length() >= end + 4 + length) {
                        return got.toString();
                    }
                }
                int n = in.read(b);
                if (n < 0) {
                    break;
                }
                got.append(new String(b, 0, n, StandardCharsets.ISO_8859_1));
            }
            return got.toString();
        }
    }

    private static String withoutDate(String answer) {
        return answer.replaceAll("\r\nDate: [^\r]*", "");
    }

    @Test
    void versionInfoAndPsTalkToTheRemoteEngine() {
        String remoteVersion = direct.ok("version", "--format", "{{.Server.Version}}").strip();
        assertThat(docker.ok("version", "--format", "{{.Server.Version}}").strip()).isEqualTo(remoteVersion);
        assertThat(docker.ok("info", "--format", "{{.ID}}")).isEqualTo(direct.ok("info", "--format", "{{.ID}}"));
        assertThat(docker.ok("ps")).startsWith("CONTAINER ID");
    }

    @Test
    void buildKitSessionRunsOverTheBridge() throws IOException {
        // Debian's 20.10 client builds with BuildKit without the buildx plugin; its session is a hijacked stream
        Map<String, String> env = new HashMap<>(docker.env());
        env.put("DOCKER_BUILDKIT", "1");
        Path context = BusyboxImage.context(work.resolve("context-buildkit"));
        Cmd.Result r = Cmd.exec(Duration.ofMinutes(2), env, null, "/usr/bin/docker", "build", "--progress", "plain",
                "-t", "dockbridge-buildkit:e2e", context.toString());
        assertThat(r.exitCode()).as(r.describe()).isZero();
        assertThat(r.stderr()).contains("naming to docker.io/library/dockbridge-buildkit:e2e");
        assertThat(direct.ok("run", "--rm", "dockbridge-buildkit:e2e", "cat", "/www/index.html")).isEqualTo("hello from dockbridge\n");
    }

    @Test
    void runPrintsOutput() {
        assertThat(docker.ok("run", "--rm", IMAGE, "echo", "hi")).isEqualTo("hi\n");
    }

    @Test
    void logsFollowStreamsLinesAsTheyCome() throws Exception {
        String id = docker.ok("run", "-d", IMAGE, "sh", "-c", "for i in 1 2 3 4 5 6; do echo line$i; sleep 1; done").strip();
        Process logs = docker.builder("logs", "-f", id).redirectErrorStream(true).start();
        try (BufferedReader out = new BufferedReader(new InputStreamReader(logs.getInputStream(), StandardCharsets.UTF_8))) {
            assertThat(out.readLine()).isEqualTo("line1");
            // the first line came while the container still runs: streamed, not buffered until the end
            assertThat(logs.isAlive()).isTrue();
            assertThat(docker.ok("inspect", "--format", "{{.State.Running}}", id).strip()).isEqualTo("true");
            List<String> rest = new ArrayList<>();
            String line;
            while ((line = out.readLine()) != null) {
                rest.add(line);
            }
            assertThat(rest).containsExactly("line2", "line3", "line4", "line5", "line6");
        }
        assertThat(logs.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(logs.exitValue()).isZero();
        docker.ok("rm", id);
    }

    @Test
    void copies100MiBBothWaysByteIdentical() throws Exception {
        Path original = work.resolve("random.bin");
        byte[] block = new byte[1 << 20];
        SecureRandom random = new SecureRandom();
        try (OutputStream out = Files.newOutputStream(original)) {
            for (int i = 0; i < 100; i++) {
                random.nextBytes(block);
                out.write(block);
            }
        }
        String expected = sha256(original);
        String name = "cp-" + System.nanoTime();
        docker.ok("create", "--name", name, IMAGE, "sha256sum", "/data.bin");
        try {
            docker.ok("cp", original.toString(), name + ":/data.bin");
            assertThat(docker.ok("start", "-a", name)).startsWith(expected); // hashed on the remote side
            Path back = work.resolve("back.bin");
            docker.ok("cp", name + ":/data.bin", back.toString());
            assertThat(sha256(back)).isEqualTo(expected);
        } finally {
            docker.ok("rm", "-f", name);
        }
    }

    @Test
    void halfCloseKeepsOutputAfterStdinEnds() {
        Cmd.Result r = docker.runWithStdin(Duration.ofSeconds(60), "hello".getBytes(StandardCharsets.UTF_8),
                "run", "-i", "--rm", IMAGE, "sh", "-c", "echo started; cat; echo; echo stdin-eof-seen");
        assertThat(r.exitCode()).as(r.describe()).isZero();
        assertThat(r.stdout()).isEqualTo("started\nhello\nstdin-eof-seen\n");
    }

    @Test
    void halfCloseWithSlowStdin() throws Exception {
        Process p = docker.builder("run", "-i", "--rm", IMAGE, "sh", "-c", "echo started; cat; echo; echo stdin-eof-seen")
                .redirectError(ProcessBuilder.Redirect.DISCARD).start();
        try (BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            assertThat(out.readLine()).isEqualTo("started");
            Thread.sleep(1000); // stdin data arrives a second after the container started
            try (OutputStream in = p.getOutputStream()) {
                in.write("hello".getBytes(StandardCharsets.UTF_8));
            }
            assertThat(out.readLine()).isEqualTo("hello");
            assertThat(out.readLine()).isEqualTo("stdin-eof-seen");
        }
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).isZero();
    }

    @Test
    void execWithTtyUnderAPseudoTerminal() {
        String name = "tty-" + System.nanoTime();
        docker.ok("run", "-d", "--name", name, IMAGE, "sleep", "300");
        try {
            Map<String, String> env = new HashMap<>(docker.env());
            env.put("TERM", "xterm");
            Cmd.Result r = Cmd.exec(Duration.ofSeconds(60), env, null, "script", "-qec",
                    "docker exec -it " + name + " sh -c 'echo from-tty; tty'", "/dev/null");
            assertThat(r.exitCode()).as(r.describe()).isZero();
            assertThat(r.stdout()).contains("from-tty").contains("/dev/pts/");
        } finally {
            docker.ok("rm", "-f", name);
        }
    }

    @Test
    void fiftyConcurrentCommandsAllSucceed() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(50);
        try {
            List<Future<Cmd.Result>> runs = new ArrayList<>();
            for (int i = 0; i < 50; i++) {
                runs.add(pool.submit(() -> docker.run(Duration.ofSeconds(90), "ps")));
            }
            for (Future<Cmd.Result> run : runs) {
                Cmd.Result r = run.get();
                assertThat(r.exitCode()).as(r.describe()).isZero();
                assertThat(r.stdout()).startsWith("CONTAINER ID");
            }
        } finally {
            pool.shutdownNow();
        }
    }

    static String sha256(Path file) throws Exception {
        MessageDigest digest = MessageDigest.getInstance("SHA-256");
        try (var in = Files.newInputStream(file)) {
            byte[] buffer = new byte[1 << 16];
            int n;
            while ((n = in.read(buffer)) > 0) {
                digest.update(buffer, 0, n);
            }
        }
        return HexFormat.of().formatHex(digest.digest());
    }
}

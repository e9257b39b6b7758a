package dev.dockbridge.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.dockbridge.e2e.hetzner.HetznerSimulator;
import dev.dockbridge.e2e.testbed.BusyboxImage;
import dev.dockbridge.e2e.testbed.Cmd;
import dev.dockbridge.e2e.testbed.TestBed;

/**
 * Issue 12's acceptance: binds of local folders give containers this machine's files, both ways, live. The test bed's
 * hosts cannot see the folders (a plain bind of one shows an empty folder), so only DockBridge's copy can pass.
 */
@ExtendWith(TestBedExtension.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class BindMountTest {
    private static final String IMAGE = "dockbridge-busybox:mounts";
    private static final Duration SEEN = Duration.ofSeconds(10); // correctness here; bench/mounts.sh measures how soon

    private TestBed bed;
    private Path work;
    private Path home;
    private Path local;
    private DockBridgeProcess daemon;
    private DockerCli docker;

    @BeforeAll
    void start(TestBed bed) throws IOException {
        this.bed = bed;
        work = Files.createTempDirectory("dbe2e-mounts");
        home = work.resolve("home");
        local = Files.createDirectories(bed.localFiles().resolve("mounts-" + work.getFileName()));
        Path config = Files.writeString(work.resolve("config.yaml"), bed.sshConfig(1, "mounts:\n  roots: [" + bed.localFiles() + "]\n"));
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

    private Path folder(String name) throws IOException {
        return Files.createDirectories(local.resolve(name));
    }

    @Test
    void aPlainBindThroughTheTunnelSeesAnEmptyFolder() throws Exception {
        Path dir = folder("plain");
        Files.writeString(dir.resolve("hello.txt"), "hello\n");
        Path w = Files.createTempDirectory("dbe2e-mounts-off");
        Path config = Files.writeString(w.resolve("config.yaml"), bed.sshConfig(1, "mounts:\n  enabled: false\n"));
        try (DockBridgeProcess off = DockBridgeProcess.start(w.resolve("home"), config)) {
            DockerCli plain = new DockerCli(off.socket(), w.resolve("docker-config"));
            assertThat(plain.ok("run", "--rm", "-v", dir + ":/app", IMAGE, "ls", "-A", "/app").strip())
                    .as("the server cannot see this machine's files").isEmpty();
        }
    }

    @Test
    void aContainerSeesTheLocalFolderAndReadOnlyRefusesWrites() throws Exception {
        Path dir = folder("basic");
        Files.writeString(dir.resolve("hello.txt"), "hello from here\n");
        Files.createDirectories(dir.resolve("sub/deeper"));
        Files.writeString(dir.resolve("sub/deeper/run.sh"), "#!/bin/sh\necho ran\n");
        dir.resolve("sub/deeper/run.sh").toFile().setExecutable(true, false);
        Files.createSymbolicLink(dir.resolve("link.txt"), Path.of("hello.txt"));

        assertThat(docker.ok("run", "--rm", "-v", dir + ":/app", IMAGE, "cat", "/app/hello.txt")).isEqualTo("hello from here\n");
        assertThat(docker.ok("run", "--rm", "-v", dir + ":/app", IMAGE, "/app/sub/deeper/run.sh")).isEqualTo("ran\n");
        assertThat(docker.ok("run", "--rm", "-v", dir + ":/app", IMAGE, "readlink", "/app/link.txt").strip()).isEqualTo("hello.txt");
        assertThat(docker.ok("run", "--rm", "--mount", "type=bind,src=" + dir + ",dst=/data,readonly", IMAGE, "cat", "/data/link.txt"))
                .isEqualTo("hello from here\n");
        Cmd.Result ro = docker.run(Duration.ofSeconds(60), "run", "--rm", "-v", dir + ":/app:ro", IMAGE, "touch", "/app/new");
        assertThat(ro.exitCode()).as(ro.describe()).isNotZero();
        assertThat(ro.stderr() + ro.stdout()).contains("Read-only");
        Cmd.Result ro2 = docker.run(Duration.ofSeconds(60), "run", "--rm", "--mount", "type=bind,src=" + dir + ",dst=/data,readonly", IMAGE,
                "touch", "/data/new");
        assertThat(ro2.exitCode()).as(ro2.describe()).isNotZero();
        assertThat(dir.resolve("new")).doesNotExist();

        Path file = dir.resolve("one.conf");
        Files.writeString(file, "setting=1\n");
        assertThat(docker.ok("run", "--rm", "-v", file + ":/etc/one.conf:ro", IMAGE, "cat", "/etc/one.conf")).isEqualTo("setting=1\n");
    }

    @Test
    void theServersOwnPathsPassUnchanged() {
        assertThat(docker.run(Duration.ofSeconds(60), "run", "--rm", "-v", "/var/run/docker.sock:/var/run/docker.sock", IMAGE,
                "test", "-S", "/var/run/docker.sock").exitCode()).as("the server's Docker socket is mounted").isZero();
        assertThat(docker.ok("run", "--rm", "-v", "/etc:/host-etc:ro", IMAGE, "cat", "/host-etc/hostname"))
                .as("the server's own /etc").isNotEmpty();
    }

    @Test
    void changesTravelBothWaysWhileTheContainerRuns() throws Exception {
        Path dir = folder("live");
        Files.writeString(dir.resolve("app.txt"), "v1\n");
        Path conf = dir.resolve("one.conf");
        Files.writeString(conf, "setting=1\n");
        String id = docker.ok("run", "-d", "-v", dir + ":/app", IMAGE, "sleep", "600").strip();
        String second = docker.ok("run", "-d", "-v", dir + ":/also", "-v", conf + ":/etc/one.conf", IMAGE, "sleep", "600").strip();
        try {
            Files.writeString(conf, "setting=2\n");
            await().atMost(SEEN).pollInterval(Duration.ofMillis(100))
                    .until(() -> docker.ok("exec", second, "cat", "/etc/one.conf").equals("setting=2\n"));
            Files.writeString(dir.resolve("app.txt"), "v2\n");
            await().atMost(SEEN).pollInterval(Duration.ofMillis(100)).until(() -> docker.ok("exec", id, "cat", "/app/app.txt").equals("v2\n"));
            Files.writeString(dir.resolve("new.txt"), "new here\n");
            await().atMost(SEEN).pollInterval(Duration.ofMillis(100))
                    .until(() -> docker.run(Duration.ofSeconds(20), "exec", id, "cat", "/app/new.txt").stdout().equals("new here\n"));

            docker.ok("exec", id, "sh", "-c", "mkdir -p /app/out && echo report > /app/out/report.txt");
            await().atMost(SEEN).pollInterval(Duration.ofMillis(100)).until(() -> read(dir.resolve("out/report.txt")).equals("report\n"));

            Files.delete(dir.resolve("new.txt"));
            await().atMost(SEEN).pollInterval(Duration.ofMillis(100))
                    .until(() -> docker.run(Duration.ofSeconds(20), "exec", id, "test", "-e", "/app/new.txt").exitCode() == 1);
            docker.ok("exec", id, "rm", "/app/out/report.txt");
            await().atMost(SEEN).pollInterval(Duration.ofMillis(100)).until(() -> !Files.exists(dir.resolve("out/report.txt")));
            assertThat(read(dir.resolve("app.txt"))).as("nothing else changed").isEqualTo("v2\n");
            assertThat(docker.ok("exec", second, "cat", "/also/app.txt")).isEqualTo("v2\n");
            JsonNode status = new ObjectMapper().readTree(DockBridgeProcess.run(home, Duration.ofSeconds(30), "status", "--json").stdout());
            StatusSchema.valid(status);
            assertThat(status.path("mounts").findValuesAsText("local_path").stream().filter(dir.toString()::equals))
                    .as("one copy for both containers").hasSize(1);
            assertThat(status.path("mounts").findValuesAsText("local_path")).contains(conf.toString());
        } finally {
            docker.ok("rm", "-f", id, second);
        }
    }

    @Test
    void aLinkCutWhileBothSidesChangeLosesNothing() throws Exception {
        Path dir = folder("cut");
        Files.writeString(dir.resolve("both.txt"), "base\n");
        Files.writeString(dir.resolve("mine.txt"), "base\n");
        Files.writeString(dir.resolve("theirs.txt"), "base\n");
        String id = docker.ok("run", "-d", "-v", dir + ":/app", IMAGE, "sleep", "600").strip();
        try {
            bed.host(1).link(false);
            // the container goes on on the server: write there directly, as it would
            Cmd.Result there = Cmd.exec(Duration.ofSeconds(30), Map.of("DOCKER_HOST", "unix://" + bed.host(1).dockerSocket()), null,
                    "docker", "exec", id, "sh", "-c", "echo container > /app/both.txt; echo container > /app/theirs.txt; echo made > /app/made-there.txt");
            assertThat(there.exitCode()).as(there.describe()).isZero();
            Files.writeString(dir.resolve("both.txt"), "laptop\n");
            Files.writeString(dir.resolve("mine.txt"), "laptop\n");
            Files.writeString(dir.resolve("made-here.txt"), "made\n");
            Thread.sleep(30_000);
            bed.host(1).link(true);

            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(250)).ignoreExceptions().until(() ->
                    read(dir.resolve("theirs.txt")).equals("container\n") && Files.exists(dir.resolve("made-there.txt"))
                            && docker.run(Duration.ofSeconds(20), "exec", id, "cat", "/app/mine.txt", "/app/made-here.txt", "/app/both.txt").stdout()
                            .equals("laptop\nmade\nlaptop\n"));
            assertThat(read(dir.resolve("both.txt"))).as("this machine's side wins").isEqualTo("laptop\n");
            Path conflicts = home.resolve("conflicts");
            try (Stream<Path> kept = Files.walk(conflicts)) {
                assertThat(kept.filter(p -> p.endsWith(dir.getFileName().resolve("both.txt"))).map(BindMountTest::read).toList())
                        .as("the container's side is kept under $DOCKBRIDGE_HOME/conflicts").containsExactly("container\n");
            }
        } finally {
            bed.host(1).link(true);
            docker.ok("rm", "-f", id);
        }
    }

    @Test
    void aLargeTreeIsThereBeforeTheFirstInstructionAndAgreesAfterARewrite() throws Exception {
        Path dir = folder("large");
        Random random = new Random(12);
        byte[] block = new byte[40 * 1024];
        for (int i = 0; i < 10_000; i++) {
            Path f = dir.resolve("d" + (i % 100)).resolve("f" + i + ".bin");
            Files.createDirectories(f.getParent());
            random.nextBytes(block);
            Files.write(f, i % 2 == 0 ? block : Arrays.copyOf(block, 1024 + random.nextInt(block.length - 1024)));
        }
        assertThat(docker.ok("run", "--rm", "-v", dir + ":/app", IMAGE, "sh", "-c", "find /app -type f | wc -l").strip()).isEqualTo("10000");
        // the container rewrites half of them
        docker.ok("run", "--rm", "-v", dir + ":/app", IMAGE, "sh", "-c",
                "for d in /app/d*; do for f in $d/f*[02468].bin; do [ -f \"$f\" ] && echo rewritten >> \"$f\"; done; done; true");
        Map<String, String> here = new TreeMap<>();
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofSeconds(1)).ignoreExceptions().until(() -> countRewritten(dir) == 5_000);
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofSeconds(1)).ignoreExceptions().until(() -> {
            here.clear();
            here.putAll(sha256(dir));
            return here.size() == 10_000 && here.values().stream().noneMatch(h -> h.startsWith("!"));
        });
        Map<String, String> there = new TreeMap<>();
        String sums = docker.ok("run", "--rm", "-v", dir + ":/app", IMAGE, "sh", "-c", "cd /app && find . -type f | xargs sha256sum");
        for (String line : sums.split("\n")) {
            String[] f = line.split("\\s+", 2);
            there.put(f[1].substring(2), f[0]);
        }
        assertThat(there).hasSize(10_000);
        assertThat(there.keySet().stream().filter(k -> !there.get(k).equals(here.get(k))).toList()).as("files that differ").isEmpty();
    }

    @Test
    void aNewServerAfterAnIdleDeletionGetsTheFolderBeforeTheContainerStarts(TestBed bed) throws Exception {
        Path w = Files.createTempDirectory("dbe2e-mounts-idle");
        Path h = w.resolve("home");
        Path dir = folder("idle");
        Files.writeString(dir.resolve("hello.txt"), "v1\n");
        Files.writeString(dir.resolve("keep.txt"), "mine\n");
        Path config = Files.writeString(w.resolve("config.yaml"), "provider: hetzner\nidle:\n  timeout: 20s\n  billing_aware: false\n"
                + "mounts:\n  roots: [" + bed.localFiles() + "]\n  ignore: [node_modules]\n");
        Files.createDirectories(dir.resolve("web/node_modules/left"));
        Files.writeString(dir.resolve("web/node_modules/left/pad.js"), "big\n");
        try (HetznerSimulator sim = new HetznerSimulator("sim-token-mounts", List.of(bed.host(3), bed.host(4)));
             DockBridgeProcess d = DockBridgeProcess.start(h, config, sim.clientEnv())) {
            DockerCli cli = new DockerCli(d.socket(), w.resolve("docker-config"));
            cli.ok("build", "-t", IMAGE, BusyboxImage.context(w.resolve("context")).toString());
            assertThat(cli.ok("run", "--rm", "-v", dir + ":/app", IMAGE, "cat", "/app/hello.txt")).isEqualTo("v1\n");
            assertThat(cli.ok("run", "--rm", "-v", dir + ":/app", IMAGE, "sh", "-c", "ls /app/web; test -e /app/web/node_modules && echo carried || true"))
                    .as("mounts.ignore").doesNotContain("carried");
            await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(500)).until(() -> sim.serverDeletes() == 1);
            Files.writeString(dir.resolve("hello.txt"), "v2\n"); // changed while there is no server
            cli.ok("build", "-t", IMAGE, BusyboxImage.context(w.resolve("context")).toString()); // a new server
            assertThat(cli.ok("run", "--rm", "-v", dir + ":/app", IMAGE, "cat", "/app/hello.txt", "/app/keep.txt"))
                    .as("the new server's copy is complete before the container runs").isEqualTo("v2\nmine\n");
            assertThat(Files.readString(dir.resolve("keep.txt"))).as("an empty new copy deletes nothing here").isEqualTo("mine\n");
            assertThat(dir.resolve("web/node_modules/left/pad.js")).exists();
        }
    }

    @Test
    void composeServesALocalPageThroughAForwardedPort() throws Exception {
        Path project = folder("compose");
        Files.createDirectories(project.resolve("src"));
        Files.writeString(project.resolve("src/index.html"), "served from this machine\n");
        Files.writeString(project.resolve("docker-compose.yml"), """
                version: "3"
                services:
                  web:
                    image: %s
                    command: ["httpd", "-f", "-p", "80", "-h", "/app"]
                    ports: ["18123:80"]
                    volumes:
                      - ./src:/app
                """.formatted(IMAGE));
        Map<String, String> env = new HashMap<>(docker.env());
        Cmd.Result up = Cmd.exec(Duration.ofSeconds(120), env, null, "docker-compose", "-f", project.resolve("docker-compose.yml").toString(),
                "-p", "mounts", "up", "-d");
        assertThat(up.exitCode()).as(up.describe()).isZero();
        try {
            await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(200)).ignoreExceptions()
                    .until(() -> get(18123).equals("served from this machine\n"));
            Files.writeString(project.resolve("src/index.html"), "edited here\n");
            await().atMost(SEEN).pollInterval(Duration.ofMillis(100)).ignoreExceptions().until(() -> get(18123).equals("edited here\n"));
        } finally {
            Cmd.exec(Duration.ofSeconds(120), env, null, "docker-compose", "-f", project.resolve("docker-compose.yml").toString(), "-p", "mounts",
                    "down");
        }
    }

    private static int countRewritten(Path dir) throws IOException {
        int n = 0;
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path f : files.filter(BindMountTest::userFile).toList()) {
                try (FileChannel ch = FileChannel.open(f)) {
                    ByteBuffer tail = ByteBuffer.allocate(10);
                    if (ch.size() >= 10 && ch.read(tail, ch.size() - 10) == 10
                            && new String(tail.array(), StandardCharsets.ISO_8859_1).equals("rewritten\n")) {
                        n++;
                    }
                }
            }
        }
        return n;
    }

    private static Map<String, String> sha256(Path dir) throws Exception {
        Map<String, String> out = new TreeMap<>();
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path f : files.filter(BindMountTest::userFile).toList()) {
                MessageDigest md = MessageDigest.getInstance("SHA-256");
                try (InputStream in = Files.newInputStream(f)) {
                    out.put(dir.relativize(f).toString(), HexFormat.of().formatHex(md.digest(in.readAllBytes())));
                } catch (IOException e) {
                    out.put(dir.relativize(f).toString(), "!" + e);
                }
            }
        }
        return out;
    }

    /** A file of the folder's, not one DockBridge is writing into place. */
    private static boolean userFile(Path p) {
        return Files.isRegularFile(p) && !p.getFileName().toString().startsWith(".~dockbridge.");
    }

    private static String get(int port) throws IOException {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 2000);
            s.setSoTimeout(5_000);
            s.getOutputStream().write("GET /index.html HTTP/1.0\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            String reply = new String(s.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            return reply.substring(reply.indexOf("\r\n\r\n") + 4);
        }
    }

    private static String read(Path p) {
        try {
            return Files.readString(p);
        } catch (IOException e) {
            return "";
        }
    }
}

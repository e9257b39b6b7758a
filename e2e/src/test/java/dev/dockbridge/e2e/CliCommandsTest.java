package dev.dockbridge.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.dockbridge.e2e.testbed.BusyboxImage;
import dev.dockbridge.e2e.testbed.Cmd;
import dev.dockbridge.e2e.testbed.TestBed;
import java.util.regex.Pattern;

/** Issue 6's commands end to end: doctor, logs, completion, the status schema, ten profiles at once. */
@ExtendWith(TestBedExtension.class)
@Timeout(value = 4, unit = TimeUnit.MINUTES)
class CliCommandsTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private static Cmd.Result dockbridge(Path home, String... args) {
        return DockBridgeProcess.run(home, Duration.ofSeconds(90), args);
    }

    /** The line of one check in doctor's table. */
    private static String check(Cmd.Result doctor, String name) {
        return doctor.stdout().lines().filter(l -> l.matches("^\\S+\\s+" + Pattern.quote(name) + "\\s{2,}.*")).findFirst()
                .orElseThrow(() -> new AssertionError("no check '" + name + "' in:\n" + doctor.describe()));
    }

    @Test
    void doctorChecksEverythingAndSaysHowToFixWhatFails(TestBed bed) throws Exception {
        Path work = Files.createTempDirectory("dbe2e-doctor");
        Path home = work.resolve("home");
        Path config = Files.writeString(work.resolve("config.yaml"), bed.sshConfig(1, ""));

        Cmd.Result noDaemon = dockbridge(home, "doctor", "--config", config.toString());
        assertThat(noDaemon.exitCode()).as(noDaemon.describe()).isEqualTo(1);
        assertThat(check(noDaemon, "config")).startsWith("ok").contains("is valid");
        assertThat(check(noDaemon, "token")).startsWith("skip");
        assertThat(check(noDaemon, "ssh keys")).startsWith("ok").contains(bed.clientKey().toString());
        assertThat(check(noDaemon, "docker CLI")).startsWith("ok").contains("Docker version");
        assertThat(check(noDaemon, "daemon")).startsWith("FAIL");
        assertThat(noDaemon.stdout()).contains("→ dockbridge start --detach");
        // without a daemon it still reaches the host over SSH, with the host key verified
        assertThat(check(noDaemon, "server")).startsWith("ok").contains("host key verified");
        assertThat(check(noDaemon, "remote docker")).startsWith("ok");

        try (DockBridgeProcess daemon = DockBridgeProcess.start(home, config)) {
            Cmd.Result healthy = dockbridge(home, "doctor", "--config", config.toString());
            assertThat(healthy.exitCode()).as(healthy.describe()).isZero();
            assertThat(check(healthy, "docker context")).startsWith("ok").contains("dockbridge → unix://" + daemon.socket());
            assertThat(check(healthy, "daemon")).startsWith("ok").contains("pid " + daemon.process().pid());
            assertThat(check(healthy, "remote docker")).startsWith("ok").contains("Docker 20.10").contains("API 1.41");
            assertThat(healthy.stdout()).doesNotContain("FAIL");

            JsonNode checks = JSON.readTree(dockbridge(home, "doctor", "--json", "--config", config.toString()).stdout());
            assertThat(checks.size()).isEqualTo(8);
            checks.forEach(c -> assertThat(c.path("outcome").asText()).isIn("ok", "skip"));
        }

        Path looseKey = work.resolve("loose_key");
        Files.copy(bed.clientKey(), looseKey);
        Files.setPosixFilePermissions(looseKey, PosixFilePermissions.fromString("rw-r--r--"));
        Path looseConfig = Files.writeString(work.resolve("loose.yaml"),
                bed.sshConfig(1, "").replace(bed.clientKey().toString(), looseKey.toString()));
        Cmd.Result loose = dockbridge(home, "doctor", "--config", looseConfig.toString());
        assertThat(loose.exitCode()).isEqualTo(1);
        assertThat(check(loose, "ssh keys")).startsWith("FAIL").contains("can be read by other users");
        assertThat(loose.stdout()).contains("→ chmod 600 " + looseKey);

        Path badConfig = Files.writeString(work.resolve("bad.yaml"), "idle:\n  timeout: soon\n");
        Cmd.Result bad = dockbridge(home, "doctor", "--config", badConfig.toString());
        assertThat(bad.exitCode()).isEqualTo(1);
        assertThat(check(bad, "config")).startsWith("FAIL").contains("idle.timeout").contains("line 2");
    }

    @Test
    void logsPrintsTheDaemonLogAndFollowsIt(TestBed bed) throws Exception {
        Path work = Files.createTempDirectory("dbe2e-logs");
        Path home = work.resolve("home");
        Path config = Files.writeString(work.resolve("config.yaml"), bed.sshConfig(1, ""));
        Cmd.Result none = dockbridge(home, "logs");
        assertThat(none.exitCode()).isEqualTo(1);
        assertThat(none.stderr()).contains("no log yet for profile default");

        DockBridgeProcess daemon = DockBridgeProcess.start(home, config);
        Process follow = null;
        try {
            Cmd.Result all = dockbridge(home, "logs");
            assertThat(all.exitCode()).as(all.describe()).isZero();
            assertThat(all.stdout()).contains("docker socket listening").contains("[profile=default]");
            Cmd.Result last = dockbridge(home, "logs", "--tail", "1");
            assertThat(last.stdout().lines().count()).isEqualTo(1);

            Path followed = work.resolve("followed.txt");
            ProcessBuilder pb = new ProcessBuilder(DockBridgeProcess.launcher().toString(), "logs", "-f")
                    .redirectErrorStream(true).redirectOutput(followed.toFile());
            pb.environment().put("DOCKBRIDGE_HOME", home.toString());
            follow = pb.start();
            await().atMost(Duration.ofSeconds(20)).until(() -> Files.readString(followed).contains("docker socket listening"));
            assertThat(Files.readString(followed)).doesNotContain("stopping");
            assertThat(dockbridge(home, "stop").exitCode()).isZero();
            // a line the daemon writes after logs -f started reaches it
            await().atMost(Duration.ofSeconds(20)).until(() -> Files.readString(followed).contains("stopped"));
            assertThat(follow.isAlive()).as("-f keeps following after the daemon stopped, like tail -f").isTrue();
        } finally {
            if (follow != null) {
                follow.destroyForcibly();
            }
            daemon.close();
        }
    }

    @Test
    void completionWorksInBashAndZsh() throws IOException {
        String launcher = DockBridgeProcess.launcher().toString();
        Cmd.Result bash = Cmd.exec(Duration.ofSeconds(60), Map.of(), null, "bash", "-c",
                "source <(" + launcher + " completion bash) && COMP_WORDS=(dockbridge d) && COMP_CWORD=1 && _complete_dockbridge 2>/dev/null;"
                        + " echo \"${COMPREPLY[*]}\"; COMP_WORDS=(dockbridge stop --) && COMP_CWORD=2 && _complete_dockbridge 2>/dev/null;"
                        + " echo \"${COMPREPLY[*]}\"");
        assertThat(bash.exitCode()).as(bash.describe()).isZero();
        List<String> lines = bash.stdout().lines().toList();
        assertThat(lines.get(0).split(" ")).containsExactlyInAnyOrder("doctor");
        assertThat(lines.get(1).split(" ")).contains("--destroy", "--profile", "--config", "--help");

        Cmd.Result zsh = Cmd.exec(Duration.ofSeconds(60), Map.of(), null, "zsh", "-fc",
                "autoload -U +X compinit && compinit -u && source <(" + launcher + " completion zsh) && print -r -- ${_comps[dockbridge]}");
        assertThat(zsh.exitCode()).as(zsh.describe()).isZero();
        assertThat(zsh.stdout()).as("zsh registers a completer for dockbridge").contains("_bash_complete").contains("_complete_dockbridge");

        Cmd.Result fish = Cmd.exec(Duration.ofSeconds(60), Map.of(), null, "fish", "--no-config", "-c",
                launcher + " completion fish | source; complete -C 'dockbridge d'; complete -C 'dockbridge stop --d'");
        assertThat(fish.exitCode()).as(fish.describe()).isZero();
        assertThat(fish.stdout()).as("subcommands, then a subcommand's options").contains("doctor\t").contains("--destroy\t");

        Cmd.Result other = Cmd.exec(Duration.ofSeconds(60), Map.of(), null, launcher, "completion", "tcsh");
        assertThat(other.exitCode()).isEqualTo(2);
        assertThat(other.stderr()).contains("tcsh").contains("bash, zsh, fish");
    }

    @Test
    void envWorksInEveryShellWithAHomeThatHasSpacesAndQuotes() throws IOException {
        String launcher = DockBridgeProcess.launcher().toString();
        Path home = Files.createTempDirectory("dbe2e env").resolve("it's a home");
        String expected = "unix://" + home.resolve("default/docker.sock");
        Map<String, String> env = Map.of("DOCKBRIDGE_HOME", home.toString());
        for (String shell : List.of("bash", "zsh", "dash")) {
            Cmd.Result r = Cmd.exec(Duration.ofSeconds(60), env, null, shell, "-c", "eval \"$(" + launcher + " env --shell sh)\"; printf '[%s]' \"$DOCKER_HOST\"");
            assertThat(r.stdout()).as(shell + ": " + r.describe()).isEqualTo("[" + expected + "]");
        }
        Cmd.Result fish = Cmd.exec(Duration.ofSeconds(60), Map.of("DOCKBRIDGE_HOME", home.toString(), "SHELL", "/usr/bin/fish"), null,
                "fish", "--no-config", "-c", launcher + " env | source; printf '[%s]' $DOCKER_HOST");
        assertThat(fish.stdout()).as("fish, chosen from $SHELL: " + fish.describe()).isEqualTo("[" + expected + "]");
    }

    @Test
    void statusJsonFollowsTheDocumentedSchema(TestBed bed) throws Exception {
        Path work = Files.createTempDirectory("dbe2e-schema");
        Path home = work.resolve("home");
        Path config = Files.writeString(work.resolve("config.yaml"), bed.sshConfig(1, ""));
        try (DockBridgeProcess daemon = DockBridgeProcess.start(home, config)) {
            DockerCli docker = new DockerCli(daemon.socket(), work.resolve("docker-config"));
            docker.ok("build", "-t", "dockbridge-busybox:schema", BusyboxImage.context(work.resolve("context")).toString());
            String id = docker.ok("run", "-d", "-p", "18190:80", "-p", "5390:53/udp", "dockbridge-busybox:schema", "httpd", "-f", "-p", "80").strip();
            try {
                JsonNode status = await().atMost(Duration.ofSeconds(20)).until(() -> status(home), s -> s.path("forwards").size() == 2);
                StatusSchema.valid(status);
                assertThat(status.path("server").path("state").asText()).isEqualTo("ready");
                assertThat(status.path("pid").asLong()).isEqualTo(daemon.process().pid());

                // the schema is strict: a field out of the contract, a wrong type or a missing field is caught
                ObjectNode extra = status.deepCopy();
                extra.put("surprise", 1);
                assertThat(StatusSchema.errors(extra)).isNotEmpty();
                ObjectNode wrongState = status.deepCopy();
                ((ObjectNode) wrongState.path("server")).put("state", "sleeping");
                assertThat(StatusSchema.errors(wrongState)).isNotEmpty();
                ObjectNode missing = status.deepCopy();
                missing.remove("forwards");
                assertThat(StatusSchema.errors(missing)).isNotEmpty();
            } finally {
                docker.run(Duration.ofSeconds(60), "rm", "-f", id);
            }
        }
    }

    private static JsonNode status(Path home) throws IOException {
        Cmd.Result r = dockbridge(home, "status", "--json");
        assertThat(r.exitCode()).as(r.describe()).isZero();
        return JSON.readTree(r.stdout());
    }

    @Test
    void tenProfilesRunAtOnceEachWithItsOwnSocketStateAndContext(TestBed bed) throws Exception {
        Path work = Files.createTempDirectory("dbe2e-profiles");
        Path home = work.resolve("home");
        // no request-path warm-up: ten of them at once are some 100 s of CPU, which starved the other fork's daemons
        StringBuilder yaml = new StringBuilder(bed.sshConfig(1, "local:\n  warmup: false\n")).append("profiles:\n");
        List<String> profiles = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            profiles.add("p" + i);
            // one override per profile, so each really reads its own section
            yaml.append("  p").append(i).append(":\n    idle:\n      timeout: ").append(i + 1).append("m\n");
        }
        Path config = Files.writeString(work.resolve("config.yaml"), yaml.toString());
        List<Long> pids = new ArrayList<>();
        ExecutorService pool = Executors.newFixedThreadPool(10);
        try {
            List<Future<Cmd.Result>> starts = new ArrayList<>();
            for (String p : profiles) {
                starts.add(pool.submit(() -> dockbridge(home, "start", "--detach", "--profile", p, "--config", config.toString())));
            }
            for (Future<Cmd.Result> f : starts) {
                Cmd.Result r = f.get(3, TimeUnit.MINUTES);
                assertThat(r.exitCode()).as(r.describe()).isZero();
            }
            Set<String> sockets = new HashSet<>();
            for (String p : profiles) {
                pids.add(Long.parseLong(Files.readString(home.resolve(p).resolve("daemon.pid")).strip()));
                Path socket = home.resolve(p).resolve("docker.sock");
                Cmd.Result ps = Cmd.exec(Duration.ofSeconds(60), Map.of("DOCKER_CONFIG", home.resolve("docker-config").toString()), null,
                        "docker", "--context", "dockbridge-" + p, "ps");
                assertThat(ps.exitCode()).as(ps.describe()).isZero();
                assertThat(ps.stdout()).startsWith("CONTAINER ID");
                JsonNode status = StatusSchema.valid(JSON.readTree(dockbridge(home, "status", "--json", "--profile", p).stdout()));
                assertThat(status.path("profile").asText()).isEqualTo(p);
                assertThat(status.path("docker_host").asText()).isEqualTo("unix://" + socket);
                assertThat(sockets.add(status.path("docker_host").asText())).isTrue();
                assertThat(Files.list(home.resolve(p)).map(f -> f.getFileName().toString()).toList())
                        .contains("docker.sock", "control.sock", "daemon.pid", "daemon.log");
                assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(home.resolve(p)))).isEqualTo("rwx------");
            }
            assertThat(new HashSet<>(pids)).hasSize(10);
            for (Long pid : pids) {
                assertThat(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)).isTrue();
            }
        } finally {
            List<Future<Cmd.Result>> stops = new ArrayList<>();
            for (String p : profiles) {
                stops.add(pool.submit(() -> dockbridge(home, "stop", "--profile", p)));
            }
            for (Future<Cmd.Result> f : stops) {
                f.get(2, TimeUnit.MINUTES);
            }
            pool.shutdownNow();
            for (Long pid : pids) {
                ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
            }
        }
        for (Long pid : pids) {
            assertThat(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)).as("pid " + pid + " after stop").isFalse();
        }
    }
}

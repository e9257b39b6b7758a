package dev.dockbridge.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import dev.dockbridge.e2e.testbed.Cmd;

/**
 * Every kind of bad input gets one line on stderr that names the key or file, exit code 2, and no stack
 * trace. Runs the packaged launcher as a user would.
 */
class BadInputTest {

    /** config text (null: none), extra environment, arguments after the command, what the one line must contain. */
    static Stream<Arguments> cases() {
        String ssh = "provider: ssh\nssh:\n  host: 192.0.2.1\n";
        return Stream.of(
                Arguments.of("invalid YAML", "provider: [ssh\n", Map.of(), List.of("start"), List.of("invalid YAML", "line 1, column")),
                Arguments.of("unknown key", "idle:\n  timout: 5m\n", Map.of(), List.of("start"), List.of("unknown key 'idle.timout'", "line 2", "valid keys here: billing_aware, timeout")),
                Arguments.of("unknown top-level key", "provder: ssh\n", Map.of(), List.of("env"), List.of("unknown key 'provder'")),
                Arguments.of("bad duration", "idle:\n  timeout: 5 minutes\n", Map.of(), List.of("start"), List.of("idle.timeout", "like 30s, 15m or 1h", "line 2")),
                Arguments.of("bad keepalive duration", ssh + "  keepalive_interval: -5s\n", Map.of(), List.of("start"), List.of("ssh.keepalive_interval")),
                Arguments.of("port out of range", ssh + "  port: 70000\n", Map.of(), List.of("start"), List.of("ssh.port", "between 1 and 65535", "70000")),
                Arguments.of("port not a number", ssh + "  port: http\n", Map.of(), List.of("start"), List.of("ssh.port")),
                Arguments.of("forward bind not loopback", "forward:\n  bind: [\"0.0.0.0\"]\n", Map.of(), List.of("start"), List.of("forward.bind", "loopback")),
                Arguments.of("missing token", "provider: hetzner\n", Map.of(), List.of("start"), List.of("HCLOUD_TOKEN is not set")),
                Arguments.of("endpoint not a URL", "provider: hetzner\n", Map.of("HCLOUD_TOKEN", "x", "HCLOUD_ENDPOINT", "api.example"), List.of("start"),
                        List.of("HCLOUD_ENDPOINT", "'api.example' is not an http(s) URL")),
                Arguments.of("endpoint in clear text", "provider: hetzner\n", Map.of("HCLOUD_TOKEN", "x", "HCLOUD_ENDPOINT", "http://198.51.100.7/v1"),
                        List.of("start"), List.of("HCLOUD_ENDPOINT", "would send the API token in clear text: use https")),
                Arguments.of("missing key file", ssh + "  identity_file: /nonexistent/id_ed25519\n", Map.of(), List.of("start"),
                        List.of("ssh.identity_file", "/nonexistent/id_ed25519 does not exist")),
                Arguments.of("key file not a key", ssh + "  identity_file: /etc/hostname\n", Map.of(), List.of("start"),
                        List.of("ssh.identity_file", "/etc/hostname")),
                Arguments.of("key file is a directory", ssh + "  identity_file: /etc\n", Map.of(), List.of("start"), List.of("ssh.identity_file", "/etc")),
                Arguments.of("config file missing", null, Map.of(), List.of("start", "--config", "/nonexistent/dockbridge.yaml"),
                        List.of("/nonexistent/dockbridge.yaml")),
                Arguments.of("bad profile name", "", Map.of(), List.of("status", "--profile", "Not/Valid"), List.of("profile name 'Not/Valid' is invalid")),
                Arguments.of("bad hold duration", "", Map.of(), List.of("hold", "5x"), List.of("like 30s, 15m or 1h", "5x")),
                Arguments.of("unknown option", "", Map.of(), List.of("start", "--bogus"), List.of("Unknown option: '--bogus'")));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void oneLineThatNamesTheProblemAndExitCode2(String name, String config, Map<String, String> env, List<String> args, List<String> expected)
            throws IOException {
        Path home = Files.createTempDirectory("dbe2e-bad");
        List<String> command = new ArrayList<>(args);
        if (config != null) {
            command.addAll(List.of("--config", Files.writeString(home.resolve("config.yaml"), config).toString()));
        }
        Map<String, String> environment = new HashMap<>(env);
        environment.putIfAbsent("HCLOUD_TOKEN", "");
        Cmd.Result r = DockBridgeProcess.run(home, environment, Duration.ofSeconds(30), command.toArray(String[]::new));
        assertThat(r.exitCode()).as(r.describe()).isEqualTo(2);
        List<String> lines = r.stderr().lines().filter(l -> !l.startsWith("Run '") && !l.startsWith("Did you mean")).toList();
        assertThat(lines).as(r.describe()).hasSize(1);
        assertThat(lines.get(0)).startsWith("dockbridge: ");
        for (String part : expected) {
            assertThat(lines.get(0)).contains(part);
        }
        assertThat(r.stderr()).doesNotContain("Exception").doesNotContain("\tat ");
        assertThat(r.stdout()).isEmpty();
        // a refused start leaves nothing that would block the next one
        assertThat(home.resolve("default/daemon.pid")).doesNotExist();
    }
}

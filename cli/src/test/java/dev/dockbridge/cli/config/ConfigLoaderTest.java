package dev.dockbridge.cli.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigLoaderTest {
    @TempDir
    Path dir;

    private final ConfigLoader loader = new ConfigLoader();

    private DockBridgeConfig load(String yaml, String profile) throws Exception {
        Path file = Files.writeString(dir.resolve("config.yaml"), yaml);
        return loader.load(file, true, profile);
    }

    private String error(String yaml) throws IOException {
        Path file = Files.writeString(dir.resolve("config.yaml"), yaml);
        try {
            loader.load(file, true, "default");
        } catch (ConfigException e) {
            return e.getMessage();
        }
        throw new AssertionError("expected a config error for:\n" + yaml);
    }

    @Test
    void missingDefaultFileMeansDefaults() throws Exception {
        DockBridgeConfig c = loader.load(dir.resolve("absent.yaml"), false, "default");
        assertThat(c.provider()).isEqualTo(DockBridgeConfig.Provider.HETZNER);
        assertThat(c.ssh().port()).isEqualTo(22);
        assertThat(c.idle().timeout()).as("billing-aware: idle this long at a paid hour's end").isEqualTo(Duration.ofMinutes(5));
        assertThat(load("idle:\n  billing_aware: false\n", "default").idle().timeout()).isEqualTo(Duration.ofMinutes(15));
        assertThat(c.forward().bind()).containsExactly("127.0.0.1", "::1");
        assertThat(c.remote().dockerSocket()).isEqualTo("/var/run/docker.sock");
    }

    @Test
    void locationsAndServerTypesAreListsInOrderAndTheSingularKeysAListOfOne() throws Exception {
        DockBridgeConfig defaults = loader.load(dir.resolve("absent.yaml"), false, "default");
        assertThat(defaults.hetzner().locations()).containsExactly("nbg1", "fsn1", "hel1");
        assertThat(defaults.hetzner().serverTypes()).containsExactly("cx23");
        assertThat(load("hetzner:\n  location: hel1\n  server_type: cax11\n", "default").hetzner().locations()).containsExactly("hel1");
        DockBridgeConfig lists = load("hetzner:\n  locations: [fsn1, hel1]\n  server_types: [cx23, cx33]\n", "default");
        assertThat(lists.hetzner().locations()).containsExactly("fsn1", "hel1");
        assertThat(lists.hetzner().serverTypes()).containsExactly("cx23", "cx33");
        assertThat(error("hetzner:\n  location: fsn1\n  locations: [hel1]\n")).contains("either hetzner.location or hetzner.locations");
        assertThat(error("hetzner:\n  locations: []\n")).contains("hetzner.locations: must name at least one");
        assertThat(error("hetzner:\n  locations: [nbg1, nbg1]\n")).contains("names one twice");
        assertThat(error("hetzner:\n  server_types: [\"CX 23\"]\n")).contains("hetzner.server_types").contains("not a Hetzner name");
    }

    @Test
    void missingExplicitFileIsAnError() {
        assertThatThrownBy(() -> loader.load(dir.resolve("absent.yaml"), true, "default"))
                .hasMessageContaining("absent.yaml does not exist");
    }

    @Test
    void readsTheDocumentedKeys() throws Exception {
        DockBridgeConfig c = load("""
                provider: ssh
                ssh:
                  host: 203.0.113.10
                  port: 2222
                  keepalive_interval: 30s
                  host_key_policy: accept-new
                remote:
                  docker_socket: /run/user/1000/docker.sock
                idle:
                  timeout: 1h
                  billing_aware: false
                """, "default");
        assertThat(c.provider()).isEqualTo(DockBridgeConfig.Provider.SSH);
        assertThat(c.ssh().host()).isEqualTo("203.0.113.10");
        assertThat(c.ssh().port()).isEqualTo(2222);
        assertThat(c.ssh().keepaliveInterval()).isEqualTo(Duration.ofSeconds(30));
        assertThat(c.ssh().hostKeyPolicy()).isEqualTo(DockBridgeConfig.HostKeyPolicy.ACCEPT_NEW);
        assertThat(c.remote().dockerSocket()).isEqualTo("/run/user/1000/docker.sock");
        assertThat(c.idle().billingAware()).isFalse();
    }

    @Test
    void profileSectionOverridesTopLevelKeys() throws Exception {
        String yaml = """
                provider: ssh
                ssh:
                  host: a.example
                  port: 22
                profiles:
                  work:
                    ssh:
                      host: b.example
                """;
        assertThat(load(yaml, "default").ssh().host()).isEqualTo("a.example");
        DockBridgeConfig work = load(yaml, "work");
        assertThat(work.ssh().host()).isEqualTo("b.example");
        assertThat(work.ssh().port()).isEqualTo(22);
    }

    @Test
    void unknownKeyIsNamedWithLineAndTheValidKeys() throws IOException {
        assertThat(error("provider: ssh\nssh:\n  host: x\n  hots: y\n"))
                .contains("unknown key 'ssh.hots'").contains("line 4").contains("host").contains("identity_file");
        assertThat(error("idle:\n  timout: 5m\n")).contains("unknown key 'idle.timout'");
        assertThat(error("profiles:\n  work:\n    sssh: {}\n")).contains("unknown key 'profiles.work.sssh'");
    }

    @Test
    void badValuesNameTheKey() throws IOException {
        assertThat(error("ssh:\n  port: abc\n")).contains("ssh.port").contains("'abc' is not a valid whole number");
        assertThat(error("ssh:\n  port: 70000\n")).contains("ssh.port: must be between 1 and 65535");
        assertThat(error("ssh:\n  keepalive_interval: 15\n")).contains("ssh.keepalive_interval").contains("like 30s, 15m or 1h");
        assertThat(error("idle:\n  timeout: 0s\n")).contains("idle.timeout: must be longer than 0");
        assertThat(error("provider: aws\n")).contains("provider").contains("'aws' is not one of: hetzner, ssh");
        assertThat(error("provider: ssh\n")).contains("ssh.host: is required when provider is ssh");
        assertThat(error("forward:\n  bind: [0.0.0.0]\n")).contains("forward.bind").contains("not a loopback address");
        assertThat(error("hetzner:\n  endpoint: not a url\n")).contains("hetzner.endpoint");
        assertThat(error("hetzner:\n  volume_size_gb: 5\n")).contains("hetzner.volume_size_gb");
        assertThat(error("idle:\n  billing_aware: maybe\n")).contains("idle.billing_aware");
    }

    @Test
    void anEndpointThatWouldSendTheTokenInClearTextIsRefused() throws IOException {
        assertThat(error("hetzner:\n  endpoint: http://api.hetzner.cloud/v1\n")).contains("hetzner.endpoint")
                .contains("would send the API token in clear text: use https");
        assertThat(error("hetzner:\n  endpoint: http://198.51.100.7:8080/v1\n")).contains("clear text");
        assertThat(ConfigLoader.sendsTokenInClear("https://api.hetzner.cloud/v1")).isFalse();
        assertThat(ConfigLoader.sendsTokenInClear("http://127.0.0.1:4010/v1")).as("loopback: never leaves the machine").isFalse();
        assertThat(ConfigLoader.sendsTokenInClear("http://localhost:4010/v1")).isFalse();
        assertThat(ConfigLoader.sendsTokenInClear("http://[::1]:4010/v1")).isFalse();
        assertThat(ConfigLoader.sendsTokenInClear("http://127.0.0.1.example.com/v1")).as("a name that only starts like loopback").isTrue();
        assertThat(ConfigLoader.sendsTokenInClear("http://localhost.example.com/v1")).isTrue();
    }

    @Test
    void invalidYamlGivesLineAndColumn() throws IOException {
        assertThat(error("ssh:\n  host: [unclosed\n")).contains("invalid YAML").contains("line");
        assertThat(error("- just\n- a list\n")).contains("expected a map");
    }
}

package dev.dockbridge.hetzner;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import mockwebserver3.RecordedRequest;
import mockwebserver3.SocketEffect;

/** The client against a real HTTP server speaking the documented shapes; asserts what went over the wire. */
class HetznerClientTest {
    private static final String TOKEN = "secret-token-value";

    private final MockWebServer server = new MockWebServer();
    private final List<Duration> sleeps = new ArrayList<>();
    private final Clock clock = Clock.fixed(Instant.parse("2026-11-21T10:00:00Z"), ZoneOffset.UTC);
    private HetznerClient client;

    @BeforeEach
    void start() throws Exception {
        server.start(0);
        RetryPolicy fast = new RetryPolicy(4, Duration.ofMillis(100), Duration.ofSeconds(2), Duration.ofSeconds(60));
        client = new HetznerClient(server.url("/v1").toString(), TOKEN, fast, sleeps::add, clock);
    }

    @AfterEach
    void stop() {
        server.close();
    }

    private static MockResponse json(int code, String body) {
        return new MockResponse.Builder().code(code).setHeader("Content-Type", "application/json").body(body).build();
    }

    private static MockResponse error(int code, String errorCode, String message) {
        return json(code, "{\"error\":{\"code\":\"" + errorCode + "\",\"message\":\"" + message + "\",\"details\":null}}");
    }

    private static final String META = "\"meta\":{\"pagination\":{\"page\":1,\"per_page\":50,\"previous_page\":null,\"next_page\":null,\"last_page\":1,\"total_entries\":1}}";

    private static String server(long id, String status) {
        return "{\"id\":" + id + ",\"name\":\"dockbridge-default-abc\",\"status\":\"" + status + "\",\"created\":\"2026-11-21T09:00:00+00:00\","
                + "\"public_net\":{\"ipv4\":{\"id\":1,\"ip\":\"203.0.113.10\",\"blocked\":false,\"dns_ptr\":\"x\"},\"ipv6\":null,"
                + "\"floating_ips\":[],\"firewalls\":[]},\"server_type\":{\"id\":114,\"name\":\"cx23\",\"architecture\":\"x86\"},"
                + "\"location\":{\"id\":1,\"name\":\"fsn1\",\"network_zone\":\"eu-central\"},\"labels\":{\"managed-by\":\"dockbridge\"},"
                + "\"unknown_future_field\":{\"nested\":true}}";
    }

    private static String action(long id, String command, String status) {
        return "{\"id\":" + id + ",\"command\":\"" + command + "\",\"status\":\"" + status + "\",\"progress\":0,"
                + "\"started\":\"2026-11-21T10:00:00Z\",\"finished\":null,\"resources\":[],\"error\":null}";
    }

    @Test
    void listsServersByLabelSelectorWithTokenAndPagination() throws Exception {
        server.enqueue(json(200, "{\"servers\":[" + server(1, "running") + "],\"meta\":{\"pagination\":{\"page\":1,\"per_page\":50,"
                + "\"previous_page\":null,\"next_page\":2,\"last_page\":2,\"total_entries\":2}}}"));
        server.enqueue(json(200, "{\"servers\":[" + server(2, "off") + "]," + META.replace("\"page\":1", "\"page\":2") + "}"));

        List<Server> servers = client.listServers("managed-by=dockbridge,dockbridge/profile=default");

        assertThat(servers).extracting(Server::id).containsExactly(1L, 2L);
        assertThat(servers.get(0).ipv4()).isEqualTo("203.0.113.10");
        assertThat(servers.get(0).locationName()).isEqualTo("fsn1");
        assertThat(servers.get(0).typeName()).isEqualTo("cx23");
        RecordedRequest first = server.takeRequest();
        assertThat(first.getMethod()).isEqualTo("GET");
        assertThat(first.getUrl().encodedPath()).isEqualTo("/v1/servers");
        assertThat(first.getUrl().queryParameter("label_selector")).isEqualTo("managed-by=dockbridge,dockbridge/profile=default");
        assertThat(first.getHeaders().get("Authorization")).isEqualTo("Bearer " + TOKEN);
        assertThat(server.takeRequest().getUrl().queryParameter("page")).isEqualTo("2");
    }

    @Test
    void getServerMaps404ToEmpty() throws Exception {
        server.enqueue(error(404, "not_found", "server not found"));
        assertThat(client.getServer(7)).isEmpty();
        assertThat(server.takeRequest().getUrl().encodedPath()).isEqualTo("/v1/servers/7");
    }

    @Test
    void createServerSendsTheDocumentedBodyAndReturnsAllActions() throws Exception {
        server.enqueue(json(201, "{\"server\":" + server(42, "initializing") + ",\"action\":" + action(1, "create_server", "running")
                + ",\"next_actions\":[" + action(2, "start_server", "running") + "],\"root_password\":null}"));

        CreatedServer created = client.createServer(new CreateServerRequest("dockbridge-default-abc", "cx23", 40093140L, "fsn1",
                List.of(10L), List.of(77L), Map.of("managed-by", "dockbridge"), "#cloud-config\n"));

        assertThat(created.server().id()).isEqualTo(42);
        assertThat(created.actions()).extracting(Action::command).containsExactly("create_server", "start_server");
        RecordedRequest r = server.takeRequest();
        assertThat(r.getMethod()).isEqualTo("POST");
        assertThat(r.getHeaders().get("Content-Type")).startsWith("application/json");
        String body = r.getBody().utf8();
        assertThat(body).contains("\"server_type\":\"cx23\"").contains("\"image\":40093140").contains("\"location\":\"fsn1\"")
                .contains("\"ssh_keys\":[10]").contains("\"firewalls\":[{\"firewall\":77}]").contains("\"start_after_create\":true")
                .contains("\"labels\":{\"managed-by\":\"dockbridge\"}").doesNotContain("datacenter");
    }

    @Test
    void createIsNotRepeatedBlindlyAfterAServerError() throws Exception {
        server.enqueue(error(500, "server_error", "internal"));
        server.enqueue(json(200, "{\"servers\":[" + server(42, "initializing") + "]," + META + "}"));

        CreatedServer created = client.createServer(new CreateServerRequest("dockbridge-default-abc", "cx23", 1L, "fsn1",
                List.of(), List.of(), Map.of(), ""));

        assertThat(created.server().id()).isEqualTo(42);
        assertThat(server.takeRequest().getMethod()).isEqualTo("POST");
        RecordedRequest lookup = server.takeRequest();
        assertThat(lookup.getMethod()).isEqualTo("GET");
        assertThat(lookup.getUrl().queryParameter("name")).isEqualTo("dockbridge-default-abc");
        assertThat(server.takeRequest(100, TimeUnit.MILLISECONDS)).as("no second POST").isNull();
    }

    @Test
    void createRetriesConflictButNotResourceUnavailable() throws Exception {
        server.enqueue(error(409, "conflict", "resource changed"));
        server.enqueue(json(201, "{\"server\":" + server(42, "initializing") + ",\"action\":null,\"next_actions\":[]}"));
        assertThat(client.createServer(new CreateServerRequest("n", "cx23", 1L, "fsn1", List.of(), List.of(), Map.of(), "")).server().id())
                .isEqualTo(42);

        server.enqueue(error(412, "resource_unavailable", "server type cx23 sold out in fsn1"));
        assertThatThrownBy(() -> client.createServer(new CreateServerRequest("n", "cx23", 1L, "fsn1", List.of(), List.of(), Map.of(), "")))
                .isInstanceOfSatisfying(HetznerApiException.class, e -> {
                    assertThat(e.code()).isEqualTo("resource_unavailable");
                    assertThat(e.status()).isEqualTo(412);
                    assertThat(e.getMessage()).contains("server type cx23 sold out in fsn1").doesNotContain(TOKEN);
                    assertThat(e.apiError()).isEqualTo("resource_unavailable: server type cx23 sold out in fsn1");
                });
        assertThat(server.getRequestCount()).isEqualTo(3);
    }

    @Test
    void rateLimitWaitsUntilTheResetTime() throws Exception {
        long reset = clock.instant().getEpochSecond() + 5;
        server.enqueue(new MockResponse.Builder().code(429).setHeader("RateLimit-Limit", "3600").setHeader("RateLimit-Remaining", "0")
                .setHeader("RateLimit-Reset", String.valueOf(reset)).setHeader("Content-Type", "application/json")
                .body("{\"error\":{\"code\":\"rate_limit_exceeded\",\"message\":\"limit reached\",\"details\":null}}").build());
        server.enqueue(json(200, "{\"servers\":[]," + META + "}"));

        assertThat(client.listServers("a=b")).isEmpty();
        assertThat(sleeps).isNotEmpty();
        assertThat(sleeps.get(0)).isGreaterThanOrEqualTo(Duration.ofSeconds(5));
    }

    @Test
    void readsRideOut503AndDroppedConnections() throws Exception {
        server.enqueue(error(503, "unavailable", "try later"));
        server.enqueue(new MockResponse.Builder().onResponseStart(new SocketEffect.CloseSocket(true, false, false)).build());
        server.enqueue(new MockResponse.Builder().code(502).body("<html>bad gateway</html>").build());
        server.enqueue(json(200, "{\"servers\":[]," + META + "}"));

        assertThat(client.listServers("a=b")).isEmpty();
        assertThat(server.getRequestCount()).isEqualTo(4);
        assertThat(sleeps).hasSize(3);
    }

    @Test
    void malformedBodyIsRetriedThenReported() throws Exception {
        for (int i = 0; i < 4; i++) {
            server.enqueue(json(200, "{\"servers\": [ {\"id\": "));
        }
        assertThatThrownBy(() -> client.listServers("a=b")).isInstanceOfSatisfying(HetznerApiException.class,
                e -> assertThat(e.code()).isEqualTo("invalid_response"));
        assertThat(server.getRequestCount()).isEqualTo(4);
    }

    @Test
    void unauthorizedIsNotRetriedAndNamesNoToken() {
        server.enqueue(error(401, "unauthorized", "unable to authenticate"));
        assertThatThrownBy(() -> client.listServers("a=b")).isInstanceOfSatisfying(HetznerApiException.class, e -> {
            assertThat(e.unauthorized()).isTrue();
            assertThat(e.getMessage()).contains("unauthorized").doesNotContain(TOKEN);
        });
        assertThat(server.getRequestCount()).isEqualTo(1);
    }

    @Test
    void lockedDeleteIsRetriedAndGoneIsSuccess() throws Exception {
        server.enqueue(error(423, "locked", "server is locked"));
        server.enqueue(json(200, "{\"action\":" + action(9, "delete_server", "running") + "}"));
        assertThat(client.deleteServer(42)).map(Action::command).contains("delete_server");
        assertThat(server.takeRequest().getMethod()).isEqualTo("DELETE");

        server.enqueue(error(404, "not_found", "gone"));
        assertThat(client.deleteServer(42)).isEmpty();
    }

    @Test
    void waitsForActionsUntilSuccessAndReportsErrors() throws Exception {
        server.enqueue(json(200, "{\"actions\":[" + action(1, "create_server", "running") + "," + action(2, "start_server", "running") + "]," + META + "}"));
        server.enqueue(json(200, "{\"actions\":[" + action(1, "create_server", "success") + "," + action(2, "start_server", "success") + "]," + META + "}"));
        client.waitForActions(List.of(new Action(1, "create_server", "running", 0, null), new Action(2, "start_server", "running", 0, null)),
                Duration.ofMillis(500), Duration.ofMinutes(1));
        RecordedRequest poll = server.takeRequest();
        assertThat(poll.getUrl().queryParameterValues("id")).containsExactly("1", "2");

        server.enqueue(json(200, "{\"actions\":[{\"id\":3,\"command\":\"create_server\",\"status\":\"error\",\"progress\":100,"
                + "\"error\":{\"code\":\"action_failed\",\"message\":\"placement failed\"}}]," + META + "}"));
        assertThatThrownBy(() -> client.waitForActions(List.of(new Action(3, "create_server", "running", 0, null)),
                Duration.ofMillis(500), Duration.ofMinutes(1)))
                .isInstanceOf(ActionFailedException.class).hasMessageContaining("action_failed: placement failed");
    }

    @Test
    void sshKeysAreFoundByFingerprintAndUniquenessFallsBackToLookup() throws Exception {
        String key = "{\"id\":5,\"name\":\"k\",\"fingerprint\":\"aa:bb\",\"public_key\":\"ssh-ed25519 AAAA\",\"labels\":{}}";
        server.enqueue(error(409, "uniqueness_error", "SSH key with the same fingerprint already exists"));
        server.enqueue(json(200, "{\"ssh_keys\":[" + key + "]," + META + "}"));

        assertThat(client.createSshKey("k", "ssh-ed25519 AAAA", "aa:bb", Map.of()).id()).isEqualTo(5);
        assertThat(server.takeRequest().getBody().utf8()).contains("\"public_key\":\"ssh-ed25519 AAAA\"");
        assertThat(server.takeRequest().getUrl().queryParameter("fingerprint")).isEqualTo("aa:bb");
    }

    @Test
    void sshKeyLabelsAreReplacedWithAPut() throws Exception {
        server.enqueue(json(200, "{\"ssh_key\":{\"id\":5,\"name\":\"k\",\"fingerprint\":\"aa:bb\",\"public_key\":\"ssh-ed25519 AAAA\","
                + "\"labels\":{\"managed-by\":\"dockbridge\"}}}"));

        assertThat(client.updateSshKeyLabels(5, Map.of("managed-by", "dockbridge")).labels()).containsEntry("managed-by", "dockbridge");
        RecordedRequest put = server.takeRequest();
        assertThat(put.getMethod()).isEqualTo("PUT");
        assertThat(put.getUrl().encodedPath()).endsWith("/ssh_keys/5");
        assertThat(put.getBody().utf8()).isEqualTo("{\"labels\":{\"managed-by\":\"dockbridge\"}}");
    }

    @Test
    void firewallsServerTypesAndImages() throws Exception {
        server.enqueue(json(201, "{\"firewall\":{\"id\":77,\"name\":\"fw\",\"labels\":{},\"rules\":[{\"direction\":\"in\",\"protocol\":\"tcp\","
                + "\"port\":\"22\",\"source_ips\":[\"0.0.0.0/0\"],\"destination_ips\":[],\"description\":null}]},\"actions\":[]}"));
        Firewall fw = client.createFirewall("fw", Map.of(), List.of(new Firewall.Rule("in", "tcp", "22", List.of("0.0.0.0/0"), null)));
        assertThat(fw.rules()).singleElement().extracting(Firewall.Rule::port).isEqualTo("22");
        assertThat(server.takeRequest().getBody().utf8()).contains("\"rules\":[{\"direction\":\"in\",\"protocol\":\"tcp\",\"port\":\"22\"");

        server.enqueue(json(200, "{\"server_types\":[{\"id\":45,\"name\":\"cax11\",\"architecture\":\"arm\",\"prices\":[],"
                + "\"locations\":[{\"id\":1,\"name\":\"fsn1\",\"available\":false}]}]," + META + "}"));
        ServerType type = client.getServerType("cax11").orElseThrow();
        assertThat(type.architecture()).isEqualTo("arm");
        assertThat(type.orderableIn("fsn1")).isFalse();
        assertThat(type.orderableIn("hel1")).isTrue();
        server.takeRequest();

        server.enqueue(json(200, "{\"images\":[{\"id\":9,\"name\":\"docker-ce\",\"type\":\"app\",\"architecture\":\"arm\"}]," + META + "}"));
        assertThat(client.findImage("docker-ce", "arm")).map(Image::id).contains(9L);
        RecordedRequest images = server.takeRequest();
        assertThat(images.getUrl().queryParameter("name")).isEqualTo("docker-ce");
        assertThat(images.getUrl().queryParameter("architecture")).isEqualTo("arm");
    }

    @Test
    void readsTheGrossHourlyPriceOfATypeInALocation() throws Exception {
        server.enqueue(json(200, "{\"pricing\":{\"currency\":\"EUR\",\"vat_rate\":\"19.00\",\"server_types\":[{\"id\":104,\"name\":\"cx23\","
                + "\"prices\":[{\"location\":\"fsn1\",\"price_hourly\":{\"net\":\"0.0088\",\"gross\":\"0.0105\"},"
                + "\"price_monthly\":{\"net\":\"5.4900\",\"gross\":\"6.5331\"}}]}]}}"));
        Price price = client.serverPrice("cx23", "fsn1").orElseThrow();
        assertThat(price.hourlyGross()).isEqualByComparingTo("0.0105");
        assertThat(price.currency()).isEqualTo("EUR");
        assertThat(server.takeRequest().getUrl().encodedPath()).isEqualTo("/v1/pricing");
    }

    @Test
    void volumesAreCreatedAttachedDetachedAndDeleted() throws Exception {
        String volume = "{\"id\":4711,\"name\":\"dockbridge-data\",\"server\":null,\"status\":\"creating\",\"size\":20,"
                + "\"linux_device\":\"/dev/disk/by-id/scsi-0HC_Volume_4711\",\"location\":{\"id\":1,\"name\":\"fsn1\"},"
                + "\"format\":\"ext4\",\"labels\":{\"managed-by\":\"dockbridge\"},\"protection\":{\"delete\":false}}";
        server.enqueue(json(201, "{\"volume\":" + volume + ",\"action\":" + action(20, "create_volume", "running") + ",\"next_actions\":[]}"));
        var created = client.createVolume("dockbridge-data", 20, "fsn1", Map.of("managed-by", "dockbridge"));
        assertThat(created.getKey().linuxDevice()).endsWith("HC_Volume_4711");
        assertThat(created.getValue()).map(Action::command).contains("create_volume");
        String body = server.takeRequest().getBody().utf8();
        assertThat(body).contains("\"size\":20").contains("\"location\":\"fsn1\"").contains("\"format\":\"ext4\"");

        server.enqueue(json(200, "{\"volumes\":[" + volume + "]," + META + "}"));
        assertThat(client.listVolumes("managed-by=dockbridge")).extracting(Volume::id).containsExactly(4711L);
        assertThat(server.takeRequest().getUrl().queryParameter("label_selector")).isEqualTo("managed-by=dockbridge");

        server.enqueue(json(201, "{\"action\":" + action(21, "attach_volume", "running") + "}"));
        assertThat(client.attachVolume(4711, 42).command()).isEqualTo("attach_volume");
        RecordedRequest attach = server.takeRequest();
        assertThat(attach.getUrl().encodedPath()).isEqualTo("/v1/volumes/4711/actions/attach");
        assertThat(attach.getBody().utf8()).contains("\"server\":42");

        server.enqueue(error(423, "locked", "volume is locked"));
        server.enqueue(json(201, "{\"action\":" + action(22, "detach_volume", "running") + "}"));
        assertThat(client.detachVolume(4711).command()).isEqualTo("detach_volume");

        server.enqueue(new MockResponse.Builder().code(204).build());
        client.deleteVolume(4711);
        server.enqueue(error(404, "not_found", "gone"));
        client.deleteVolume(4711);
        assertThat(server.getRequestCount()).isEqualTo(7);
    }
}

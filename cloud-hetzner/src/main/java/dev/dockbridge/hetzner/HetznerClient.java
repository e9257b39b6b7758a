package dev.dockbridge.hetzner;

import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import com.fasterxml.jackson.databind.JsonNode;

import dev.dockbridge.hetzner.internal.Transport;
import okhttp3.HttpUrl;
import okhttp3.OkHttpClient;
import java.io.InterruptedIOException;
import java.math.BigDecimal;

/**
 * The few Hetzner Cloud endpoints a lazy Docker host needs. Every method blocks on the network (with
 * timeouts and the retries {@link RetryPolicy} allows) and throws {@link HetznerApiException} with the
 * API's error code. Thread-safe; one instance per token.
 */
public final class HetznerClient {
    public static final String DEFAULT_ENDPOINT = "https://api.hetzner.cloud/v1";

    private final Transport transport;
    private final Sleeper sleeper;
    private final Clock clock;

    /** @param endpoint e.g. {@code https://api.hetzner.cloud/v1} */
    public HetznerClient(String endpoint, String token, RetryPolicy retry, Sleeper sleeper, Clock clock) {
        HttpUrl base = HttpUrl.parse(endpoint);
        if (base == null) {
            throw new IllegalArgumentException("not an http(s) URL: " + endpoint);
        }
        OkHttpClient http = new OkHttpClient.Builder()
                .connectTimeout(Duration.ofSeconds(10))
                .readTimeout(Duration.ofSeconds(30))
                .writeTimeout(Duration.ofSeconds(30))
                .callTimeout(Duration.ofSeconds(60))
                .retryOnConnectionFailure(false) // retries are decided here, knowing which requests are safe to repeat
                .build();
        this.transport = new Transport(base, token, http, retry, sleeper, clock);
        this.sleeper = sleeper;
        this.clock = clock;
    }

    public HetznerClient(String endpoint, String token) {
        this(endpoint, token, RetryPolicy.DEFAULT, Sleeper.REAL, Clock.systemUTC());
    }

    // ---- servers

    /** Servers matching a label selector (all pages). */
    public List<Server> listServers(String labelSelector) throws IOException {
        return list("servers", Map.of("label_selector", labelSelector), "servers", Server.class);
    }

    public Optional<Server> getServer(long id) throws IOException {
        try {
            return Optional.of(read(transport.get(transport.url("servers/" + id).build()).path("server"), Server.class));
        } catch (HetznerApiException e) {
            if (e.notFound()) {
                return Optional.empty();
            }
            throw e;
        }
    }

    /**
     * Creates a server (started after creation). If the answer is lost or a server error comes back, looks
     * for a server of that name before trying again, so an uncertain create never makes two servers.
     */
    public CreatedServer createServer(CreateServerRequest request) throws IOException {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("name", request.name());
        body.put("server_type", request.serverType());
        body.put("image", request.image());
        body.put("location", request.location());
        body.put("ssh_keys", request.sshKeys());
        if (!request.firewalls().isEmpty()) {
            body.put("firewalls", request.firewalls().stream().map(id -> Map.of("firewall", id)).toList());
        }
        body.put("labels", request.labels());
        body.put("user_data", request.userData());
        if (!request.volumes().isEmpty()) {
            body.put("volumes", request.volumes());
            body.put("automount", false);
        }
        body.put("start_after_create", true);
        body.put("public_net", Map.of("enable_ipv4", true, "enable_ipv6", true));
        HttpUrl url = transport.url("servers").build();
        for (int attempt = 1; ; attempt++) {
            try {
                JsonNode answer = transport.post(url, body, Transport.Kind.CREATE);
                List<Action> actions = new ArrayList<>();
                if (answer.hasNonNull("action")) {
                    actions.add(read(answer.get("action"), Action.class));
                }
                for (JsonNode next : answer.path("next_actions")) {
                    actions.add(read(next, Action.class));
                }
                return new CreatedServer(read(answer.path("server"), Server.class), actions);
            } catch (HetznerApiException e) {
                if (!e.ambiguous()) {
                    throw e;
                }
                List<Server> found = list("servers", Map.of("name", request.name()), "servers", Server.class);
                if (!found.isEmpty()) {
                    return new CreatedServer(found.get(0), List.of());
                }
                if (attempt >= 3) {
                    throw e;
                }
            }
        }
    }

    /** Deletes a server; an already deleted server is not an error. @return the delete action, if any */
    public Optional<Action> deleteServer(long id) throws IOException {
        try {
            JsonNode answer = transport.delete(transport.url("servers/" + id).build());
            return answer.hasNonNull("action") ? Optional.of(read(answer.get("action"), Action.class)) : Optional.empty();
        } catch (HetznerApiException e) {
            if (e.notFound()) {
                return Optional.empty();
            }
            throw e;
        }
    }

    public Action powerOn(long id) throws IOException {
        return read(transport.post(transport.url("servers/" + id + "/actions/poweron").build(), Map.of(),
                Transport.Kind.IDEMPOTENT).path("action"), Action.class);
    }

    // ---- actions

    public List<Action> getActions(Collection<Long> ids) throws IOException {
        HttpUrl.Builder url = transport.url("actions");
        ids.forEach(id -> url.addQueryParameter("id", String.valueOf(id)));
        List<Action> actions = new ArrayList<>();
        for (JsonNode a : transport.get(url.build()).path("actions")) {
            actions.add(read(a, Action.class));
        }
        return actions;
    }

    /**
     * Polls until none of the actions runs. Blocks up to {@code timeout}.
     *
     * @throws ActionFailedException if one ended in error (with its code and message) or time ran out
     */
    public void waitForActions(Collection<Action> actions, Duration interval, Duration timeout) throws IOException {
        List<Long> pending = actions.stream().filter(Action::running).map(Action::id).toList();
        for (Action a : actions) {
            failIfError(a);
        }
        long deadline = clock.millis() + timeout.toMillis();
        while (!pending.isEmpty()) {
            if (clock.millis() > deadline) {
                throw new ActionFailedException("timeout", "actions " + pending + " still running after " + timeout.toSeconds() + " s");
            }
            try {
                sleeper.sleep(interval);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new InterruptedIOException("interrupted while waiting for actions");
            }
            List<Action> current = getActions(pending);
            if (current.size() < pending.size()) {
                throw new ActionFailedException("not_found", "actions " + pending + " not found");
            }
            for (Action a : current) {
                failIfError(a);
            }
            pending = current.stream().filter(Action::running).map(Action::id).toList();
        }
    }

    private static void failIfError(Action a) throws ActionFailedException {
        if (a.failed()) {
            String code = a.error() == null ? "action_failed" : a.error().code();
            String message = a.error() == null ? "" : a.error().message();
            throw new ActionFailedException(code, a.command() + " failed: " + code + ": " + message);
        }
    }

    // ---- ssh keys

    public Optional<SshKey> findSshKey(String md5Fingerprint) throws IOException {
        return list("ssh_keys", Map.of("fingerprint", md5Fingerprint), "ssh_keys", SshKey.class).stream().findFirst();
    }

    /** Uploads a key; if it exists already (409 uniqueness), returns the existing one. */
    public SshKey createSshKey(String name, String publicKey, String md5Fingerprint, Map<String, String> labels) throws IOException {
        try {
            return read(transport.post(transport.url("ssh_keys").build(),
                    Map.of("name", name, "public_key", publicKey, "labels", labels), Transport.Kind.CREATE).path("ssh_key"), SshKey.class);
        } catch (HetznerApiException e) {
            if ("uniqueness_error".equals(e.code())) {
                Optional<SshKey> existing = findSshKey(md5Fingerprint);
                if (existing.isPresent()) {
                    return existing.get();
                }
            }
            throw e;
        }
    }

    /** Replaces the key's labels (the API replaces the whole set). */
    public SshKey updateSshKeyLabels(long id, Map<String, String> labels) throws IOException {
        return read(transport.put(transport.url("ssh_keys/" + id).build(), Map.of("labels", labels)).path("ssh_key"), SshKey.class);
    }

    // ---- firewalls

    public List<Firewall> listFirewalls(String labelSelector) throws IOException {
        return list("firewalls", Map.of("label_selector", labelSelector), "firewalls", Firewall.class);
    }

    public Firewall createFirewall(String name, Map<String, String> labels, List<Firewall.Rule> rules) throws IOException {
        List<Map<String, Object>> ruleBodies = rules.stream().map(r -> {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("direction", r.direction());
            m.put("protocol", r.protocol());
            m.put("port", r.port());
            m.put("source_ips", r.sourceIps());
            m.put("description", r.description());
            return m;
        }).toList();
        return read(transport.post(transport.url("firewalls").build(),
                Map.of("name", name, "labels", labels, "rules", ruleBodies), Transport.Kind.CREATE).path("firewall"), Firewall.class);
    }

    // ---- volumes

    public List<Volume> listVolumes(String labelSelector) throws IOException {
        return list("volumes", Map.of("label_selector", labelSelector), "volumes", Volume.class);
    }

    public Optional<Volume> getVolume(long id) throws IOException {
        try {
            return Optional.of(read(transport.get(transport.url("volumes/" + id).build()).path("volume"), Volume.class));
        } catch (HetznerApiException e) {
            if (e.notFound()) {
                return Optional.empty();
            }
            throw e;
        }
    }

    /** Creates a detached, ext4-formatted volume in a location. @return the volume and its create action */
    public Map.Entry<Volume, Optional<Action>> createVolume(String name, int sizeGb, String location, Map<String, String> labels)
            throws IOException {
        JsonNode answer = transport.post(transport.url("volumes").build(),
                Map.of("name", name, "size", sizeGb, "location", location, "format", "ext4", "labels", labels), Transport.Kind.CREATE);
        Optional<Action> action = answer.hasNonNull("action") ? Optional.of(read(answer.get("action"), Action.class)) : Optional.empty();
        return Map.entry(read(answer.path("volume"), Volume.class), action);
    }

    public Action attachVolume(long volume, long server) throws IOException {
        return read(transport.post(transport.url("volumes/" + volume + "/actions/attach").build(),
                Map.of("server", server, "automount", false), Transport.Kind.IDEMPOTENT).path("action"), Action.class);
    }

    public Action detachVolume(long volume) throws IOException {
        return read(transport.post(transport.url("volumes/" + volume + "/actions/detach").build(), Map.of(),
                Transport.Kind.IDEMPOTENT).path("action"), Action.class);
    }

    /** Deletes a (detached) volume and its data; an already deleted volume is not an error. */
    public void deleteVolume(long id) throws IOException {
        try {
            transport.delete(transport.url("volumes/" + id).build());
        } catch (HetznerApiException e) {
            if (!e.notFound()) {
                throw e;
            }
        }
    }

    // ---- catalogue

    public Optional<ServerType> getServerType(String name) throws IOException {
        return list("server_types", Map.of("name", name), "server_types", ServerType.class).stream().findFirst();
    }

    public Optional<Image> findImage(String name, String architecture) throws IOException {
        return list("images", Map.of("name", name, "architecture", architecture), "images", Image.class).stream().findFirst();
    }

    /** The gross monthly price of one GB of volume, from {@code GET /pricing}. */
    public Optional<VolumePrice> volumePrice() throws IOException {
        JsonNode pricing = transport.get(transport.url("pricing").build()).path("pricing");
        JsonNode gross = pricing.path("volume").path("price_per_gb_month").path("gross");
        if (gross.isMissingNode() || gross.isNull()) {
            return Optional.empty();
        }
        try {
            return Optional.of(new VolumePrice(new BigDecimal(gross.asText()), pricing.path("currency").asText("EUR")));
        } catch (NumberFormatException e) {
            throw new HetznerApiException(200, "invalid_response", "unreadable volume price '" + gross.asText() + "'", null, e);
        }
    }

    /** The gross price of a server type in a location, from {@code GET /pricing}. */
    public Optional<Price> serverPrice(String serverType, String location) throws IOException {
        JsonNode pricing = transport.get(transport.url("pricing").build()).path("pricing");
        String currency = pricing.path("currency").asText("EUR");
        for (JsonNode type : pricing.path("server_types")) {
            if (!serverType.equals(type.path("name").asText())) {
                continue;
            }
            for (JsonNode p : type.path("prices")) {
                if (location.equals(p.path("location").asText())) {
                    try {
                        return Optional.of(new Price(new BigDecimal(p.path("price_hourly").path("gross").asText()),
                                new BigDecimal(p.path("price_monthly").path("gross").asText()), currency));
                    } catch (NumberFormatException e) {
                        throw new HetznerApiException(200, "invalid_response", "unreadable price for " + serverType + " in " + location, null, e);
                    }
                }
            }
        }
        return Optional.empty();
    }

    // ---- plumbing

    private <T> List<T> list(String path, Map<String, String> query, String key, Class<T> type) throws IOException {
        List<T> all = new ArrayList<>();
        int page = 1;
        while (true) {
            HttpUrl.Builder url = transport.url(path).addQueryParameter("per_page", "50").addQueryParameter("page", String.valueOf(page));
            query.forEach(url::addQueryParameter);
            JsonNode answer = transport.get(url.build());
            for (JsonNode item : answer.path(key)) {
                all.add(read(item, type));
            }
            JsonNode next = answer.path("meta").path("pagination").path("next_page");
            if (!next.isNumber() || next.asInt() <= page) {
                return all;
            }
            page = next.asInt();
        }
    }

    private static <T> T read(JsonNode node, Class<T> type) throws HetznerApiException {
        try {
            return Transport.MAPPER.treeToValue(node, type);
        } catch (IOException | IllegalArgumentException e) {
            throw new HetznerApiException(200, "invalid_response", "unexpected " + type.getSimpleName() + " in the Hetzner API's answer: "
                    + e.getMessage(), null, e);
        }
    }
}

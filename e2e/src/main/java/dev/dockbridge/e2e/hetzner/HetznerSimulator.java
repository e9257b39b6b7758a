package dev.dockbridge.e2e.hetzner;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;

import dev.dockbridge.e2e.testbed.Cmd;
import dev.dockbridge.e2e.testbed.TestHost;
import mockwebserver3.Dispatcher;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import mockwebserver3.RecordedRequest;
import mockwebserver3.SocketEffect;
import okhttp3.HttpUrl;
import java.io.UncheckedIOException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.concurrent.ScheduledThreadPoolExecutor;

/**
 * A stateful stand-in for the Hetzner Cloud API (shapes, codes and behaviour from
 * {@code shared/docs/hetzner-cloud-api.md}) whose servers are real test-bed hosts: when a server "boots",
 * its host gets the cloud-init host key and the uploaded SSH keys and its sshd starts; when it is deleted,
 * its sshd stops and its Docker is wiped. Faults can be scripted per request.
 */
public final class HetznerSimulator implements AutoCloseable {
    /** How servers come up. */
    public enum Boot { NORMAL, ACTION_ERROR, NO_SSH, WRONG_HOST_KEY }

    /** hcloud-go's label checks (labels.go). */
    private static final Pattern LABEL_KEY = Pattern.compile(
            "^([a-z0-9A-Z]((?:[\\-_.]|[a-z0-9A-Z]){0,253}[a-z0-9A-Z])?/)?[a-z0-9A-Z]((?:[\\-_.]|[a-z0-9A-Z]|){0,61}[a-z0-9A-Z])?$");
    private static final Pattern LABEL_VALUE = Pattern.compile("^(([a-z0-9A-Z](?:[\\-_.]|[a-z0-9A-Z]){0,61})?[a-z0-9A-Z]$|$)");
    private static final Pattern ID = Pattern.compile("/(servers|ssh_keys|firewalls|volumes|actions)/(\\d+)(/actions/(\\w+))?");
    private static final Pattern VOLUME_NAME = Pattern.compile("[a-zA-Z0-9]([a-zA-Z0-9._-]{0,62}[a-zA-Z0-9])?");
    private static final int RATE_LIMIT = 3600;

    private final MockWebServer http = new MockWebServer();
    private final ServerSocket fromServers;
    private final ObjectMapper json = new ObjectMapper();
    private final ObjectMapper yaml = new YAMLMapper();
    private final String token;
    private final List<TestHost> pool;
    private final ScheduledThreadPoolExecutor timers = new ScheduledThreadPoolExecutor(2);
    private final Object lock = new Object();

    // state, guarded by lock
    private long nextId = 4200;
    private final Map<Long, SimServer> servers = new LinkedHashMap<>();
    private final Map<Long, ObjectNode> sshKeys = new LinkedHashMap<>();
    /** Every label set a PUT gave an SSH key, in order (a test reads what was there, also once it is gone again). */
    private final List<JsonNode> keyLabelHistory = new ArrayList<>();
    private final Map<Long, ObjectNode> firewalls = new LinkedHashMap<>();
    private final Map<Long, ObjectNode> actions = new LinkedHashMap<>();
    private final List<TestHost> freeHosts = new ArrayList<>();
    private final List<String> calls = new ArrayList<>();
    private final List<Fault> faults = new ArrayList<>();
    private final Set<String> closedLocations = new HashSet<>();
    private Duration bootDelay = Duration.ofSeconds(1);
    private Boot boot = Boot.NORMAL;
    private double rateRemaining = RATE_LIMIT;
    private long rateRefilledAt = System.currentTimeMillis();

    private static final class SimServer {
        long id;
        String name;
        String status = "initializing";
        Instant created;
        Map<String, String> labels;
        String type;
        String location;
        String image;
        List<Long> keys;
        List<Long> firewalls;
        String userData;
        TestHost host;
    }

    /** A volume: its "disk" is a directory that outlives servers; a server that mounts it runs Docker on it. */
    private static final class SimVolume {
        long id;
        String name;
        int size;
        String location;
        String format;
        Map<String, String> labels;
        Long server;
        String status = "creating";
        Instant created;
        Path disk;

        String linuxDevice() {
            return "/dev/disk/by-id/scsi-0HC_Volume_" + id;
        }
    }

    private final Map<Long, SimVolume> volumes = new LinkedHashMap<>();
    private final Path volumeDisks = Files.createTempDirectory("dbsim-volumes-");
    public HetznerSimulator(String token, List<TestHost> pool) throws IOException {
        this.token = token;
        this.pool = List.copyOf(pool);
        for (TestHost h : pool) {
            h.stopSshd(22); // no server exists yet: nothing answers on these addresses
            freeHosts.add(h);
        }
        http.setDispatcher(new Dispatcher() {
            @Override
            public MockResponse dispatch(RecordedRequest request) {
                return handle(request);
            }
        });
        http.start(InetAddress.getLoopbackAddress(), 0);
        fromServers = new ServerSocket(0, 50, InetAddress.getByName(pool.get(0).gateway()));
        Thread relay = new Thread(this::relayFromServers, "sim-relay");
        relay.setDaemon(true);
        relay.start();
    }

    /**
     * The environment that points DockBridge at this simulator with its token, and tells it how its servers reach the
     * API (their guard calls it): through a relay on this machine's side of a test-bed link, plain http.
     */
    public Map<String, String> clientEnv() {
        return Map.of("HCLOUD_TOKEN", token, "HCLOUD_ENDPOINT", endpoint(),
                "DOCKBRIDGE_TESTBED_SERVER_API_ENDPOINT", "http://" + pool.get(0).gateway() + ":" + fromServers.getLocalPort() + "/v1");
    }

    /** Servers reach the API at an address of this machine's that their namespace routes to; it relays to the loopback listener. */
    private void relayFromServers() {
        while (!fromServers.isClosed()) {
            try {
                Socket in = fromServers.accept();
                Socket out = new Socket(InetAddress.getLoopbackAddress(), http.getPort());
                pump(in, out);
                pump(out, in);
            } catch (IOException e) {
                // closed, or one connection failed: the guard tries again
            }
        }
    }

    private static void pump(Socket from, Socket to) {
        Thread t = new Thread(() -> {
            try (from; to) {
                from.getInputStream().transferTo(to.getOutputStream());
            } catch (IOException e) {
                // either side closed
            }
        }, "sim-relay-pump");
        t.setDaemon(true);
        t.start();
    }

    /** The API base URL, for {@code HCLOUD_ENDPOINT}. */
    public String endpoint() {
        return http.url("/v1").toString();
    }

    public void bootDelay(Duration d) {
        synchronized (lock) {
            bootDelay = d;
        }
    }

    public void boot(Boot mode) {
        synchronized (lock) {
            boot = mode;
        }
    }

    public void addFault(Fault fault) {
        synchronized (lock) {
            faults.add(fault);
        }
    }

    /** Ends every scripted fault. */
    /**
     * Closes a location to new servers, as Hetzner did to fsn1 for long stretches: creates there are refused with 412
     * {@code resource_unavailable} ("server location disabled") while the server types still list it as available.
     */
    public void closeLocation(String location) {
        synchronized (lock) {
            closedLocations.add(location);
        }
    }

    public void clearFaults() {
        synchronized (lock) {
            faults.clear();
        }
    }

    /** Every request so far, as {@code METHOD /path}. */
    public List<String> calls() {
        synchronized (lock) {
            return List.copyOf(calls);
        }
    }

    public long count(String methodAndPath) {
        return calls().stream().filter(c -> c.equals(methodAndPath)).count();
    }

    /** {@code DELETE /servers/{id}} calls so far, whoever made them (a daemon, a guard on a server). */
    public long serverDeletes() {
        return calls().stream().filter(c -> c.startsWith("DELETE /servers/")).count();
    }

    /** Servers that exist now, as the API would return them. */
    public List<JsonNode> servers() {
        synchronized (lock) {
            return servers.values().stream().map(s -> (JsonNode) serverJson(s)).toList();
        }
    }

    public List<JsonNode> sshKeys() {
        synchronized (lock) {
            return List.copyOf(sshKeys.values());
        }
    }

    public List<JsonNode> sshKeyLabelHistory() {
        synchronized (lock) {
            return List.copyOf(keyLabelHistory);
        }
    }

    public List<JsonNode> firewalls() {
        synchronized (lock) {
            return List.copyOf(firewalls.values());
        }
    }

    // ---- HTTP

    private MockResponse handle(RecordedRequest request) {
        String method = request.getMethod();
        HttpUrl url = request.getUrl();
        String path = url.encodedPath().replaceFirst("^/v1", "");
        synchronized (lock) {
            calls.add(method + " " + path);
            Fault after = null;
            for (int i = 0; i < faults.size(); i++) {
                Fault f = faults.get(i);
                if (f.matches(method, path)) {
                    faults.set(i, f.used());
                    if (!f.performed()) {
                        return faultResponse(f);
                    }
                    after = f;
                    break;
                }
            }
            if (after != null) {
                Fault lost = after;
                try {
                    JsonNode body = request.getBody() == null || request.getBody().size() == 0 ? null : json.readTree(request.getBody().utf8());
                    route(method, path, url, body);
                } catch (IOException | RuntimeException e) {
                    // carried out as far as it went; the answer is lost either way
                }
                return faultResponse(lost);
            }
            if (!("Bearer " + token).equals(request.getHeaders().get("Authorization"))) {
                return error(401, "unauthorized", "unable to authenticate");
            }
            refillRateLimit();
            if (rateRemaining < 1) {
                return error(429, "rate_limit_exceeded", "limit of " + RATE_LIMIT + " requests per hour reached");
            }
            rateRemaining -= 1;
            try {
                JsonNode body = request.getBody() == null || request.getBody().size() == 0 ? null
                        : json.readTree(request.getBody().utf8());
                return route(method, path, url, body);
            } catch (IOException e) {
                return error(400, "json_error", "request body is not valid JSON");
            } catch (IllegalArgumentException e) {
                return error(422, "invalid_input", e.getMessage());
            }
        }
    }

    private MockResponse route(String method, String path, HttpUrl url, JsonNode body) throws IOException {
        Matcher m = ID.matcher(path);
        if (m.matches()) {
            long id = Long.parseLong(m.group(2));
            String action = m.group(4);
            return switch (m.group(1) + " " + method + (action == null ? "" : " " + action)) {
                case "servers GET" -> servers.containsKey(id) ? ok(200, wrap("server", serverJson(servers.get(id)))) : notFound();
                case "servers DELETE" -> deleteServer(id);
                case "servers POST poweron" -> powerOn(id);
                case "ssh_keys GET" -> sshKeys.containsKey(id) ? ok(200, wrap("ssh_key", sshKeys.get(id))) : notFound();
                case "ssh_keys PUT" -> updateSshKey(id, body);
                case "ssh_keys DELETE" -> sshKeys.remove(id) != null ? ok(204, null) : notFound();
                case "firewalls GET" -> firewalls.containsKey(id) ? ok(200, wrap("firewall", firewalls.get(id))) : notFound();
                case "firewalls DELETE" -> deleteFirewall(id);
                case "actions GET" -> actions.containsKey(id) ? ok(200, wrap("action", actions.get(id))) : notFound();
                case "volumes GET" -> volumes.containsKey(id) ? ok(200, wrap("volume", volumeJson(volumes.get(id)))) : notFound();
                case "volumes DELETE" -> deleteVolume(id);
                case "volumes POST attach" -> attachVolume(id, body);
                case "volumes POST detach" -> detachVolume(id);
                default -> error(405, "method_not_allowed", method + " is not allowed on " + path);
            };
        }
        return switch (method + " " + path) {
            case "GET /servers" -> list(url, "servers", servers.values().stream().map(this::serverJson).toList());
            case "POST /servers" -> createServer(body);
            case "GET /ssh_keys" -> list(url, "ssh_keys", new ArrayList<>(sshKeys.values()));
            case "POST /ssh_keys" -> createSshKey(body);
            case "GET /firewalls" -> list(url, "firewalls", new ArrayList<>(firewalls.values()));
            case "POST /firewalls" -> createFirewall(body);
            case "GET /volumes" -> list(url, "volumes", volumes.values().stream().map(this::volumeJson).toList());
            case "POST /volumes" -> createVolume(body);
            case "GET /actions" -> getActions(url);
            case "GET /server_types" -> list(url, "server_types", Catalogue.TYPES.keySet().stream().sorted()
                    .map(n -> Catalogue.serverType(json, n)).toList());
            case "GET /images" -> list(url, "images", Catalogue.IMAGES.keySet().stream().sorted()
                    .map(k -> Catalogue.image(json, k.split("/")[0], k.split("/")[1])).toList());
            case "GET /locations" -> list(url, "locations", Catalogue.LOCATIONS.stream().map(l -> Catalogue.location(json, l)).toList());
            case "GET /pricing" -> ok(200, Catalogue.pricing(json));
            case "GET /datacenters" -> error(410, "deprecated_api_endpoint", "datacenters were removed from the API");
            default -> notFound();
        };
    }

    /** Filters ({@code name}, {@code label_selector}, {@code fingerprint}, {@code architecture}, {@code status}) then paginates. */
    private MockResponse list(HttpUrl url, String key, List<ObjectNode> items) {
        List<ObjectNode> matching = new ArrayList<>(items);
        String selector = url.queryParameter("label_selector");
        if (selector != null) {
            Predicate<Map<String, String>> p = LabelSelector.parse(selector);
            matching.removeIf(i -> !p.test(labels(i)));
        }
        for (String field : List.of("name", "fingerprint", "architecture")) {
            String value = url.queryParameter(field);
            if (value != null) {
                matching.removeIf(i -> !value.equals(i.path(field).asText()));
            }
        }
        List<String> statuses = url.queryParameterValues("status").stream().filter(s -> s != null).toList();
        if (!statuses.isEmpty()) {
            matching.removeIf(i -> !statuses.contains(i.path("status").asText()));
        }
        int perPage = Math.min(50, Math.max(1, intParam(url, "per_page", 25)));
        int page = Math.max(1, intParam(url, "page", 1));
        int last = Math.max(1, (matching.size() + perPage - 1) / perPage);
        ObjectNode root = json.createObjectNode();
        ArrayNode array = root.putArray(key);
        matching.stream().skip((long) (page - 1) * perPage).limit(perPage).forEach(array::add);
        ObjectNode pagination = root.putObject("meta").putObject("pagination");
        pagination.put("page", page).put("per_page", perPage).put("last_page", last).put("total_entries", matching.size());
        if (page > 1) {
            pagination.put("previous_page", page - 1);
        } else {
            pagination.putNull("previous_page");
        }
        if (page < last) {
            pagination.put("next_page", page + 1);
        } else {
            pagination.putNull("next_page");
        }
        return ok(200, root);
    }

    private static int intParam(HttpUrl url, String name, int fallback) {
        try {
            String v = url.queryParameter(name);
            return v == null ? fallback : Integer.parseInt(v);
        } catch (NumberFormatException e) {
            return fallback;
        }
    }

    private Map<String, String> labels(JsonNode item) {
        Map<String, String> labels = new LinkedHashMap<>();
        item.path("labels").fields().forEachRemaining(e -> labels.put(e.getKey(), e.getValue().asText()));
        return labels;
    }

    // ---- servers

    private MockResponse createServer(JsonNode body) throws IOException {
        if (body == null) {
            return error(400, "json_error", "a body is required");
        }
        if (body.has("datacenter")) {
            return invalid("datacenter", "datacenter was removed from the API; use location");
        }
        String name = body.path("name").asText("");
        if (!name.matches("[a-zA-Z0-9]([a-zA-Z0-9.-]{0,61}[a-zA-Z0-9])?")) {
            return invalid("name", "is invalid");
        }
        if (servers.values().stream().anyMatch(s -> s.name.equals(name))) {
            return error(409, "uniqueness_error", "server name is already used");
        }
        String type = body.path("server_type").asText("");
        if (!Catalogue.TYPES.containsKey(type)) {
            return invalid("server_type", "server type " + type + " not found");
        }
        String location = body.path("location").asText("fsn1");
        if (!Catalogue.LOCATIONS.contains(location)) {
            return invalid("location", "location " + location + " not found");
        }
        String architecture = (String) Catalogue.TYPES.get(type)[1];
        JsonNode imageRef = body.path("image");
        Optional<String> image = Catalogue.IMAGES.entrySet().stream()
                .filter(e -> imageRef.isNumber() ? e.getValue() == imageRef.asLong() : e.getKey().startsWith(imageRef.asText() + "/"))
                .map(Map.Entry::getKey).filter(k -> k.endsWith("/" + architecture)).findFirst();
        if (image.isEmpty()) {
            return invalid("image", "image " + imageRef + " not found for architecture " + architecture);
        }
        List<Long> keys = new ArrayList<>();
        for (JsonNode k : body.path("ssh_keys")) {
            if (!sshKeys.containsKey(k.asLong())) {
                return invalid("ssh_keys", "ssh key " + k.asText() + " not found");
            }
            keys.add(k.asLong());
        }
        List<Long> fws = new ArrayList<>();
        for (JsonNode f : body.path("firewalls")) {
            if (!firewalls.containsKey(f.path("firewall").asLong())) {
                return invalid("firewalls", "firewall " + f.path("firewall").asText() + " not found");
            }
            fws.add(f.path("firewall").asLong());
        }
        List<SimVolume> attach = new ArrayList<>();
        for (JsonNode v : body.path("volumes")) {
            SimVolume volume = volumes.get(v.asLong());
            if (volume == null) {
                return invalid("volumes", "volume " + v.asText() + " not found");
            }
            if (volume.server != null) {
                return error(409, "volume_already_attached", "volume " + volume.id + " is already attached to a server");
            }
            if (!volume.location.equals(body.path("location").asText("fsn1"))) {
                return invalid("volumes", "volume " + volume.id + " is in " + volume.location + ", not in the server's location");
            }
            attach.add(volume);
        }
        String userData = body.path("user_data").asText("");
        if (userData.length() > 32 * 1024) {
            return invalid("user_data", "is longer than 32 KiB");
        }
        if (closedLocations.contains(location)) {
            return error(412, "resource_unavailable", "server location disabled");
        }
        if (freeHosts.isEmpty()) {
            return error(412, "resource_unavailable", "server type " + type + " sold out in " + location);
        }
        SimServer s = new SimServer();
        s.id = nextId++;
        s.name = name;
        s.created = Instant.now().truncatedTo(ChronoUnit.SECONDS);
        s.labels = labels(body);
        s.type = type;
        s.location = location;
        s.image = image.get().split("/")[0];
        s.keys = keys;
        s.firewalls = fws;
        s.userData = userData;
        s.host = freeHosts.remove(0);
        servers.put(s.id, s);
        ObjectNode create = action("create_server", s.id, "running");
        ObjectNode start = action("start_server", s.id, "running");
        List<ObjectNode> bootActions = new ArrayList<>(List.of(create, start));
        for (SimVolume v : attach) {
            v.server = s.id;
            ObjectNode a = action("attach_volume", v.id, "running");
            ((ArrayNode) a.path("resources")).insert(0, json.createObjectNode().put("id", s.id).put("type", "server"));
            bootActions.add(a);
        }
        Boot mode = boot;
        timers.schedule(() -> bootServer(s, mode, bootActions.toArray(ObjectNode[]::new)), bootDelay.toMillis(), TimeUnit.MILLISECONDS);
        ObjectNode root = json.createObjectNode();
        root.set("server", serverJson(s));
        root.set("action", create);
        ArrayNode next = root.putArray("next_actions");
        bootActions.subList(1, bootActions.size()).forEach(next::add);
        root.putNull("root_password");
        return ok(201, root);
    }

    private void bootServer(SimServer s, Boot mode, ObjectNode... bootActions) {
        try {
            if (mode == Boot.ACTION_ERROR) {
                synchronized (lock) {
                    finish(bootActions[0], "error", "action_failed", "Server creation failed due to an internal error");
                    finish(bootActions[1], "error", "action_failed", "start_server was not run");
                    s.status = "off";
                }
                return;
            }
            if (mode != Boot.NO_SSH) {
                JsonNode cloudInit = yaml.readTree(s.userData.isEmpty() ? "{}" : s.userData);
                if (mode == Boot.WRONG_HOST_KEY) {
                    s.host.regenerateHostKey();
                } else {
                    s.host.installHostKey(cloudInit.path("ssh_keys").path("ed25519_private").asText(),
                            cloudInit.path("ssh_keys").path("ed25519_public").asText());
                }
                List<String> keys = new ArrayList<>();
                synchronized (lock) {
                    s.keys.forEach(id -> keys.add(sshKeys.get(id).path("public_key").asText()));
                }
                s.host.setAuthorizedKeys(keys);
                s.host.forgetPreviousServer();
                s.host.useDockerData(dockerVolumeDisk(s, cloudInit));
                s.host.startSshd(22);
            }
            synchronized (lock) {
                for (ObjectNode a : bootActions) {
                    finish(a, "success", null, null);
                }
                if (servers.containsKey(s.id)) {
                    s.status = "running";
                }
            }
        } catch (IOException | RuntimeException e) {
            synchronized (lock) {
                for (ObjectNode a : bootActions) {
                    finish(a, "error", "action_failed", "simulator could not boot the host: " + e.getMessage());
                }
            }
        }
    }

    /** Like the API: an 'off' server boots (its sshd comes back) once the start action ends; a running one is left alone. */
    private MockResponse powerOn(long id) {
        SimServer s = servers.get(id);
        if (s == null) {
            return notFound();
        }
        if (!"off".equals(s.status)) {
            return ok(201, wrap("action", action("start_server", id, "success")));
        }
        s.status = "starting";
        ObjectNode start = action("start_server", id, "running");
        timers.schedule(() -> {
            try {
                s.host.startSshd(22);
                synchronized (lock) {
                    if (servers.containsKey(s.id)) {
                        s.status = "running";
                    }
                    finish(start, "success", null, null);
                }
            } catch (IOException | RuntimeException e) {
                synchronized (lock) {
                    finish(start, "error", "action_failed", "simulator could not start the host: " + e.getMessage());
                }
            }
        }, bootDelay.toMillis(), TimeUnit.MILLISECONDS);
        return ok(201, wrap("action", start));
    }

    /** Shuts a server down as the Cloud Console's power button would: sshd and its sessions end, its disk stays. */
    public void powerOff(long id) {
        SimServer s;
        synchronized (lock) {
            s = servers.get(id);
            if (s == null) {
                throw new IllegalArgumentException("no server " + id);
            }
            s.status = "off";
        }
        s.host.stopSshd(22);
        s.host.killMachineProcesses(); // off: its processes are gone, the next boot starts none of them
    }

    /**
     * Puts a server into a state Hetzner moves servers through ({@code migrating}, {@code rebuilding},
     * {@code starting}, {@code unknown}, …) for {@code d}, then back to running; the machine itself keeps running.
     */
    public void moveServer(long id, String status, Duration d) {
        synchronized (lock) {
            SimServer s = servers.get(id);
            if (s == null) {
                throw new IllegalArgumentException("no server " + id);
            }
            s.status = status;
            timers.schedule(() -> {
                synchronized (lock) {
                    if (status.equals(s.status)) {
                        s.status = "running";
                    }
                }
            }, d.toMillis(), TimeUnit.MILLISECONDS);
        }
    }

    private MockResponse deleteServer(long id) {
        SimServer s = servers.remove(id);
        if (s == null) {
            return notFound();
        }
        ObjectNode delete = action("delete_server", id, "running");
        timers.execute(() -> {
            s.host.stopSshd(22);
            s.host.killMachineProcesses(); // the machine is gone, and its connections and processes with it
            try {
                s.host.useDockerData(null); // the volume keeps its data; the server's own disk is wiped
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            s.host.wipeDocker();
            synchronized (lock) {
                volumes.values().stream().filter(v -> Long.valueOf(id).equals(v.server)).forEach(v -> v.server = null); // detached, not deleted
                freeHosts.add(s.host);
                finish(delete, "success", null, null);
            }
        });
        return ok(200, wrap("action", delete));
    }

    private ObjectNode serverJson(SimServer s) {
        ObjectNode n = json.createObjectNode();
        n.put("id", s.id).put("name", s.name).put("status", s.status).put("created", s.created.toString());
        ObjectNode net = n.putObject("public_net");
        net.putObject("ipv4").put("id", s.id + 1_000_000).put("ip", s.host.address()).put("blocked", false)
                .put("dns_ptr", "static." + s.host.address() + ".clients.your-server.de");
        net.putObject("ipv6").put("id", s.id + 2_000_000).put("ip", "2001:db8:" + Long.toHexString(s.id) + "::/64")
                .put("blocked", false).putArray("dns_ptr");
        net.putArray("floating_ips");
        ArrayNode fw = net.putArray("firewalls");
        s.firewalls.forEach(f -> fw.addObject().put("id", f).put("status", "applied"));
        n.putArray("private_net");
        n.set("server_type", Catalogue.serverType(json, s.type));
        n.set("location", Catalogue.location(json, s.location));
        n.set("image", Catalogue.image(json, s.image, (String) Catalogue.TYPES.get(s.type)[1]));
        n.putNull("iso");
        n.put("primary_disk_size", 40);
        ObjectNode labels = n.putObject("labels");
        s.labels.forEach(labels::put);
        n.putObject("protection").put("delete", false).put("rebuild", false);
        n.putNull("backup_window");
        n.put("rescue_enabled", false).put("locked", false);
        n.putNull("placement_group");
        n.putArray("load_balancers");
        ArrayNode attached = n.putArray("volumes");
        volumes.values().stream().filter(v -> Long.valueOf(s.id).equals(v.server)).forEach(v -> attached.add(v.id));
        n.put("included_traffic", 21990232555520L).put("ingoing_traffic", 0).put("outgoing_traffic", 0);
        return n;
    }

    // ---- ssh keys and firewalls

    /** PUT /ssh_keys/{id}: {name?, labels?}; labels replace the whole set and are checked as the API checks them. */
    private MockResponse updateSshKey(long id, JsonNode body) {
        ObjectNode key = sshKeys.get(id);
        if (key == null) {
            return notFound();
        }
        if (body == null || !body.isObject()) {
            return invalid("labels", "body must be an object");
        }
        if (body.has("labels")) {
            if (!body.get("labels").isObject()) {
                return invalid("labels", "labels must be an object");
            }
            for (var it = body.get("labels").fields(); it.hasNext(); ) {
                var label = it.next();
                if (!LABEL_KEY.matcher(label.getKey()).matches() || label.getKey().startsWith("hetzner.cloud/")
                        || !label.getValue().isTextual() || !LABEL_VALUE.matcher(label.getValue().asText()).matches()) {
                    return invalid("labels", "label " + label.getKey() + " is invalid");
                }
            }
            key.set("labels", body.get("labels").deepCopy());
            keyLabelHistory.add(body.get("labels").deepCopy());
        }
        if (body.hasNonNull("name")) {
            String name = body.get("name").asText();
            if (sshKeys.values().stream().anyMatch(k -> k != key && k.path("name").asText().equals(name))) {
                return error(409, "uniqueness_error", "SSH key name is already used", "name");
            }
            key.put("name", name);
        }
        return ok(200, wrap("ssh_key", key));
    }

    private MockResponse createSshKey(JsonNode body) {
        String publicKey = body == null ? "" : body.path("public_key").asText("");
        String name = body == null ? "" : body.path("name").asText("");
        String[] parts = publicKey.strip().split("\\s+");
        if (parts.length < 2 || !parts[0].startsWith("ssh-")) {
            return invalid("public_key", "invalid public key");
        }
        String fingerprint = md5(parts[1]);
        if (sshKeys.values().stream().anyMatch(k -> k.path("fingerprint").asText().equals(fingerprint))) {
            return error(409, "uniqueness_error", "SSH key with the same fingerprint already exists", "public_key");
        }
        if (name.isEmpty() || sshKeys.values().stream().anyMatch(k -> k.path("name").asText().equals(name))) {
            return error(409, "uniqueness_error", "SSH key name is already used", "name");
        }
        ObjectNode key = json.createObjectNode();
        key.put("id", nextId++).put("name", name).put("fingerprint", fingerprint).put("public_key", publicKey.strip());
        key.set("labels", body.path("labels").isObject() ? body.get("labels") : json.createObjectNode());
        key.put("created", Instant.now().truncatedTo(ChronoUnit.SECONDS).toString());
        sshKeys.put(key.get("id").asLong(), key);
        return ok(201, wrap("ssh_key", key));
    }

    private MockResponse createFirewall(JsonNode body) {
        String name = body == null ? "" : body.path("name").asText("");
        if (name.isEmpty() || name.length() > 128) {
            return invalid("name", "is invalid");
        }
        if (firewalls.values().stream().anyMatch(f -> f.path("name").asText().equals(name))) {
            return error(409, "uniqueness_error", "firewall name is already used", "name");
        }
        ObjectNode fw = json.createObjectNode();
        long id = nextId++;
        fw.put("id", id).put("name", name);
        fw.set("labels", body.path("labels").isObject() ? body.get("labels") : json.createObjectNode());
        fw.put("created", Instant.now().truncatedTo(ChronoUnit.SECONDS).toString());
        ArrayNode rules = fw.putArray("rules");
        for (JsonNode r : body.path("rules")) {
            ObjectNode rule = rules.addObject();
            rule.put("direction", r.path("direction").asText()).put("protocol", r.path("protocol").asText());
            if (r.hasNonNull("port")) {
                rule.put("port", r.path("port").asText());
            } else {
                rule.putNull("port");
            }
            rule.set("source_ips", r.path("source_ips").isArray() ? r.get("source_ips") : json.createArrayNode());
            rule.set("destination_ips", r.path("destination_ips").isArray() ? r.get("destination_ips") : json.createArrayNode());
            rule.set("description", r.path("description").isMissingNode() ? json.nullNode() : r.get("description"));
        }
        fw.putArray("applied_to");
        firewalls.put(id, fw);
        ObjectNode root = wrap("firewall", fw);
        root.putArray("actions").add(finish(action("set_firewall_rules", id, "running"), "success", null, null));
        return ok(201, root);
    }

    private MockResponse deleteFirewall(long id) {
        if (!firewalls.containsKey(id)) {
            return notFound();
        }
        if (servers.values().stream().anyMatch(s -> s.firewalls.contains(id))) {
            return error(422, "resource_in_use", "firewall is still applied to a resource");
        }
        firewalls.remove(id);
        return ok(204, null);
    }

    // ---- volumes

    /**
     * The volume's disk if cloud-init mounts it at {@code /var/lib/docker} before Docker starts: in
     * {@code bootcmd}, which runs before docker.service. A mount in {@code runcmd} comes too late (Docker
     * has started on the root disk), so does not count.
     */
    private Path dockerVolumeDisk(SimServer s, JsonNode cloudInit) {
        synchronized (lock) {
            for (SimVolume v : volumes.values()) {
                if (!Long.valueOf(s.id).equals(v.server)) {
                    continue;
                }
                for (JsonNode cmd : cloudInit.path("bootcmd")) {
                    String text = cmd.isArray() ? String.join(" ", json.convertValue(cmd, String[].class)) : cmd.asText();
                    if (text.contains("mount") && text.contains(v.linuxDevice() + " /var/lib/docker")) {
                        return v.disk;
                    }
                }
            }
        }
        return null;
    }

    private MockResponse createVolume(JsonNode body) throws IOException {
        if (body == null) {
            return error(400, "json_error", "a body is required");
        }
        String name = body.path("name").asText("");
        if (!VOLUME_NAME.matcher(name).matches()) {
            return invalid("name", "is invalid");
        }
        if (volumes.values().stream().anyMatch(v -> v.name.equals(name))) {
            return error(409, "uniqueness_error", "volume name is already used");
        }
        int size = body.path("size").asInt(0);
        if (size < 10 || size > 10240) {
            return invalid("size", "must be between 10 and 10240");
        }
        if (body.has("location") == body.has("server")) {
            return invalid("location", "give either location or server");
        }
        if (body.path("automount").asBoolean(false) && !body.has("server")) {
            return invalid("automount", "automount requires server");
        }
        String format = body.hasNonNull("format") ? body.path("format").asText() : null;
        if (format != null && !format.equals("ext4") && !format.equals("xfs")) {
            return invalid("format", "must be ext4 or xfs");
        }
        SimVolume v = new SimVolume();
        if (body.has("server")) {
            SimServer target = servers.get(body.path("server").asLong());
            if (target == null) {
                return invalid("server", "server " + body.path("server").asText() + " not found");
            }
            v.location = target.location;
            v.server = target.id;
        } else {
            v.location = body.path("location").asText();
            if (!Catalogue.LOCATIONS.contains(v.location)) {
                return invalid("location", "location " + v.location + " not found");
            }
        }
        v.id = nextId++;
        v.name = name;
        v.size = size;
        v.format = format;
        v.labels = labels(body);
        v.created = Instant.now().truncatedTo(ChronoUnit.SECONDS);
        v.disk = Files.createDirectories(volumeDisks.resolve(String.valueOf(v.id)));
        volumes.put(v.id, v);
        ObjectNode create = action("create_volume", v.id, "running");
        ArrayNode next = json.createArrayNode();
        List<ObjectNode> pending = new ArrayList<>(List.of(create));
        if (v.server != null) {
            ObjectNode a = action("attach_volume", v.id, "running");
            next.add(a);
            pending.add(a);
        }
        timers.schedule(() -> {
            synchronized (lock) {
                v.status = "available";
                pending.forEach(a -> finish(a, "success", null, null));
            }
        }, 300, TimeUnit.MILLISECONDS);
        ObjectNode root = json.createObjectNode();
        root.set("volume", volumeJson(v));
        root.set("action", create);
        root.set("next_actions", next);
        return ok(201, root);
    }

    private MockResponse attachVolume(long id, JsonNode body) {
        SimVolume v = volumes.get(id);
        if (v == null) {
            return notFound();
        }
        SimServer target = body == null ? null : servers.get(body.path("server").asLong());
        if (target == null) {
            return invalid("server", "server not found");
        }
        if (v.server != null) {
            return error(409, "volume_already_attached", "volume " + id + " is already attached to server " + v.server);
        }
        if (!v.location.equals(target.location)) {
            return invalid("server", "server and volume must be in the same location");
        }
        v.server = target.id;
        return ok(201, wrap("action", action("attach_volume", id, "success")));
    }

    private MockResponse detachVolume(long id) {
        SimVolume v = volumes.get(id);
        if (v == null) {
            return notFound();
        }
        v.server = null;
        return ok(201, wrap("action", action("detach_volume", id, "success")));
    }

    private MockResponse deleteVolume(long id) {
        SimVolume v = volumes.get(id);
        if (v == null) {
            return notFound();
        }
        if (v.server != null) {
            return error(423, "locked", "volume " + id + " is attached to server " + v.server + "; detach it first");
        }
        volumes.remove(id);
        Cmd.exec(Duration.ofSeconds(60), Map.of(), null, "rm", "-rf", v.disk.toString());
        return ok(204, null);
    }

    private ObjectNode volumeJson(SimVolume v) {
        ObjectNode n = json.createObjectNode();
        n.put("id", v.id).put("name", v.name).put("status", v.status).put("size", v.size).put("created", v.created.toString());
        if (v.server == null) {
            n.putNull("server");
        } else {
            n.put("server", v.server);
        }
        n.set("location", Catalogue.location(json, v.location));
        if (v.format == null) {
            n.putNull("format");
        } else {
            n.put("format", v.format);
        }
        n.put("linux_device", v.linuxDevice());
        n.putObject("protection").put("delete", false);
        ObjectNode labels = n.putObject("labels");
        v.labels.forEach(labels::put);
        return n;
    }

    /** The cloud-init {@code user_data} a server was created with. */
    public String userData(long serverId) {
        synchronized (lock) {
            SimServer s = servers.get(serverId);
            return s == null ? null : s.userData;
        }
    }

    /** Deletes a server as a user would in the Cloud Console: DockBridge is not asked. */
    public void deleteInConsole(long id) {
        synchronized (lock) {
            deleteServer(id);
        }
    }

    /** Volumes that exist now, as the API would return them. */
    public List<JsonNode> volumes() {
        synchronized (lock) {
            return volumes.values().stream().map(v -> (JsonNode) volumeJson(v)).toList();
        }
    }

    // ---- actions

    private ObjectNode action(String command, long resourceId, String status) {
        ObjectNode a = json.createObjectNode();
        long id = nextId++;
        a.put("id", id).put("command", command).put("status", status).put("progress", 0)
                .put("started", Instant.now().truncatedTo(ChronoUnit.SECONDS).toString()).putNull("finished");
        a.putArray("resources").addObject().put("id", resourceId)
                .put("type", command.contains("firewall") ? "firewall" : command.contains("volume") ? "volume" : "server");
        a.putNull("error");
        actions.put(id, a);
        if (!"running".equals(status)) {
            finish(a, status, null, null);
        }
        return a;
    }

    private ObjectNode finish(ObjectNode a, String status, String code, String message) {
        a.put("status", status).put("progress", 100).put("finished", Instant.now().truncatedTo(ChronoUnit.SECONDS).toString());
        if (code != null) {
            a.putObject("error").put("code", code).put("message", message);
        }
        return a;
    }

    private MockResponse getActions(HttpUrl url) {
        List<String> ids = url.queryParameterValues("id").stream().filter(s -> s != null).toList();
        if (ids.isEmpty()) {
            return error(400, "invalid_input", "id is required");
        }
        ObjectNode root = json.createObjectNode();
        ArrayNode array = root.putArray("actions");
        for (String id : ids) {
            ObjectNode a = actions.get(Long.parseLong(id));
            if (a != null) {
                array.add(a);
            }
        }
        root.putObject("meta").putObject("pagination").put("page", 1).put("per_page", 25).putNull("previous_page")
                .putNull("next_page").put("last_page", 1).put("total_entries", array.size());
        return ok(200, root);
    }

    // ---- responses

    private void refillRateLimit() {
        long now = System.currentTimeMillis();
        rateRemaining = Math.min(RATE_LIMIT, rateRemaining + (now - rateRefilledAt) / 1000.0);
        rateRefilledAt = now;
    }

    private MockResponse.Builder base(int status) {
        long missing = (long) Math.ceil(RATE_LIMIT - rateRemaining);
        return new MockResponse.Builder().code(status)
                .setHeader("RateLimit-Limit", RATE_LIMIT)
                .setHeader("RateLimit-Remaining", (long) Math.floor(rateRemaining))
                .setHeader("RateLimit-Reset", Instant.now().getEpochSecond() + missing)
                .setHeader("X-Correlation-Id", Long.toHexString(System.nanoTime()));
    }

    private MockResponse ok(int status, JsonNode body) {
        MockResponse.Builder b = base(status);
        if (body != null) {
            b.setHeader("Content-Type", "application/json").body(body.toString());
        }
        return b.build();
    }

    private ObjectNode wrap(String key, JsonNode value) {
        ObjectNode root = json.createObjectNode();
        root.set(key, value);
        return root;
    }

    private MockResponse notFound() {
        return error(404, "not_found", "resource not found");
    }

    private MockResponse invalid(String field, String message) {
        ObjectNode root = json.createObjectNode();
        ObjectNode error = root.putObject("error");
        error.put("code", "invalid_input").put("message", "invalid input in field '" + field + "': " + message);
        error.putObject("details").putArray("fields").addObject().put("name", field).putArray("messages").add(message);
        return base(422).setHeader("Content-Type", "application/json").body(root.toString()).build();
    }

    private MockResponse error(int status, String code, String message, String... fields) {
        ObjectNode root = json.createObjectNode();
        ObjectNode error = root.putObject("error");
        error.put("code", code).put("message", message);
        if (fields.length > 0) {
            ArrayNode f = error.putObject("details").putArray("fields");
            for (String field : fields) {
                f.addObject().put("name", field);
            }
        } else {
            error.putNull("details");
        }
        return base(status).setHeader("Content-Type", "application/json").body(root.toString()).build();
    }

    private MockResponse faultResponse(Fault f) {
        if (f.status() == 0) {
            return new MockResponse.Builder().onResponseStart(new SocketEffect.CloseSocket(true, false, false)).build();
        }
        if (f.malformed()) {
            return base(f.status()).setHeader("Content-Type", "application/json").body("{\"servers\": [ {\"id\": ").build();
        }
        MockResponse.Builder b = f.code() == null ? base(f.status()).body("<html>" + f.status() + " from a proxy</html>")
                : base(f.status()).setHeader("Content-Type", "application/json")
                        .body("{\"error\":{\"code\":\"" + f.code() + "\",\"message\":\"" + f.message() + "\",\"details\":null}}");
        f.headers().forEach(b::setHeader);
        return b.build();
    }

    private static String md5(String base64Key) {
        try {
            byte[] digest = MessageDigest.getInstance("MD5").digest(Base64.getDecoder().decode(base64Key));
            StringBuilder out = new StringBuilder();
            for (byte b : digest) {
                if (!out.isEmpty()) {
                    out.append(':');
                }
                out.append(String.format("%02x", b));
            }
            return out.toString();
        } catch (NoSuchAlgorithmException | IllegalArgumentException e) {
            throw new IllegalArgumentException("invalid public key");
        }
    }

    /** Deletes every server (stopping sshd, wiping Docker) and stops answering. */
    @Override
    public void close() {
        List<SimServer> left;
        synchronized (lock) {
            left = new ArrayList<>(servers.values());
            servers.clear();
        }
        for (SimServer s : left) {
            s.host.stopSshd(22);
            s.host.killMachineProcesses();
            try {
                s.host.useDockerData(null);
            } catch (IOException e) {
                // the host's engine is gone; the test bed's teardown removes the rest
            }
            s.host.wipeDocker();
        }
        timers.setExecuteExistingDelayedTasksAfterShutdownPolicy(false); // boots not yet due never happen
        timers.shutdown(); // a delete already wiping finishes
        try {
            timers.awaitTermination(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        try {
            fromServers.close();
        } catch (IOException e) {
            // closing: nothing to do
        }
        http.close();
        Cmd.exec(Duration.ofSeconds(60), Map.of(), null, "rm", "-rf", volumeDisks.toString());
    }
}

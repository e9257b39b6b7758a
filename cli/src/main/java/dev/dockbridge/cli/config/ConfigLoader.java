package dev.dockbridge.cli.config;

import java.io.IOException;
import java.net.InetAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.UnknownHostException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.regex.Pattern;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonDeserializer;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.exc.InvalidFormatException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import com.fasterxml.jackson.core.JsonToken;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Locale;

/**
 * Reads {@code config.yaml}: strict about keys and values, every error naming the key (and line) at fault.
 * A profile's section under {@code profiles:} overrides the top-level keys for that profile.
 */
public final class ConfigLoader {
    private static final Pattern LOOPBACK_V4 = Pattern.compile("127\\.\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}");
    private final ObjectMapper yaml = YAMLMapper.builder()
            .propertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            .disable(DeserializationFeature.ACCEPT_FLOAT_AS_INT)
            .addModule(new SimpleModule().addDeserializer(Duration.class, new DurationDeserializer()))
            .build();

    /**
     * @param file     the config file
     * @param explicit whether the user named the file ({@code --config}); a missing default file means defaults
     * @param profile  the profile whose overrides apply
     */
    public DockBridgeConfig load(Path file, boolean explicit, String profile) throws ConfigException {
        if (!Files.exists(file)) {
            if (explicit) {
                throw new ConfigException("config file " + file + " does not exist");
            }
            return validate(new DockBridgeConfig(null, null, null, null, null, null, null, null, null), file);
        }
        JsonNode tree;
        DockBridgeConfig whole;
        try {
            tree = yaml.readTree(file.toFile());
            if (tree == null || tree.isMissingNode() || tree.isNull()) {
                return validate(new DockBridgeConfig(null, null, null, null, null, null, null, null, null), file);
            }
            if (!tree.isObject()) {
                throw new ConfigException(file + ": expected a map of settings at the top level");
            }
            whole = yaml.readValue(file.toFile(), DockBridgeConfig.class); // binds every section, profiles included, with line numbers
        } catch (JsonProcessingException e) {
            throw describe(file, e, keyLocations(file));
        } catch (IOException e) {
            throw new ConfigException("cannot read config file " + file + ": " + e.getMessage(), e);
        }
        for (var entry : whole.profiles().entrySet()) {
            if (entry.getValue() != null && !entry.getValue().profiles().isEmpty()) {
                throw new ConfigException(file + ": profiles." + entry.getKey() + ".profiles: profiles cannot be nested");
            }
        }
        if (!tree.path("profiles").has(profile)) {
            return validate(whole, file);
        }
        ObjectNode merged = ((ObjectNode) tree).deepCopy();
        merged.remove("profiles");
        merge(merged, tree.path("profiles").path(profile));
        try {
            return validate(yaml.treeToValue(merged, DockBridgeConfig.class), file);
        } catch (JsonProcessingException e) {
            throw describe(file, e, Map.of()); // the merged tree has no lines; the first pass checked the file
        }
    }

    /** Where each key sits in the file, by JSON pointer ({@code /ssh/port}); Jackson reports where it stopped reading. */
    private Map<String, JsonLocation> keyLocations(Path file) {
        Map<String, JsonLocation> locations = new HashMap<>();
        try (JsonParser p = yaml.getFactory().createParser(file.toFile())) {
            while (p.nextToken() != null) {
                if (p.currentToken() == JsonToken.FIELD_NAME) {
                    locations.put(p.getParsingContext().pathAsPointer().toString(), p.currentTokenLocation());
                }
            }
        } catch (IOException e) {
            // a syntax error: the locations found before it are still right
        }
        return locations;
    }

    private static void merge(ObjectNode target, JsonNode overrides) {
        if (!overrides.isObject()) {
            return;
        }
        Iterator<Map.Entry<String, JsonNode>> fields = overrides.fields();
        while (fields.hasNext()) {
            Map.Entry<String, JsonNode> field = fields.next();
            JsonNode current = target.get(field.getKey());
            if (current instanceof ObjectNode currentObject && field.getValue().isObject()) {
                merge(currentObject, field.getValue());
            } else {
                target.set(field.getKey(), field.getValue());
            }
        }
    }

    private static ConfigException describe(Path file, JsonProcessingException e, Map<String, JsonLocation> keys) {
        JsonLocation at = e instanceof JsonMappingException m && !m.getPath().isEmpty()
                ? keys.getOrDefault(pointer(m), e.getLocation()) : e.getLocation();
        String where = location(at);
        if (e instanceof UnrecognizedPropertyException u) {
            String known = u.getKnownPropertyIds() == null ? "" : u.getKnownPropertyIds().stream()
                    .map(String::valueOf).sorted().collect(Collectors.joining(", "));
            return new ConfigException(file + ": unknown key '" + path(u) + "'" + where
                    + (known.isEmpty() ? "" : "; valid keys here: " + known), e);
        }
        if (e instanceof JsonMappingException m && !m.getPath().isEmpty()) {
            return new ConfigException(file + ": " + path(m) + ": " + valueProblem(m) + where, e);
        }
        return new ConfigException(file + ": invalid YAML" + where + ": " + e.getOriginalMessage().lines().findFirst().orElse(""), e);
    }

    private static String valueProblem(JsonMappingException m) {
        if (m instanceof InvalidFormatException f && f.getTargetType() != null && f.getTargetType().isEnum()) {
            String allowed = Arrays.stream(f.getTargetType().getEnumConstants())
                    .map(c -> c.toString().toLowerCase(Locale.ROOT).replace('_', '-'))
                    .collect(Collectors.joining(", "));
            return "'" + f.getValue() + "' is not one of: " + allowed;
        }
        if (m instanceof InvalidFormatException f) {
            return "'" + f.getValue() + "' is not a valid " + simpleType(f.getTargetType());
        }
        Throwable cause = m.getCause();
        if (cause instanceof IllegalArgumentException) {
            return cause.getMessage();
        }
        String original = m.getOriginalMessage();
        return original.lines().findFirst().orElse(original);
    }

    private static String simpleType(Class<?> type) {
        if (type == Integer.class || type == int.class || type == Long.class) {
            return "whole number";
        }
        if (type == Boolean.class || type == boolean.class) {
            return "boolean (true or false)";
        }
        return type == null ? "value" : type.getSimpleName();
    }

    private static String path(JsonMappingException e) {
        return e.getPath().stream()
                .map(r -> r.getFieldName() != null ? r.getFieldName() : "[" + r.getIndex() + "]")
                .collect(Collectors.joining(".")).replace(".[", "[");
    }

    private static String pointer(JsonMappingException e) {
        StringBuilder out = new StringBuilder();
        for (JsonMappingException.Reference r : e.getPath()) {
            out.append('/').append(r.getFieldName() != null ? r.getFieldName() : String.valueOf(r.getIndex()));
        }
        return out.toString();
    }

    private static String location(JsonLocation l) {
        return l == null || l.getLineNr() < 1 ? "" : " (line " + l.getLineNr() + ", column " + l.getColumnNr() + ")";
    }

    private static DockBridgeConfig validate(DockBridgeConfig c, Path file) throws ConfigException {
        var ssh = c.ssh();
        check(file, ssh.port() >= 1 && ssh.port() <= 65535, "ssh.port", "must be between 1 and 65535, got " + ssh.port());
        check(file, !ssh.user().isBlank(), "ssh.user", "must not be empty");
        positive(file, "ssh.keepalive_interval", ssh.keepaliveInterval());
        positive(file, "ssh.connect_timeout", ssh.connectTimeout());
        positive(file, "ssh.reconnect_wait", ssh.reconnectWait());
        check(file, ssh.keepaliveMaxMisses() >= 1, "ssh.keepalive_max_misses", "must be at least 1");
        if (c.provider() == DockBridgeConfig.Provider.SSH) {
            check(file, ssh.host() != null && !ssh.host().isBlank(), "ssh.host", "is required when provider is ssh");
        }
        check(file, c.remote().dockerSocket().startsWith("/"), "remote.docker_socket", "must be an absolute path on the host");
        positive(file, "idle.timeout", c.idle().timeout());
        check(file, !c.idle().unattendedTimeout().isNegative(), "idle.unattended_timeout", "must be 0 (off) or longer");
        check(file, c.idle().workingCpuPercent() >= 0, "idle.working_cpu_percent", "must be 0 or more (percent of one core; 0: any running container keeps the server)");
        positive(file, "hetzner.boot_timeout", c.hetzner().bootTimeout());
        var h = c.hetzner();
        check(file, h.location() == null || h.locations().equals(List.of(h.location())), "hetzner.location",
                "give either hetzner.location or hetzner.locations, not both");
        check(file, h.serverType() == null || h.serverTypes().equals(List.of(h.serverType())), "hetzner.server_type",
                "give either hetzner.server_type or hetzner.server_types, not both");
        nonEmptyNames(file, "hetzner.locations", h.locations());
        nonEmptyNames(file, "hetzner.server_types", h.serverTypes());
        int volume = c.hetzner().volumeSizeGb();
        check(file, volume == 0 || (volume >= 10 && volume <= 10240), "hetzner.volume_size_gb",
                "must be 0 (no volume) or between 10 and 10240, got " + volume);
        check(file, isHttpUrl(c.hetzner().endpoint()), "hetzner.endpoint", "'" + c.hetzner().endpoint() + "' is not an http(s) URL");
        check(file, !sendsTokenInClear(c.hetzner().endpoint()), "hetzner.endpoint", cleartextRefusal(c.hetzner().endpoint()));
        check(file, c.local().maxConnections() >= 1, "local.max_connections", "must be at least 1, got " + c.local().maxConnections());
        check(file, c.local().acceptsPerSecond() >= 1, "local.accepts_per_second", "must be at least 1, got " + c.local().acceptsPerSecond());
        positive(file, "local.first_byte_timeout", c.local().firstByteTimeout());
        for (String root : c.mounts().roots()) {
            check(file, root.startsWith("/") || root.equals("~") || root.startsWith("~/"), "mounts.roots",
                    "'" + root + "' is not an absolute path (or ~/...): name the folders whose binds are provided, e.g. ~/src");
        }
        for (String pattern : c.mounts().ignore()) {
            check(file, validGlob(pattern), "mounts.ignore", "'" + pattern + "' is not a glob pattern (e.g. node_modules, *.pyc, build/tmp/**)");
        }
        check(file, c.forward().maxConnections() >= 1, "forward.max_connections", "must be at least 1, got " + c.forward().maxConnections());
        for (String address : c.forward().bind()) {
            check(file, isLoopback(address), "forward.bind",
                    "'" + address + "' is not a loopback address; forwards only bind loopback (127.0.0.1, ::1)");
        }
        return c;
    }

    /**
     * Whether an API endpoint would carry the token unencrypted over a network: plain http to anything but this
     * machine's loopback (a local proxy or simulator may use http; the token never leaves the machine then).
     */
    public static boolean sendsTokenInClear(String url) {
        try {
            URI uri = new URI(url);
            if (!"http".equals(uri.getScheme()) || uri.getHost() == null) {
                return false;
            }
            String host = uri.getHost().replaceAll("^\\[|]$", "");
            return !(host.equalsIgnoreCase("localhost") || LOOPBACK_V4.matcher(host).matches() || host.equals("::1"));
        } catch (URISyntaxException e) {
            return false; // not a URL at all: reported as such
        }
    }

    public static String cleartextRefusal(String url) {
        return "'" + url + "' would send the API token in clear text: use https (plain http is accepted only for a loopback address)";
    }

    public static boolean isHttpUrl(String s) {
        try {
            URI uri = new URI(s);
            return ("https".equals(uri.getScheme()) || "http".equals(uri.getScheme())) && uri.getHost() != null;
        } catch (Exception e) {
            return false;
        }
    }

    private static boolean isLoopback(String address) {
        if (!address.matches("[0-9.]+|[0-9a-fA-F:]+")) {
            return false; // literals only: no name lookups while reading config
        }
        try {
            return InetAddress.getByName(address).isLoopbackAddress();
        } catch (UnknownHostException e) {
            return false;
        }
    }

    private static void nonEmptyNames(Path file, String key, List<String> names) throws ConfigException {
        check(file, !names.isEmpty(), key, "must name at least one");
        for (String name : names) {
            check(file, name != null && name.matches("[a-z0-9-]+"), key, "'" + name + "' is not a Hetzner name (such as nbg1 or cx23)");
        }
        check(file, names.stream().distinct().count() == names.size(), key, "names one twice: " + names);
    }

    private static void positive(Path file, String key, Duration d) throws ConfigException {
        check(file, !d.isNegative() && !d.isZero(), key, "must be longer than 0");
    }

    private static void check(Path file, boolean ok, String key, String problem) throws ConfigException {
        if (!ok) {
            throw new ConfigException(file + ": " + key + ": " + problem);
        }
    }

    private static final class DurationDeserializer extends JsonDeserializer<Duration> {
        @Override
        public Duration deserialize(JsonParser p, DeserializationContext ctxt) throws IOException {
            String text = p.getValueAsString();
            try {
                return Durations.parse(text == null ? p.getText() : text);
            } catch (IllegalArgumentException e) {
                throw JsonMappingException.from(p, e.getMessage(), e);
            }
        }
    }

    private static boolean validGlob(String pattern) {
        try {
            FileSystems.getDefault().getPathMatcher("glob:" + pattern);
            return !pattern.isBlank();
        } catch (RuntimeException e) {
            return false;
        }
    }
}

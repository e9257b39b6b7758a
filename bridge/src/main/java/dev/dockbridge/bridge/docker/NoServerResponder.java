package dev.dockbridge.bridge.docker;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * What DockBridge can truthfully say about the engine while no server runs: {@code /_ping} and {@code /version}
 * as the last engine answered them (the next server runs the same image); when the next server starts from nothing
 * (no data volume) the lists of containers, images and volumes are empty and inspects of them find nothing; anything else gets an error that says what brings a server
 * up. Nothing here creates a server.
 */
public final class NoServerResponder implements NoServerAnswers {
    private final BooleanSupplier noServer;
    private final BooleanSupplier nextServerStartsEmpty;
    private final Supplier<String> engineHeaders;
    private final Supplier<String> engineVersion;
    private final BooleanSupplier pingsHere;
    private final Clock clock;
    private static final DateTimeFormatter HTTP_DATE = DateTimeFormatter.ofPattern("EEE, dd MMM yyyy HH:mm:ss 'GMT'", Locale.US);

    /**
     * @param noServer              whether no server is up (and none is on its way)
     * @param nextServerStartsEmpty no data volume: whatever was on the last server is gone
     * @param engineHeaders         the last engine's {@code /_ping} header lines (CRLF-terminated), null if none was seen
     * @param engineVersion         the last engine's {@code /version} body, null if none was seen
     */
    public NoServerResponder(BooleanSupplier noServer, BooleanSupplier nextServerStartsEmpty, Supplier<String> engineHeaders,
            Supplier<String> engineVersion) {
        this(noServer, nextServerStartsEmpty, engineHeaders, engineVersion, () -> false, Clock.systemUTC());
    }

    /**
     * @param pingsHere whether a ready server's {@code /_ping} is answered here: true while it is ready and
     *                  {@code engineHeaders} are its engine's own (taken when it became ready)
     */
    public NoServerResponder(BooleanSupplier noServer, BooleanSupplier nextServerStartsEmpty, Supplier<String> engineHeaders,
            Supplier<String> engineVersion, BooleanSupplier pingsHere, Clock clock) {
        this.pingsHere = pingsHere;
        this.clock = clock;
        this.engineVersion = engineVersion;
        this.noServer = noServer;
        this.nextServerStartsEmpty = nextServerStartsEmpty;
        this.engineHeaders = engineHeaders;
    }

    @Override
    public boolean noServer() {
        return noServer.getAsBoolean();
    }

    @Override
    public boolean pingsHere() {
        return pingsHere.getAsBoolean();
    }

    @Override
    public boolean canAnswer(String method, String rawPath) {
        String path = RequestClass.normalize(rawPath);
        return switch (path) {
            case "/_ping" -> engineHeaders.get() != null;
            case "/version" -> engineVersion.get() != null;
            // counts, runtimes and swarm state of a live engine: docker-compose reads it before it builds and creates
            case "/info" -> false;
            default -> true;
        };
    }

    @Override
    public ByteBuffer answer(String method, String rawPath) {
        String path = RequestClass.normalize(rawPath);
        boolean head = "HEAD".equals(method);
        if (path.equals("/_ping")) {
            String headers = engineHeaders.get();
            if (headers != null) {
                return ping(headers, head);
            }
        }
        if (path.equals("/version")) {
            String version = engineVersion.get();
            if (version != null) {
                return json(200, "OK", version, head);
            }
        }
        if (nextServerStartsEmpty.getAsBoolean() && "GET".equals(method)) {
            switch (path) {
                case "/containers/json", "/images/json" -> {
                    return json(200, "OK", "[]", head);
                }
                case "/volumes" -> {
                    return json(200, "OK", "{\"Volumes\":[],\"Warnings\":null}", head);
                }
                default -> {
                    ByteBuffer missing = missingOnAFreshEngine(path, head);
                    if (missing != null) {
                        return missing;
                    }
                }
            }
        }
        String message = "dockbridge: no server is running (it was deleted when idle, or none was created yet); "
                + "this request only looks, so it does not bring one up. "
                + "A docker command that needs the engine (run, build, pull, create, compose up) or 'dockbridge server create' brings one up.";
        return json(503, "Service Unavailable", "{\"message\":" + quote(message) + "}", head);
    }

    /** Inspects of things a brand-new engine cannot have: docker-compose asks before it builds and creates them. */
    private static ByteBuffer missingOnAFreshEngine(String path, boolean head) {
        String[] p = path.split("/");
        if (p.length == 4 && p[1].equals("containers") && p[3].equals("json")) {
            return json(404, "Not Found", "{\"message\":" + quote("No such container: " + p[2]) + "}", head);
        }
        if (path.startsWith("/images/") && path.endsWith("/json") && path.length() > "/images//json".length()) {
            String name = path.substring("/images/".length(), path.length() - "/json".length());
            return json(404, "Not Found", "{\"message\":" + quote("No such image: " + name) + "}", head);
        }
        if (p.length == 3 && p[1].equals("volumes")) {
            return json(404, "Not Found", "{\"message\":" + quote("get " + p[2] + ": no such volume") + "}", head);
        }
        if (p.length == 3 && p[1].equals("networks") && !List.of("bridge", "host", "none").contains(p[2])) {
            return json(404, "Not Found", "{\"message\":" + quote("network " + p[2] + " not found") + "}", head);
        }
        return null;
    }

    private static String quote(String s) {
        StringBuilder out = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            if (c == '"' || c == '\\') {
                out.append('\\').append(c);
            } else if (c < 0x20) {
                out.append(String.format("\\u%04x", (int) c));
            } else {
                out.append(c);
            }
        }
        return out.append('"').toString();
    }

    private static ByteBuffer json(int status, String reason, String body, boolean headOnly) {
        return response(status, reason, "Content-Type: application/json\r\n", body, headOnly);
    }

    /**
     * The engine's own answer, laid out as Go's net/http writes it, so that only the date differs: the handler's
     * headers sorted by name (for HEAD the engine's handler sets the length and type itself), then the date, and for
     * GET the length and type the server adds after it.
     */
    private ByteBuffer ping(String engineHeaderLines, boolean headOnly) {
        List<String> lines = new ArrayList<>(List.of(engineHeaderLines.split("\r\n")));
        lines.removeIf(String::isBlank);
        String type = "Content-Type: text/plain; charset=utf-8";
        if (headOnly) {
            lines.add("Content-Length: 0");
            lines.add(type);
        }
        lines.sort(Comparator.comparing(l -> l.substring(0, Math.max(0, l.indexOf(':'))).toLowerCase(Locale.ROOT)));
        lines.add("Date: " + HTTP_DATE.format(clock.instant().atZone(ZoneOffset.UTC)));
        if (!headOnly) {
            lines.add("Content-Length: 2");
            lines.add(type);
        }
        String text = "HTTP/1.1 200 OK\r\n" + String.join("\r\n", lines) + "\r\n\r\n" + (headOnly ? "" : "OK");
        return ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8));
    }

    private static ByteBuffer response(int status, String reason, String headers, String body, boolean headOnly) {
        byte[] b = body.getBytes(StandardCharsets.UTF_8);
        String text = "HTTP/1.1 " + status + " " + reason + "\r\n" + headers + "Content-Length: " + (headOnly ? 0 : b.length) + "\r\n\r\n"
                + (headOnly ? "" : body);
        return ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8));
    }
}

package dev.dockbridge.bridge.docker;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
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

    /**
     * @param noServer              whether no server is up (and none is on its way)
     * @param nextServerStartsEmpty no data volume: whatever was on the last server is gone
     * @param engineHeaders         the last engine's {@code /_ping} header lines (CRLF-terminated), null if none was seen
     * @param engineVersion         the last engine's {@code /version} body, null if none was seen
     */
    public NoServerResponder(BooleanSupplier noServer, BooleanSupplier nextServerStartsEmpty, Supplier<String> engineHeaders,
            Supplier<String> engineVersion) {
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
                return response(200, "OK", headers + "Content-Type: text/plain; charset=utf-8\r\n", "OK", head);
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

    private static ByteBuffer response(int status, String reason, String headers, String body, boolean headOnly) {
        byte[] b = body.getBytes(StandardCharsets.UTF_8);
        String text = "HTTP/1.1 " + status + " " + reason + "\r\n" + headers + "Content-Length: " + (headOnly ? 0 : b.length) + "\r\n\r\n"
                + (headOnly ? "" : body);
        return ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8));
    }
}

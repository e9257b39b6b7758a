package dev.dockbridge.e2e.hetzner;

import java.util.Map;
import java.util.regex.Pattern;

/**
 * A scripted failure: the next {@code times} requests matching method and path get this answer instead of
 * the normal one. {@code status} 0 means "drop the connection without answering".
 */
public record Fault(String method, Pattern path, int times, int status, String code, String message, Map<String, String> headers,
                    boolean malformed, boolean performed) {

    public Fault(String method, Pattern path, int times, int status, String code, String message, Map<String, String> headers,
                 boolean malformed) {
        this(method, path, times, status, code, message, headers, malformed, false);
    }

    /** The request is carried out, but its answer is lost (the connection drops): the client cannot know it happened. */
    public static Fault answerLost(String method, String pathRegex, int times) {
        return new Fault(method, Pattern.compile(pathRegex), times, 0, null, null, Map.of(), false, true);
    }

    public static Fault error(String method, String pathRegex, int times, int status, String code, String message) {
        return new Fault(method, Pattern.compile(pathRegex), times, status, code, message, Map.of(), false);
    }

    public static Fault rateLimited(String method, String pathRegex, int times, long resetEpochSecond) {
        return new Fault(method, Pattern.compile(pathRegex), times, 429, "rate_limit_exceeded", "limit of 3600 requests per hour reached",
                Map.of("RateLimit-Limit", "3600", "RateLimit-Remaining", "0", "RateLimit-Reset", String.valueOf(resetEpochSecond)), false);
    }

    public static Fault dropConnection(String method, String pathRegex, int times) {
        return new Fault(method, Pattern.compile(pathRegex), times, 0, null, null, Map.of(), false);
    }

    public static Fault malformedBody(String method, String pathRegex, int times) {
        return new Fault(method, Pattern.compile(pathRegex), times, 200, null, null, Map.of(), true);
    }

    Fault used() {
        return new Fault(method, path, times - 1, status, code, message, headers, malformed, performed);
    }

    boolean matches(String requestMethod, String requestPath) {
        return times > 0 && method.equals(requestMethod) && path.matcher(requestPath).matches();
    }
}

package dev.dockbridge.hetzner.internal;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.ThreadLocalRandom;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.json.JsonMapper;

import dev.dockbridge.hetzner.HetznerApiException;
import dev.dockbridge.hetzner.RetryPolicy;
import dev.dockbridge.hetzner.Sleeper;
import okhttp3.HttpUrl;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import okhttp3.ResponseBody;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * HTTP to the Hetzner API: authentication, JSON, typed errors, retries where they are safe, and the
 * project's rate limit ({@code RateLimit-*} headers). Never logs or reports the token.
 */
public final class Transport {
    private static final Logger log = LoggerFactory.getLogger(Transport.class);
    private static final MediaType JSON = MediaType.get("application/json");

    /** Whether repeating a request can do harm: a create that may have happened must not simply be repeated. */
    public enum Kind { IDEMPOTENT, CREATE }

    public static final ObjectMapper MAPPER = JsonMapper.builder()
            .propertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .build();

    private final HttpUrl base;
    private final String token;
    private final OkHttpClient http;
    private final RetryPolicy retry;
    private final Sleeper sleeper;
    private final Clock clock;
    private volatile long rateLimitRemaining = Long.MAX_VALUE;
    private volatile long rateLimitResetEpochSecond;

    public Transport(HttpUrl base, String token, OkHttpClient http, RetryPolicy retry, Sleeper sleeper, Clock clock) {
        this.base = base;
        this.token = token;
        this.http = http;
        this.retry = retry;
        this.sleeper = sleeper;
        this.clock = clock;
    }

    public HttpUrl.Builder url(String path) {
        HttpUrl.Builder b = base.newBuilder();
        for (String segment : path.split("/")) {
            if (!segment.isEmpty()) {
                b.addPathSegment(segment);
            }
        }
        return b;
    }

    public JsonNode get(HttpUrl url) throws IOException {
        return send("GET", url, null, Kind.IDEMPOTENT);
    }

    public JsonNode post(HttpUrl url, Object body, Kind kind) throws IOException {
        return send("POST", url, body, kind);
    }

    /** PUT replaces what it names (labels: the whole set), so repeating it is harmless. */
    public JsonNode put(HttpUrl url, Object body) throws IOException {
        return send("PUT", url, body, Kind.IDEMPOTENT);
    }

    public JsonNode delete(HttpUrl url) throws IOException {
        return send("DELETE", url, null, Kind.IDEMPOTENT);
    }

    private JsonNode send(String method, HttpUrl url, Object body, Kind kind) throws IOException {
        String what = method + " " + url.encodedPath();
        for (int attempt = 1; ; attempt++) {
            awaitRateLimit();
            HetznerApiException failure;
            Duration wait = backoff(attempt);
            try (Response response = http.newCall(request(method, url, body)).execute()) {
                recordRateLimit(response);
                String text = readBody(response.body());
                if (response.isSuccessful()) {
                    JsonNode parsed = parse(text);
                    if (parsed != null) {
                        return parsed;
                    }
                    failure = new HetznerApiException(response.code(), "invalid_response", what + ": the Hetzner API answered "
                            + response.code() + " with a body that is not JSON", response.header("X-Correlation-Id"), null);
                    if (attempt >= retry.maxAttempts() || !retryable(failure, kind)) {
                        throw failure;
                    }
                    sleep(wait);
                    continue;
                }
                failure = error(what, response, text);
                if (response.code() == 429) {
                    wait = max(wait, untilReset());
                }
            } catch (HetznerApiException e) {
                throw e;
            } catch (InterruptedIOException e) {
                if (Thread.currentThread().isInterrupted()) {
                    throw e;
                }
                failure = new HetznerApiException(0, "timeout", what + ": no answer from the Hetzner API (" + e.getMessage() + ")", null, e);
            } catch (IOException e) {
                failure = new HetznerApiException(0, "network", what + ": cannot reach the Hetzner API (" + e.getMessage() + ")", null, e);
            }
            if (attempt >= retry.maxAttempts() || !retryable(failure, kind)) {
                throw failure;
            }
            log.info("hetzner api: {} failed ({}), retry {} of {} in {} ms", what, failure.code() != null ? failure.code() : failure.status(),
                    attempt, retry.maxAttempts() - 1, wait.toMillis());
            sleep(wait);
        }
    }

    private Request request(String method, HttpUrl url, Object body) throws IOException {
        RequestBody requestBody = body == null ? null : RequestBody.create(MAPPER.writeValueAsBytes(body), JSON);
        return new Request.Builder().url(url)
                .header("Authorization", "Bearer " + token)
                .header("Accept", "application/json")
                .header("User-Agent", "dockbridge")
                .method(method, requestBody)
                .build();
    }

    private static JsonNode parse(String text) {
        if (text.isEmpty()) {
            return MAPPER.createObjectNode();
        }
        try {
            return MAPPER.readTree(text);
        } catch (IOException e) {
            return null;
        }
    }

    private static String readBody(ResponseBody body) throws IOException {
        return body == null ? "" : body.string();
    }

    /** Which failures are worth repeating (hcloud-go's list plus {@code locked}); a create only when nothing was created. */
    static boolean retryable(HetznerApiException e, Kind kind) {
        String code = e.code() == null ? "" : e.code();
        if (e.status() == 429 || code.equals("conflict") || code.equals("locked") || code.equals("rate_limit_exceeded")) {
            return true;
        }
        if (kind == Kind.CREATE) {
            return false; // the create may have happened: the caller looks before it retries
        }
        return e.status() == 0 || "invalid_response".equals(code) || e.status() == 500 || e.status() == 502 || e.status() == 503 || e.status() == 504;
    }

    private HetznerApiException error(String what, Response response, String text) {
        String code = null;
        String message = null;
        try {
            JsonNode error = text.isEmpty() ? null : MAPPER.readTree(text).path("error");
            if (error != null && error.isObject()) {
                code = error.path("code").asText(null);
                message = error.path("message").asText(null);
            }
        } catch (IOException e) {
            // not JSON (a proxy's error page): the status code is all we know
        }
        String correlation = response.header("X-Correlation-Id");
        String detail = code != null ? code + ": " + message : "HTTP " + response.code();
        return new HetznerApiException(response.code(), code, what + " failed: " + detail
                + (correlation != null ? " (correlation id " + correlation + ")" : ""), message, correlation, null);
    }

    private void recordRateLimit(Response response) {
        String remaining = response.header("RateLimit-Remaining");
        String reset = response.header("RateLimit-Reset");
        try {
            if (remaining != null) {
                rateLimitRemaining = Long.parseLong(remaining.trim());
            }
            if (reset != null) {
                rateLimitResetEpochSecond = Long.parseLong(reset.trim());
            }
        } catch (NumberFormatException e) {
            // malformed header: keep the previous figures
        }
    }

    /** With the budget spent, wait for the reset rather than spend a request on a certain 429. */
    private void awaitRateLimit() throws IOException {
        if (rateLimitRemaining > 0) {
            return;
        }
        Duration wait = untilReset();
        if (wait.compareTo(retry.maxRateLimitWait()) > 0) {
            throw new HetznerApiException(429, "rate_limit_exceeded", "the Hetzner API rate limit of this project is used up until "
                    + Instant.ofEpochSecond(rateLimitResetEpochSecond) + "; other tools may share the token", null, null);
        }
        if (!wait.isZero()) {
            log.info("hetzner api: rate limit used up, waiting {} ms for its reset", wait.toMillis());
            sleep(wait);
        }
        rateLimitRemaining = Long.MAX_VALUE; // the next answer tells the truth again
    }

    private Duration untilReset() {
        long ms = rateLimitResetEpochSecond * 1000 - clock.millis();
        return ms <= 0 ? Duration.ZERO : Duration.ofMillis(Math.min(ms, retry.maxRateLimitWait().toMillis()));
    }

    private Duration backoff(int attempt) {
        long cap = Math.min(retry.maxDelay().toMillis(), retry.baseDelay().toMillis() << Math.min(attempt - 1, 20));
        return Duration.ofMillis(ThreadLocalRandom.current().nextLong(cap / 2, cap + 1)); // jitter, but never zero
    }

    private static Duration max(Duration a, Duration b) {
        return a.compareTo(b) >= 0 ? a : b;
    }

    private void sleep(Duration d) throws InterruptedIOException {
        try {
            sleeper.sleep(d);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while waiting to retry");
        }
    }
}

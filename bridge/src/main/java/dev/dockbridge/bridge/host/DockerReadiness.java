package dev.dockbridge.bridge.host;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.Locale;
import java.util.Set;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.dockbridge.bridge.tunnel.RemoteStream;
import dev.dockbridge.bridge.tunnel.Tunnel;
import dev.dockbridge.bridge.tunnel.TunnelException;

/** What "ready" means for a host: SSH answers with the trusted key and the remote Docker answers {@code /_ping}. */
final class DockerReadiness {
    private static final Logger log = LoggerFactory.getLogger(DockerReadiness.class);
    private static final Duration RETRY_INTERVAL = Duration.ofMillis(500);

    /** Headers of a /_ping answer that belong to this one exchange, not to the engine. */
    private static final Set<String> PER_EXCHANGE = Set.of("date", "content-length", "content-type", "connection", "transfer-encoding");

    private final String remoteSocket;
    private final Clock clock;
    private volatile String engineHeaders;
    private volatile String engineVersion;

    DockerReadiness(String remoteSocket, Clock clock) {
        this.remoteSocket = remoteSocket;
        this.clock = clock;
    }

    /** SSH with the trusted key, then Docker's {@code /_ping}; retried until {@code timeout} (zero: one try). */
    void await(Tunnel t, Duration timeout, long started) throws IOException {
        long deadline = clock.millis() + timeout.toMillis();
        boolean sshLogged = false;
        while (true) {
            try {
                t.connect();
                if (!sshLogged && !timeout.isZero()) {
                    log.info("provisioning: ssh answers with the pinned host key ({} s)", Math.round((clock.millis() - started) / 1000.0));
                    sshLogged = true;
                }
                ping(t);
                return;
            } catch (TunnelException e) {
                if (e.permanent() || clock.millis() >= deadline) {
                    throw timeout.isZero() ? e : new HostUnavailableException("the server did not become ready within "
                            + timeout.toSeconds() + " s: " + e.getMessage(), e);
                }
            } catch (IOException e) {
                if (clock.millis() >= deadline) {
                    throw timeout.isZero() ? e : new HostUnavailableException("Docker on the server did not answer within "
                            + timeout.toSeconds() + " s: " + e.getMessage(), e);
                }
            }
            try {
                Thread.sleep(RETRY_INTERVAL.toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new HostUnavailableException("interrupted while waiting for the server", e);
            }
        }
    }

    private void ping(Tunnel t) throws IOException {
        try (RemoteStream s = t.openUnixSocket(remoteSocket)) {
            byte[] request = "GET /_ping HTTP/1.1\r\nHost: docker\r\nConnection: close\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
            s.write(request, 0, request.length);
            StringBuilder answer = new StringBuilder();
            byte[] chunk;
            while ((chunk = s.read()) != null && answer.length() < 4096) {
                answer.append(new String(chunk, StandardCharsets.US_ASCII));
                s.release(chunk.length);
            }
            if (!answer.toString().startsWith("HTTP/1.1 200")) {
                String first = answer.toString().lines().findFirst().orElse("no answer");
                throw new IOException("Docker's /_ping answered '" + first + "'");
            }
            engineHeaders = versionHeaders(answer.toString());
            engineVersion = fetchVersion(t);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new HostUnavailableException("interrupted while pinging Docker", e);
        }
    }

    /** The last ready engine's own {@code /_ping} headers ({@code Api-Version}, {@code Ostype}, …), CRLF-terminated; null if none yet. */
    String engineHeaders() {
        return engineHeaders;
    }

    /** The last ready engine's {@code GET /version} body (JSON); null if none yet. */
    String engineVersion() {
        return engineVersion;
    }

    /** Best effort: HTTP/1.0, so the engine answers with a plain body and closes. */
    private String fetchVersion(Tunnel t) {
        try (RemoteStream s = t.openUnixSocket(remoteSocket)) {
            byte[] request = "GET /version HTTP/1.0\r\nHost: docker\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
            s.write(request, 0, request.length);
            StringBuilder answer = new StringBuilder();
            byte[] chunk;
            while ((chunk = s.read()) != null && answer.length() < 65536) {
                answer.append(new String(chunk, StandardCharsets.UTF_8));
                s.release(chunk.length);
            }
            String text = answer.toString();
            int body = text.indexOf("\r\n\r\n");
            return text.startsWith("HTTP/1.") && text.contains(" 200 ") && body > 0 ? text.substring(body + 4).strip() : engineVersion;
        } catch (IOException e) {
            log.debug("GET /version after the ping failed: {}", e.toString());
            return engineVersion;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return engineVersion;
        }
    }

    static String versionHeaders(String answer) {
        int end = answer.indexOf("\r\n\r\n");
        String head = end < 0 ? answer : answer.substring(0, end);
        StringBuilder out = new StringBuilder();
        for (String line : head.split("\r\n")) {
            int colon = line.indexOf(':');
            if (colon > 0 && !PER_EXCHANGE.contains(line.substring(0, colon).trim().toLowerCase(Locale.ROOT))) {
                out.append(line).append("\r\n");
            }
        }
        return out.toString();
    }
}

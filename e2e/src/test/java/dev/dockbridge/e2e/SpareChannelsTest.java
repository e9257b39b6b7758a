package dev.dockbridge.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

import dev.dockbridge.bridge.tunnel.IdentityFiles;
import dev.dockbridge.bridge.tunnel.KnownHostsTrust;
import dev.dockbridge.bridge.tunnel.RemoteStream;
import dev.dockbridge.bridge.tunnel.SshTarget;
import dev.dockbridge.bridge.tunnel.SshTunnel;
import dev.dockbridge.e2e.testbed.TestBed;

/**
 * Issue 13: channels to the remote engine's socket are open before a connection needs one (no channel-open round trip
 * per docker command), are made only once the socket was used, replaced as taken, and gone when nobody took one for
 * two minutes. Real sshd, real dockerd.
 */
@ExtendWith(TestBedExtension.class)
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class SpareChannelsTest {

    @Test
    void sparesAreReadyAfterAUseWorkLikeAnyChannelAndGoWhenIdle(TestBed bed) throws Exception {
        AtomicReference<Instant> now = new AtomicReference<>(Instant.now());
        Clock clock = new Clock() {
            @Override
            public ZoneId getZone() {
                return ZoneOffset.UTC;
            }

            @Override
            public Clock withZone(ZoneId zone) {
                return this;
            }

            @Override
            public Instant instant() {
                return now.get();
            }
        };
        SshTarget target = new SshTarget(bed.host(1).address(), 22, "root", IdentityFiles.load(bed.clientKey()), bed.clientKey().toString(),
                new KnownHostsTrust(bed.knownHosts(), false), Duration.ofSeconds(10), Duration.ofSeconds(5), 3, Duration.ofSeconds(30), null);
        String socket = bed.host(1).dockerSocket().toString();
        try (SshTunnel tunnel = new SshTunnel(target, clock)) {
            tunnel.connect();
            assertThat(tunnel.spareChannels(socket)).as("none before the socket is used").isZero();

            assertThat(ping(tunnel.openUnixSocket(socket))).contains("200 OK").endsWith("OK");
            await().atMost(Duration.ofSeconds(5)).until(() -> tunnel.spareChannels(socket) == 2);

            // a taken spare is a channel like any other, and is replaced
            for (int i = 0; i < 5; i++) {
                assertThat(ping(tunnel.openUnixSocket(socket))).contains("200 OK").contains("Api-Version");
            }
            await().atMost(Duration.ofSeconds(5)).until(() -> tunnel.spareChannels(socket) == 2);

            now.set(now.get().plus(Duration.ofMinutes(3))); // nobody took one for longer than two minutes
            await().atMost(Duration.ofSeconds(25)).until(() -> tunnel.spareChannels(socket) == 0);
            assertThat(tunnel.sessionOpen()).isTrue();
        }
    }

    private static String ping(RemoteStream stream) throws Exception {
        try (stream) {
            byte[] request = "GET /_ping HTTP/1.1\r\nHost: docker\r\nConnection: close\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
            stream.write(request, 0, request.length);
            StringBuilder answer = new StringBuilder();
            byte[] chunk;
            while ((chunk = stream.read()) != null) {
                answer.append(new String(chunk, StandardCharsets.US_ASCII));
                stream.release(chunk.length);
            }
            return answer.toString();
        }
    }
}

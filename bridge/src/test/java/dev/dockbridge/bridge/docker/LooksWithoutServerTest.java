package dev.dockbridge.bridge.docker;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import dev.dockbridge.bridge.tunnel.RemoteStream;


/**
 * The proxy answers looks itself while no server runs, on a real unix socket, and hands the first request that
 * needs the engine upstream from its first byte: nothing before it, nothing of it lost.
 */
class LooksWithoutServerTest {
    private static final String PING = "HEAD /_ping HTTP/1.1\r\nHost: docker\r\n\r\n";
    private static final String LIST = "GET /v1.41/containers/json HTTP/1.1\r\nHost: docker\r\n\r\n";
    private static final String CREATE = "POST /v1.41/containers/create HTTP/1.1\r\nHost: docker\r\nContent-Length: 2\r\n\r\n{}";

    private final AtomicInteger opened = new AtomicInteger();
    private final ByteArrayOutputStream upstreamGot = new ByteArrayOutputStream();
    private final CompletableFuture<Void> upstreamWrote = new CompletableFuture<>();
    private DockerSocketProxy proxy;

    private final NoServerAnswers answers = new NoServerResponder(() -> true, () -> true,
            () -> "Api-Version: 1.41\r\nOstype: linux\r\n", () -> "{\"ApiVersion\":\"1.41\"}");

    private final DockerUpstream upstream = () -> {
        opened.incrementAndGet();
        return new QueuedRemoteStream((stream, bytes) -> {
            synchronized (upstreamGot) {
                upstreamGot.writeBytes(bytes);
                if (upstreamGot.toString(StandardCharsets.ISO_8859_1).endsWith("{}")) {
                    upstreamWrote.complete(null);
                    stream.reply("HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
                }
            }
        });
    };

    @AfterEach
    void stop() {
        if (proxy != null) {
            proxy.close();
        }
    }

    private SocketChannel connect() throws IOException {
        return connect(answers);
    }

    private SocketChannel connect(NoServerAnswers answers) throws IOException {
        Path dir = Files.createTempDirectory("dblooks");
        Path socket = dir.resolve("docker.sock");
        proxy = new DockerSocketProxy(socket, upstream, () -> false, answers, null, DockerSocketProxy.ProxyListener.NONE, ConnectionLimits.DEFAULTS);
        proxy.start();
        SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX);
        ch.connect(UnixDomainSocketAddress.of(socket));
        return ch;
    }

    private static String readSome(SocketChannel ch, String until) throws IOException {
        InputStream in = Channels.newInputStream(ch);
        StringBuilder got = new StringBuilder();
        byte[] b = new byte[4096];
        while (!got.toString().contains(until)) {
            int n = in.read(b);
            if (n < 0) {
                break;
            }
            got.append(new String(b, 0, n, StandardCharsets.ISO_8859_1));
        }
        return got.toString();
    }

    @Test
    void looksAreAnsweredHereAndTheFirstUseGoesUpstreamWhole() throws Exception {
        SocketChannel ch = connect();
        // one keep-alive connection, the create split in the middle of its head
        ch.write(ByteBuffer.wrap((PING + LIST + CREATE.substring(0, 20)).getBytes(StandardCharsets.ISO_8859_1)));
        String answered = readSome(ch, "[]");
        // HEAD: the engine's headers with the length and type its handler sets, sorted as Go writes them, then the date
        assertThat(answered).startsWith("HTTP/1.1 200 OK\r\nApi-Version: 1.41\r\nContent-Length: 0\r\nContent-Type: text/plain; charset=utf-8\r\n"
                + "Ostype: linux\r\nDate: ").containsPattern("Date: \\w{3}, \\d{2} \\w{3} \\d{4} \\d{2}:\\d{2}:\\d{2} GMT\r\n\r\nHTTP/1.1 200 OK")
                .endsWith("Content-Length: 2\r\n\r\n[]");
        Thread.sleep(200);
        assertThat(opened).as("looks bring no server up").hasValue(0);
        ch.write(ByteBuffer.wrap(CREATE.substring(20).getBytes(StandardCharsets.ISO_8859_1)));
        upstreamWrote.get(10, TimeUnit.SECONDS);
        assertThat(opened).hasValue(1);
        assertThat(upstreamGot.toString(StandardCharsets.ISO_8859_1)).as("exactly the request that needs the engine").isEqualTo(CREATE);
        assertThat(readSome(ch, "201 Created")).contains("201 Created");
        ch.close();
    }

    @Test
    void aReadyServersPingIsAnsweredHereWhileTheChannelOpensAndTheRestGoesUpstreamWhole() throws Exception {
        NoServerAnswers ready = new NoServerResponder(() -> false, () -> false, () -> "Api-Version: 1.41\r\nOstype: linux\r\n",
                () -> "{\"ApiVersion\":\"1.41\"}", () -> true, Clock.systemUTC());
        SocketChannel ch = connect(ready);
        ch.write(ByteBuffer.wrap(PING.getBytes(StandardCharsets.ISO_8859_1)));
        assertThat(readSome(ch, "\r\n\r\n")).startsWith("HTTP/1.1 200 OK\r\nApi-Version: 1.41\r\n").contains("Ostype: linux");
        Thread.sleep(200);
        assertThat(opened).as("the channel opened at once, in parallel").hasValue(1);
        assertThat(upstreamGot.size()).as("the ping never went upstream").isZero();
        ch.write(ByteBuffer.wrap((LIST + CREATE).getBytes(StandardCharsets.ISO_8859_1)));
        upstreamWrote.get(10, TimeUnit.SECONDS);
        assertThat(upstreamGot.toString(StandardCharsets.ISO_8859_1)).as("everything after the ping, whole: a list is the engine's").isEqualTo(LIST + CREATE);
        assertThat(readSome(ch, "201 Created")).contains("201 Created");
        assertThat(opened).hasValue(1);
        ch.close();
    }

    @Test
    @Timeout(20)
    void aPollerWhosePingFoundTheServerReadyButWhoseListCameAfterItsDeletionBringsNoServerBack() throws Exception {
        AtomicBoolean deleted = new AtomicBoolean();
        NoServerAnswers answers = new NoServerResponder(deleted::get, () -> true, () -> "Api-Version: 1.41\r\nOstype: linux\r\n",
                () -> "{\"ApiVersion\":\"1.41\"}", () -> !deleted.get(), Clock.systemUTC());
        DockerUpstream lateForTheServer = new DockerUpstream() {
            @Override
            public RemoteStream open() throws IOException {
                return upstream.open(); // would bring a server up (or call the deletion off)
            }

            @Override
            public RemoteStream openIfReady() {
                deleted.set(true); // the idle deletion began between the client's connect and this open
                return null;
            }
        };
        Path socket = Files.createTempDirectory("dblooks").resolve("docker.sock");
        proxy = new DockerSocketProxy(socket, lateForTheServer, () -> true, answers, null, DockerSocketProxy.ProxyListener.NONE,
                ConnectionLimits.DEFAULTS);
        proxy.start();
        try (SocketChannel ch = SocketChannel.open(UnixDomainSocketAddress.of(socket))) {
            ch.write(ByteBuffer.wrap((PING + LIST).getBytes(StandardCharsets.ISO_8859_1)));
            String answered = readSome(ch, "[]");
            assertThat(answered).startsWith("HTTP/1.1 200 OK\r\nApi-Version: 1.41\r\n").endsWith("Content-Length: 2\r\n\r\n[]");
            ch.write(ByteBuffer.wrap(CREATE.getBytes(StandardCharsets.ISO_8859_1)));
            upstreamWrote.get(10, TimeUnit.SECONDS);
            assertThat(upstreamGot.toString(StandardCharsets.ISO_8859_1)).as("a person's command still brings one up").isEqualTo(CREATE);
        }
        assertThat(opened).as("only the create opened upstream").hasValue(1);
    }

    @Test
    void aClientThatOnlyLooksNeverOpensUpstream() throws Exception {
        SocketChannel ch = connect();
        ch.write(ByteBuffer.wrap(("GET /v1.41/version HTTP/1.1\r\nHost: docker\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1)));
        assertThat(readSome(ch, "ApiVersion")).contains("200 OK").contains("{\"ApiVersion\":\"1.41\"}");
        ch.close();
        Thread.sleep(300);
        assertThat(opened).hasValue(0);
    }
}

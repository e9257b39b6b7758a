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

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The proxy holds only the requests its rewriter wants, whole, however the client's writes split them, and sends the
 * rewritten body with its new length; every other byte goes upstream as it came, and a refusal reaches the client as
 * the Docker API's error while nothing of the request goes upstream.
 */
class RequestRewriteTest {
    private static final String PING = "GET /_ping HTTP/1.1\r\nHost: docker\r\n\r\n";
    private static final String LIST = "GET /v1.43/containers/json?all=1 HTTP/1.1\r\nHost: docker\r\n\r\n";
    private static final String BODY = "{\"HostConfig\":{\"Binds\":[\"/home/me/src:/app\"]}}";
    private static final String CREATE = "POST /v1.43/containers/create?name=x HTTP/1.1\r\nHost: docker\r\nContent-Type: application/json\r\n"
            + "Content-Length: " + BODY.length() + "\r\n\r\n" + BODY;

    private final ByteArrayOutputStream upstreamGot = new ByteArrayOutputStream();
    private DockerSocketProxy proxy;

    private final RequestRewriter rewriter = new RequestRewriter() {
        @Override
        public boolean wants(String method, String path) {
            return method.equals("POST") && RequestClass.normalize(path).equals("/containers/create");
        }

        @Override
        public byte[] rewrite(String method, String path, byte[] body) throws Refused {
            String b = new String(body, StandardCharsets.UTF_8);
            if (b.contains("/refuse")) {
                throw new Refused(500, "dockbridge: cannot provide /refuse");
            }
            return b.replace("/home/me/src", "/var/lib/dockbridge/mounts/home/me/src").getBytes(StandardCharsets.UTF_8);
        }
    };

    private final DockerUpstream upstream = () -> new QueuedRemoteStream((stream, bytes) -> {
        synchronized (upstreamGot) {
            upstreamGot.writeBytes(bytes);
        }
    });

    @AfterEach
    void stop() {
        if (proxy != null) {
            proxy.close();
        }
    }

    private SocketChannel connect() throws IOException {
        Path socket = Files.createTempDirectory("dbrewrite").resolve("docker.sock");
        proxy = new DockerSocketProxy(socket, upstream, () -> false, null, rewriter, DockerSocketProxy.ProxyListener.NONE, ConnectionLimits.DEFAULTS);
        proxy.start();
        SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX);
        ch.connect(UnixDomainSocketAddress.of(socket));
        return ch;
    }

    private String got() {
        synchronized (upstreamGot) {
            return upstreamGot.toString(StandardCharsets.ISO_8859_1);
        }
    }

    private void waitForUpstream(int bytes) throws InterruptedException {
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (got().length() < bytes && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
    }

    private static String rewritten(String body) {
        String b = body.replace("/home/me/src", "/var/lib/dockbridge/mounts/home/me/src");
        return "POST /v1.43/containers/create?name=x HTTP/1.1\r\nHost: docker\r\nContent-Type: application/json\r\nContent-Length: " + b.length()
                + "\r\n\r\n" + b;
    }

    @Test
    void aCreateSplitAnywhereIsHeldWholeAndTheRestPassesAsItCame() throws Exception {
        SocketChannel ch = connect();
        String all = PING + CREATE + LIST;
        for (int i = 0; i < all.length(); i += 7) { // writes that split heads, the body and the next request
            ch.write(ByteBuffer.wrap(all.substring(i, Math.min(all.length(), i + 7)).getBytes(StandardCharsets.ISO_8859_1)));
            Thread.sleep(1);
        }
        String expected = PING + rewritten(BODY) + LIST;
        waitForUpstream(expected.length());
        assertThat(got()).isEqualTo(expected);
        ch.close();
    }

    @Test
    void aChunkedCreateGoesOnWithALength() throws Exception {
        SocketChannel ch = connect();
        String chunked = "POST /v1.43/containers/create?name=x HTTP/1.1\r\nHost: docker\r\nContent-Type: application/json\r\n"
                + "Transfer-Encoding: chunked\r\n\r\n" + Integer.toHexString(10) + "\r\n" + BODY.substring(0, 10) + "\r\n"
                + Integer.toHexString(BODY.length() - 10) + "\r\n" + BODY.substring(10) + "\r\n0\r\n\r\n";
        ch.write(ByteBuffer.wrap((chunked + PING).getBytes(StandardCharsets.ISO_8859_1)));
        String expected = rewritten(BODY) + PING;
        waitForUpstream(expected.length());
        assertThat(got()).isEqualTo(expected);
        ch.close();
    }

    @Test
    void aRefusedCreateIsAnsweredWithTheReasonAndNeverSent() throws Exception {
        SocketChannel ch = connect();
        String body = "{\"HostConfig\":{\"Binds\":[\"/refuse:/app\"]}}";
        String create = "POST /v1.43/containers/create HTTP/1.1\r\nHost: docker\r\nContent-Length: " + body.length() + "\r\n\r\n" + body;
        ch.write(ByteBuffer.wrap((PING + create).getBytes(StandardCharsets.ISO_8859_1)));
        ch.shutdownOutput();
        InputStream in = Channels.newInputStream(ch);
        String reply = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        assertThat(reply).startsWith("HTTP/1.1 500 ").contains("{\"message\":\"dockbridge: cannot provide /refuse\"}");
        assertThat(got()).as("only what came before it").isEqualTo(PING);
    }
}

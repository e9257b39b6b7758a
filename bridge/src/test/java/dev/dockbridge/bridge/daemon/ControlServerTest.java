package dev.dockbridge.bridge.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(30)
class ControlServerTest {
    @TempDir
    Path dir;
    private ControlServer server;
    private Path socket;

    @BeforeEach
    void start() throws IOException {
        socket = dir.resolve("control.sock");
        server = new ControlServer(socket, Map.of("status", request -> Map.of("state", "ready")), Duration.ofMillis(500));
        server.start();
    }

    @AfterEach
    void stop() {
        server.close();
    }

    private SocketChannel connect() throws IOException {
        SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX);
        ch.connect(UnixDomainSocketAddress.of(socket));
        return ch;
    }

    private static String readAll(SocketChannel ch) throws IOException {
        ByteBuffer buf = ByteBuffer.allocate(4096);
        StringBuilder out = new StringBuilder();
        while (ch.read(buf) >= 0) {
            buf.flip();
            out.append(StandardCharsets.UTF_8.decode(buf));
            buf.clear();
        }
        return out.toString();
    }

    private String ask(String line) throws IOException {
        try (SocketChannel ch = connect()) {
            ch.write(ByteBuffer.wrap(line.getBytes(StandardCharsets.UTF_8)));
            return readAll(ch);
        }
    }

    @Test
    void answersARequest() throws IOException {
        assertThat(ask("{\"command\":\"status\"}\n")).contains("\"state\":\"ready\"");
        assertThat(ask("{\"command\":\"nope\"}\n")).contains("unknown command 'nope'");
        assertThat(Files.getPosixFilePermissions(socket)).hasSize(2); // rw for the owner only
    }

    @Test
    void aClientThatSendsNothingIsCutOffAndDoesNotHoldOthersUp() throws IOException {
        List<SocketChannel> silent = new ArrayList<>();
        try {
            for (int i = 0; i < 20; i++) { // more than the workers
                silent.add(connect());
            }
            // the silent ones are cut off after the read timeout; then a real request is answered
            String answer = "";
            long until = System.nanoTime() + Duration.ofSeconds(20).toNanos();
            while (!answer.contains("ready") && System.nanoTime() < until) {
                answer = ask("{\"command\":\"status\"}\n");
            }
            assertThat(answer).contains("\"state\":\"ready\"");
            for (SocketChannel ch : silent) {
                assertThat(readAll(ch)).as("closed by the server without an answer").isEmpty();
            }
        } finally {
            for (SocketChannel ch : silent) {
                ch.close();
            }
        }
    }

    @Test
    void anOversizedRequestIsRefused() throws IOException {
        String huge = "{\"command\":\"status\",\"x\":\"" + "a".repeat(ControlServer.MAX_REQUEST_BYTES) + "\"}\n";
        try (SocketChannel ch = connect()) {
            ByteBuffer buf = ByteBuffer.wrap(huge.getBytes(StandardCharsets.UTF_8));
            try {
                while (buf.hasRemaining()) {
                    ch.write(buf);
                }
            } catch (IOException e) {
                // the server may close before we are done writing
            }
            assertThat(readAll(ch)).contains("request longer than " + ControlServer.MAX_REQUEST_BYTES + " bytes");
        }
    }

    @Test
    void aFloodIsAnsweredBusyNotWithAThreadEach() throws IOException {
        List<SocketChannel> flood = new ArrayList<>();
        try {
            for (int i = 0; i < 60; i++) { // 8 workers + 32 queued: the rest is refused at once
                flood.add(connect());
            }
            int busy = 0;
            for (SocketChannel ch : flood) {
                if (readAll(ch).contains("busy")) {
                    busy++;
                }
            }
            assertThat(busy).isGreaterThanOrEqualTo(60 - 8 - 32);
            assertThat(Thread.getAllStackTraces().keySet().stream().filter(t -> t.getName().startsWith("control-request")).count())
                    .isLessThanOrEqualTo(8);
        } finally {
            for (SocketChannel ch : flood) {
                ch.close();
            }
        }
    }
}

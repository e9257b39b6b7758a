package dev.dockbridge.bridge.tunnel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.util.Arrays;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.apache.sshd.client.session.ClientSession;
import org.apache.sshd.common.session.ConnectionService;
import org.apache.sshd.core.CoreModuleProperties;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A stream over a real SSH channel (Apache SSHD in process; the command echoes its input): a write returns before the
 * session sent its bytes (it waits for the one before), the caller may reuse its array at once, and what arrives is what
 * was written; a write that can no longer go out is reported.
 */
class ChannelRemoteStreamTest {
    private static final int CHUNK = 256 * 1024;

    /** The server's window: a chunk is more than it takes before the command reads. */
    private static final int SERVER_WINDOW = 64 * 1024;

    private final CountDownLatch reading = new CountDownLatch(1);
    private InProcessSshServer server;
    private SshTunnel tunnel;

    @BeforeEach
    void start() throws Exception {
        server = InProcessSshServer.start(s -> {
            s.setCommandFactory((channel, command) -> new InProcessSshServer.Echo(reading));
            CoreModuleProperties.WINDOW_SIZE.set(s, (long) SERVER_WINDOW);
        });
        tunnel = new SshTunnel(server.target(Duration.ofSeconds(10)), Clock.systemUTC());
        tunnel.connect();
    }

    @AfterEach
    void stop() throws Exception {
        tunnel.close();
        server.close();
    }

    @Test
    @Timeout(60)
    void theCallersArrayIsFreeOnceAWriteReturnsAndEveryByteArrivesInOrder() throws Exception {
        RemoteStream stream = open();
        byte[] data = new byte[20 * CHUNK + 12_345];
        new Random(7).nextBytes(data);
        ByteArrayOutputStream back = new ByteArrayOutputStream();
        Thread reader = new Thread(() -> readAll(stream, back));
        reader.start();

        byte[] reused = new byte[CHUNK]; // as the docker socket's reader does: one array, refilled after each write
        for (int at = 0; at < data.length; at += CHUNK) {
            int n = Math.min(CHUNK, data.length - at);
            System.arraycopy(data, at, reused, 0, n);
            // the first returns while the command reads nothing and the server's window holds a quarter of it: the
            // caller reads its next chunk meanwhile
            stream.write(reused, 0, n);
            Arrays.fill(reused, (byte) 0x55); // would reach the server if the write still used the array
            reading.countDown();
        }
        stream.shutdownOutput();
        reader.join(TimeUnit.SECONDS.toMillis(30));

        assertThat(back.toByteArray()).isEqualTo(data);
        stream.close();
    }

    @Test
    @Timeout(60)
    void aWriteThatCannotGoOutIsReported() throws Exception {
        reading.countDown();
        RemoteStream stream = open();
        stream.write(new byte[CHUNK], 0, CHUNK);

        server.close(); // the server goes away with the write in flight or just sent

        assertThatThrownBy(() -> {
            for (int i = 0; i < 1_000; i++) {
                stream.write(new byte[CHUNK], 0, CHUNK);
            }
            stream.shutdownOutput();
        }).isInstanceOf(IOException.class);
    }

    private RemoteStream open() throws Exception {
        ClientSession session = tunnel.session();
        DialStdioChannel channel = new DialStdioChannel("/var/run/docker.sock");
        session.getService(ConnectionService.class).registerChannel(channel);
        channel.open().verify(10, TimeUnit.SECONDS);
        return new ChannelRemoteStream(channel);
    }

    private static void readAll(RemoteStream stream, ByteArrayOutputStream into) {
        try {
            for (byte[] chunk; (chunk = stream.read()) != null; ) {
                into.write(chunk);
                stream.release(chunk.length);
            }
        } catch (IOException | InterruptedException e) {
            throw new IllegalStateException(e);
        }
    }
}

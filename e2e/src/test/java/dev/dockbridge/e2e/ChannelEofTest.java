package dev.dockbridge.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

import dev.dockbridge.bridge.tunnel.CommandResult;
import dev.dockbridge.bridge.tunnel.RemoteStream;
import dev.dockbridge.bridge.tunnel.SshTunnel;
import dev.dockbridge.bridge.tunnel.Tunnel;
import dev.dockbridge.e2e.testbed.TestBed;

/**
 * OpenSSH ends the whole session, with every docker connection and forward on it, when a channel's data or EOF arrives
 * after the channel is gone ("data packet referred to nonexistent channel"). A command that ends without reading its
 * input closes its channel while the input is still being written: no byte of it may follow the close. Without
 * ChannelWriteGate this class failed in about one run of three (2 of 6 runs, sshd's log naming the data packet).
 */
@ExtendWith(TestBedExtension.class)
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class ChannelEofTest {

    @Test
    void aCommandThatEndsWithoutReadingItsInputLeavesTheSessionUp(TestBed bed) throws Exception {
        try (SshTunnel tunnel = new SshTunnel(TestSsh.target(bed), Clock.systemUTC())) {
            List<String> lost = losses(tunnel);
            byte[] input = new byte[8 * 1024 * 1024]; // more than the channel's window: the writer waits as the command ends
            for (int i = 0; i < 5; i++) {
                CommandResult r = tunnel.run("exit 3", input, Duration.ofSeconds(20));
                assertThat(r.exitStatus()).as(r.describe()).isEqualTo(3);
                CommandResult next = tunnel.run("echo still here", Duration.ofSeconds(10));
                assertThat(next.output()).as(next.describe()).contains("still here");
                assertThat(lost).as("the session was never lost").isEmpty();
            }
        }
    }

    /** The engine ends an HTTP/1.0 exchange, and the client's end of its request comes after: each time, the session stays. */
    @Test
    void anEofAfterTheEngineClosedLeavesTheSessionUp(TestBed bed) throws Exception {
        try (SshTunnel tunnel = new SshTunnel(TestSsh.target(bed), Clock.systemUTC())) {
            List<String> lost = losses(tunnel);
            byte[] ping = "GET /_ping HTTP/1.0\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
            for (int i = 0; i < 200 && lost.isEmpty(); i++) {
                RemoteStream s = tunnel.openUnixSocket(bed.host(1).dockerSocket().toString());
                try {
                    s.write(ping, 0, ping.length);
                    StringBuilder answer = new StringBuilder();
                    for (byte[] chunk; (chunk = s.read()) != null; ) {
                        answer.append(new String(chunk, StandardCharsets.US_ASCII));
                        s.release(chunk.length);
                    }
                    assertThat(answer).contains("200 OK");
                    Thread.sleep(i % 3); // the engine's close arrives before, while or after the client's end
                    s.shutdownOutput();
                } finally {
                    s.close();
                }
            }
            assertThat(lost).as("the session was never lost").isEmpty();
            assertThat(tunnel.run("echo still here", Duration.ofSeconds(10)).output()).contains("still here");
        }
    }

    /** The addresses of the sessions the tunnel loses from now on. */
    private static List<String> losses(SshTunnel tunnel) {
        List<String> lost = new CopyOnWriteArrayList<>();
        tunnel.addListener(new Tunnel.Listener() {
            @Override
            public void lost(String address) {
                lost.add(address);
            }
        });
        return lost;
    }
}

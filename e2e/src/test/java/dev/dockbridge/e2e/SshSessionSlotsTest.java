package dev.dockbridge.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

import dev.dockbridge.bridge.tunnel.CommandResult;
import dev.dockbridge.bridge.tunnel.RemoteProcess;
import dev.dockbridge.bridge.tunnel.SshTunnel;
import dev.dockbridge.e2e.testbed.TestBed;

/**
 * OpenSSH allows ten session channels per connection (MaxSessions) and keeps one the client gave up on before the
 * server confirmed it until the connection ends: every command the daemon runs on the one connection would then
 * be refused ("open failed"). A caller interrupted while its command's channel opens must not cost a slot.
 */
@ExtendWith(TestBedExtension.class)
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class SshSessionSlotsTest {

    @Test
    void commandsGivenUpOnWhileOpeningLeaveTheSessionSlotsFree(TestBed bed) throws Exception {
        try (SshTunnel tunnel = new SshTunnel(TestSsh.target(bed), Clock.systemUTC())) {
            assertThat(tunnel.run("true", Duration.ofSeconds(10)).succeeded()).isTrue();

            for (int i = 0; i < 15; i++) { // more than MaxSessions: each lost slot would stay lost
                Thread caller = new Thread(() -> {
                    Thread.currentThread().interrupt(); // the caller is being stopped as its command starts
                    try {
                        tunnel.run("true", Duration.ofSeconds(5));
                    } catch (Exception expected) {
                        // giving up is fine; keeping the slot is not
                    }
                });
                caller.start();
                caller.join(10_000);
                assertThat(caller.isAlive()).isFalse();
            }

            // every slot is there: one holds the connection interactive (SshTunnel.holdInteractive), and of the nine left,
            // eight long commands at once and a ninth that answers
            List<RemoteProcess> running = new ArrayList<>();
            try {
                for (int i = 0; i < 8; i++) {
                    running.add(startWithin(tunnel, "sleep 20", Duration.ofSeconds(10)));
                }
                CommandResult ninth = tunnel.run("echo nine", Duration.ofSeconds(10));
                assertThat(ninth.succeeded()).as(ninth.output()).isTrue();
                assertThat(ninth.output()).contains("nine");
            } finally {
                running.forEach(RemoteProcess::close);
            }
        }
    }

    /** A slot freed a moment ago (a command that just ended) is fine; one never freed is not. */
    private static RemoteProcess startWithin(SshTunnel tunnel, String command, Duration patience) throws Exception {
        long deadline = System.nanoTime() + patience.toNanos();
        while (true) {
            try {
                return tunnel.start(command);
            } catch (Exception e) {
                if (System.nanoTime() > deadline) {
                    throw e;
                }
                Thread.sleep(200);
            }
        }
    }
}

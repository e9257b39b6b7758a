package dev.dockbridge.bridge.tunnel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;

import org.apache.sshd.server.Environment;
import org.apache.sshd.server.channel.ChannelSession;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * How a command run over the tunnel ended, against a real SSH server (Apache SSHD, in process): an exit status is
 * returned, a command still running at the timeout has none, and one whose channel closed without an exit status (its
 * session or server gone under it) is an error, not a command that did not finish in time.
 */
class CommandEndTest {
    private InProcessSshServer server;
    private SshTunnel tunnel;

    @BeforeEach
    void start() throws Exception {
        server = InProcessSshServer.start(s -> s.setCommandFactory((channel, command) -> new Scripted(command)));
        tunnel = new SshTunnel(server.target(Duration.ofSeconds(10)), Clock.systemUTC());
        tunnel.connect();
    }

    @AfterEach
    void stop() throws Exception {
        tunnel.close();
        server.close();
    }

    @Test
    void anExitStatusIsReturnedWithTheOutput() throws Exception {
        CommandResult r = tunnel.run("exit 3", Duration.ofSeconds(10));
        assertThat(r.exitStatus()).isEqualTo(3);
        assertThat(r.output()).isEqualTo("exiting 3\n");
    }

    @Test
    void aCommandStillRunningAtTheTimeoutHasNoStatus() throws Exception {
        CommandResult r = tunnel.run("hang", Duration.ofMillis(500));
        assertThat(r.finished()).isFalse();
        assertThat(r.describe()).startsWith("did not finish in time");
    }

    @Test
    void aChannelClosedWithoutAnExitStatusIsAnError() {
        assertThatThrownBy(() -> tunnel.run("vanish", Duration.ofSeconds(10)))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("a command on 127.0.0.1 ended without an exit status")
                .hasMessageContaining("closed under it");
    }

    /** "exit N" prints and exits N; "hang" never ends; "vanish" closes its channel without an exit status. */
    private static final class Scripted extends InProcessSshServer.ScriptedCommand {
        private final String command;

        Scripted(String command) {
            this.command = command;
        }

        @Override
        public void start(ChannelSession channel, Environment env) throws IOException {
            if (command.startsWith("exit ")) {
                int status = Integer.parseInt(command.substring(5));
                out.write(("exiting " + status + "\n").getBytes(StandardCharsets.UTF_8));
                out.flush();
                exit.onExit(status);
            } else if (command.equals("vanish")) {
                channel.close(false);
            }
        }
    }
}

package dev.dockbridge.bridge.host;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;

import org.junit.jupiter.api.Test;

import dev.dockbridge.bridge.testing.MutableClock;
import dev.dockbridge.bridge.tunnel.CommandResult;
import dev.dockbridge.bridge.tunnel.RemoteStream;
import dev.dockbridge.bridge.tunnel.Tunnel;
import dev.dockbridge.portforward.ChannelOpener;

class ShellCheckTest {
    private final MutableClock clock = new MutableClock(Instant.parse("2026-12-06T10:00:00Z"));
    private final ShellCheck check = new ShellCheck(clock);

    @Test
    void aQuietQuickShellIsFine() {
        assertThat(check.problem(shell(new CommandResult(0, ""), Duration.ofMillis(40)), "root", "203.0.113.7")).isEmpty();
    }

    @Test
    void aShellThatPrintsIsNamedWithWhatItSaidAndTheFix() {
        Optional<String> problem = check.problem(shell(new CommandResult(0, "pyenv: cannot rehash\nwelcome back\n"), Duration.ofMillis(40)),
                "root", "203.0.113.7");
        assertThat(problem).hasValueSatisfying(p -> assertThat(p)
                .contains("the shell on 203.0.113.7 prints for every command ('pyenv: cannot rehash / welcome back')")
                .contains("bind-mounted folders")
                .contains("case $- in *i*) ;; *) return;; esac").contains("root's shell"));
    }

    @Test
    void aSlowShellIsNamedWithHowLongItTook() {
        assertThat(check.problem(shell(new CommandResult(0, ""), Duration.ofMillis(2300)), "dev", "box"))
                .hasValueSatisfying(p -> assertThat(p).contains("takes 2.3 s to start each command").contains("dev's shell on box"));
    }

    @Test
    void aShellThatHangsOrFailsIsNamed() {
        assertThat(check.problem(shell(new CommandResult(null, ""), Duration.ofSeconds(20)), "root", "box"))
                .hasValueSatisfying(p -> assertThat(p).contains("did not end within 20 s on box"));
        assertThat(check.problem(shell(new CommandResult(127, ""), Duration.ZERO), "root", "box"))
                .hasValueSatisfying(p -> assertThat(p).contains("'true' failed on box (exit 127)"));
    }

    @Test
    void aFailedSessionIsLeftToWhatReportsIt() {
        Tunnel broken = new TunnelStub() {
            @Override
            public CommandResult run(String command, byte[] stdin, Duration timeout) throws IOException {
                throw new IOException("session closed");
            }
        };
        assertThat(check.problem(broken, "root", "box")).isEmpty();
    }

    /** A host whose shell answers {@code result} after {@code takes}. */
    private Tunnel shell(CommandResult result, Duration takes) {
        return new TunnelStub() {
            @Override
            public CommandResult run(String command, byte[] stdin, Duration timeout) {
                assertThat(command).isEqualTo("true");
                clock.advance(takes);
                return result;
            }
        };
    }

    private abstract static class TunnelStub implements Tunnel {
        @Override
        public void addListener(Listener listener) {
        }

        @Override
        public void connect() {
        }

        @Override
        public RemoteStream openUnixSocket(String path) {
            throw new UnsupportedOperationException();
        }

        @Override
        public CompletableFuture<ChannelOpener.RemoteEnd> openTcpAsync(String host, int port, ChannelOpener.RemoteSink sink, Executor blockingWork) {
            throw new UnsupportedOperationException();
        }

        @Override
        public void close() {
        }
    }
}

package dev.dockbridge.bridge.host;

import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;

import dev.dockbridge.bridge.tunnel.CommandResult;
import dev.dockbridge.bridge.tunnel.Tunnel;

/**
 * Whether the host's shell runs a command as given. sshd runs every command through the user's login shell, and bash
 * reads {@code ~/.bashrc} for it: DockBridge reads what its commands print (the tar streams of bind mounts, the
 * server guard's answers), so a startup file that prints breaks them, and one that takes seconds slows each of them.
 * A user who keeps their own server finds out here, with what to change, instead of from a corrupt copy.
 */
final class ShellCheck {
    /** Does nothing: whatever comes back was said by the shell's startup files. */
    static final String COMMAND = "true";
    private static final Duration TIMEOUT = Duration.ofSeconds(20);
    private static final Duration SLOW = Duration.ofSeconds(1);
    private static final int QUOTED = 80;

    private final Clock clock;

    ShellCheck(Clock clock) {
        this.clock = clock;
    }

    /**
     * What is wrong and what to do about it; empty when the shell is quiet and quick, or when the session failed or closed
     * under the check ('server create' exits right after the server is ready): that shows elsewhere.
     */
    Optional<String> problem(Tunnel tunnel, String user, String host) {
        long started = clock.millis();
        CommandResult r;
        try {
            r = tunnel.run(COMMAND, TIMEOUT);
        } catch (IOException e) {
            return Optional.empty();
        }
        long took = clock.millis() - started;
        String fix = "make the startup files of " + user + "'s shell on " + host + " quiet and quick for commands run over ssh: "
                + "put 'case $- in *i*) ;; *) return;; esac' at the top of ~/.bashrc there";
        if (!r.finished()) {
            return Optional.of("a command that does nothing did not end within " + TIMEOUT.toSeconds() + " s on " + host + "; " + fix);
        }
        if (!r.output().isEmpty()) {
            return Optional.of("the shell on " + host + " prints for every command (" + quote(r.output())
                    + "), which corrupts what DockBridge's commands print there (copies of bind-mounted folders among them); " + fix);
        }
        if (!r.succeeded()) {
            return Optional.of("'true' failed on " + host + " (" + r.describe() + "); " + fix);
        }
        if (took >= SLOW.toMillis()) {
            return Optional.of("the shell on " + host + " takes " + took / 100 / 10.0 + " s to start each command, and DockBridge runs many; " + fix);
        }
        return Optional.empty();
    }

    private static String quote(String output) {
        String line = output.strip().replaceAll("\\s*\\n\\s*", " / ");
        return "'" + (line.length() > QUOTED ? line.substring(0, QUOTED) + "…" : line) + "'";
    }
}

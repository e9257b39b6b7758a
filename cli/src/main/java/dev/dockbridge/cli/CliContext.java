package dev.dockbridge.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Map;

import dev.dockbridge.bridge.tunnel.IdentityFiles.PassphraseSource;

/**
 * What commands get from the outside world: environment, home directory, output streams, the person at the
 * terminal (for a key's passphrase). No globals.
 */
public record CliContext(Map<String, String> env, Path userHome, PrintWriter out, PrintWriter err, PassphraseSource passphrases,
                         Clock clock) {

    public CliContext(Map<String, String> env, Path userHome, PrintWriter out, PrintWriter err) {
        this(env, userHome, out, err, PassphraseSource.NOBODY, Clock.systemUTC());
    }

    /** Expands a leading {@code ~/} to the user's home. */
    public Path expand(String path) {
        if (path.equals("~")) {
            return userHome;
        }
        if (path.startsWith("~/")) {
            return userHome.resolve(path.substring(2));
        }
        return Path.of(path);
    }
}

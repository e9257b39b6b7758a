package dev.dockbridge.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Map;

/** What commands get from the outside world: environment, home directory, output streams. No globals. */
public record CliContext(Map<String, String> env, Path userHome, PrintWriter out, PrintWriter err) {

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

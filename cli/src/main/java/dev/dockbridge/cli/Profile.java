package dev.dockbridge.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.regex.Pattern;

/**
 * A profile: a name and the directory that holds everything it owns (sockets, keys, state, logs).
 *
 * @param home           {@code $DOCKBRIDGE_HOME}, default {@code ~/.dockbridge}
 * @param configFile     the config file to read
 * @param configExplicit whether the user named it with {@code --config}
 */
public record Profile(String name, Path home, Path configFile, boolean configExplicit) {
    // Profile names end up in directory names and in Hetzner label values.
    private static final Pattern NAME = Pattern.compile("[a-z0-9]([a-z0-9_-]{0,30}[a-z0-9])?");

    public static Profile resolve(CliContext ctx, String profileOption, Path configOption) {
        String name = profileOption != null ? profileOption : ctx.env().getOrDefault("DOCKBRIDGE_PROFILE", "default");
        if (!NAME.matcher(name).matches()) {
            throw new UserException(ExitCodes.USAGE, "profile name '" + name
                    + "' is invalid: use 1-32 lower-case letters, digits, '-' or '_', starting and ending with a letter or digit");
        }
        String homeVar = ctx.env().get("DOCKBRIDGE_HOME");
        Path home = homeVar != null && !homeVar.isBlank() ? ctx.expand(homeVar) : ctx.userHome().resolve(".dockbridge");
        Path config = configOption != null ? configOption : home.resolve("config.yaml");
        return new Profile(name, home.toAbsolutePath(), config, configOption != null);
    }

    /** Whether a directory name under the home can be a profile. */
    public static boolean validName(String name) {
        return NAME.matcher(name).matches();
    }

    /** {@code $DOCKBRIDGE_HOME/<profile>}. */
    public Path stateDir() {
        return home.resolve(name);
    }

    /** The docker context name: {@code dockbridge}, or {@code dockbridge-<profile>} for other profiles. */
    public String dockerContext() {
        return name.equals("default") ? "dockbridge" : "dockbridge-" + name;
    }

    /** Creates the state directory (0700) if needed. */
    public Path ensureStateDir() throws IOException {
        Path dir = stateDir();
        if (!Files.isDirectory(dir)) {
            Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        }
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
        return dir;
    }
}

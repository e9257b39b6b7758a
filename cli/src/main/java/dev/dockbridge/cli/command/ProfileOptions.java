package dev.dockbridge.cli.command;

import java.nio.file.Path;

import dev.dockbridge.cli.CliContext;
import dev.dockbridge.cli.ExitCodes;
import dev.dockbridge.cli.Profile;
import dev.dockbridge.cli.UserException;
import dev.dockbridge.cli.config.ConfigException;
import dev.dockbridge.cli.config.ConfigLoader;
import dev.dockbridge.cli.config.DockBridgeConfig;
import picocli.CommandLine.Option;

/** {@code --profile} and {@code --config}, shared by every command that works on a profile. */
public final class ProfileOptions {
    @Option(names = "--profile", paramLabel = "NAME",
            description = "Profile to use (default: $DOCKBRIDGE_PROFILE or 'default').")
    String profile;

    @Option(names = "--config", paramLabel = "FILE",
            description = "Config file (default: $DOCKBRIDGE_HOME/config.yaml).")
    Path config;

    Profile resolve(CliContext ctx) {
        return Profile.resolve(ctx, profile, config);
    }

    static DockBridgeConfig load(Profile profile) {
        try {
            return new ConfigLoader().load(profile.configFile(), profile.configExplicit(), profile.name());
        } catch (ConfigException e) {
            throw new UserException(ExitCodes.USAGE, e.getMessage(), e);
        }
    }
}

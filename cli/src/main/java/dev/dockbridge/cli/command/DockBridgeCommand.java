package dev.dockbridge.cli.command;

import dev.dockbridge.cli.VersionInfo;
import picocli.CommandLine.Command;
import picocli.CommandLine.HelpCommand;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;

@Command(name = "dockbridge",
        mixinStandardHelpOptions = true,
        versionProvider = VersionInfo.class,
        description = "A Docker engine on a remote host that feels local: run 'dockbridge start', then use docker as usual.",
        subcommands = {StartCommand.class, StopCommand.class, StatusCommand.class, PortsCommand.class, HoldCommand.class, EnvCommand.class, ServerCommand.class,
            DoctorCommand.class, LogsCommand.class, CompletionCommand.class,
            HelpCommand.class})
public final class DockBridgeCommand {
    @Option(names = "--debug", scope = ScopeType.INHERIT,
            description = "Verbose logs, and stack traces on errors.")
    public boolean debug;
}

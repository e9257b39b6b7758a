package dev.dockbridge.cli.command;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

import dev.dockbridge.cli.VersionInfo;
import picocli.CommandLine.Command;
import picocli.CommandLine.HelpCommand;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;

@Command(name = "dockbridge",
        mixinStandardHelpOptions = true,
        versionProvider = VersionInfo.class,
        description = "A Docker engine on a remote host that feels local: run 'dockbridge start', then use docker as usual.")
public final class DockBridgeCommand {
    /**
     * The subcommands, in the order help lists them. Not in the annotation: picocli builds the model of every
     * subcommand it is given, by reflection, which is most of a client command's start-up; {@code Main} gives it
     * only the one that runs, and all of them where all are needed (help, completion, a mistyped name).
     */
    public static final Map<String, Class<?>> SUBCOMMANDS = subcommands(StartCommand.class, StopCommand.class, StatusCommand.class,
            PortsCommand.class, HoldCommand.class, EnvCommand.class, ServerCommand.class, DoctorCommand.class, LogsCommand.class,
            SshCommand.class, ListCommand.class, CompletionCommand.class, HelpCommand.class);


    @Option(names = "--debug", scope = ScopeType.INHERIT,
            description = "Verbose logs, and stack traces on errors.")
    public boolean debug;

    private static Map<String, Class<?>> subcommands(Class<?>... classes) {
        Map<String, Class<?>> byName = new LinkedHashMap<>();
        for (Class<?> c : classes) {
            byName.put(c.getAnnotation(Command.class).name(), c);
        }
        return Collections.unmodifiableMap(byName);
    }
}

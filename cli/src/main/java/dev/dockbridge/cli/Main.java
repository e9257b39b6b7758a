package dev.dockbridge.cli;

import java.io.PrintWriter;
import java.lang.reflect.Constructor;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Optional;
import java.util.Map;
import java.util.Set;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import dev.dockbridge.cli.command.DockBridgeCommand;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import java.io.Console;
import java.io.IOException;

/** Entry point: builds the command line and maps every failure to one line on stderr and an exit code. */
public final class Main {
    private static final Set<String> ROOT_ONLY = Set.of("--version", "-V");
    /** Subcommands that look at the whole tree. */
    private static final Set<String> NEED_ALL = Set.of("help", "completion");

    private Main() {
    }

    public static void main(String[] args) throws IOException {
        if (args.length == 1 && args[0].equals(CdsTraining.ARG)) {
            CdsTraining.run();
            return;
        }
        PrintWriter out = new PrintWriter(System.out, true, StandardCharsets.UTF_8);
        PrintWriter err = new PrintWriter(System.err, true, StandardCharsets.UTF_8);
        CliContext ctx = new CliContext(System.getenv(), Path.of(System.getProperty("user.home")), out, err, Main::askAtTerminal, Clock.systemUTC());
        int code = run(ctx, args);
        out.flush();
        err.flush();
        System.exit(code);
    }

    /** Empty without a terminal: a detached daemon's input is /dev/null, where the console reads end of file. */
    private static Optional<String> askAtTerminal(Path key) {
        Console console = System.console();
        char[] typed = Terminal.interactive() ? console.readPassword("Passphrase for %s: ", key) : null;
        return typed == null ? Optional.empty() : Optional.of(new String(typed));
    }

        /** Runs one command in-process; tests use this seam with captured streams. */
    public static int run(CliContext ctx, String... args) {
        return commandLine(ctx, args).execute(args);
    }

    /** The full command tree, as help and completion see it. */
    static CommandLine commandLine(CliContext ctx) {
        return commandLine(ctx, "help");
    }

    /** The root command with the subcommand {@code args} name, or with all of them where no single one is named. */
    static CommandLine commandLine(CliContext ctx, String... args) {
        DockBridgeCommand root = new DockBridgeCommand();
        ContextFactory factory = new ContextFactory(ctx);
        CommandLine cl = new CommandLine(root, factory);
        if (args.length == 1 && ROOT_ONLY.contains(args[0])) {
            // the version needs no subcommand
        } else {
            String named = subcommandNamed(args);
            if (named == null || NEED_ALL.contains(named)) {
                DockBridgeCommand.SUBCOMMANDS.forEach((name, type) -> cl.addSubcommand(name, new CommandLine(type, factory)));
            } else {
                cl.addSubcommand(named, new CommandLine(DockBridgeCommand.SUBCOMMANDS.get(named), factory));
            }
        }
        cl.setOut(ctx.out());
        cl.setErr(ctx.err());
        cl.setExecutionStrategy(parsed -> {
            if (root.debug) {
                ((Logger) LoggerFactory.getLogger("dev.dockbridge")).setLevel(Level.DEBUG);
            }
            return new CommandLine.RunLast().execute(parsed);
        });
        cl.setParameterExceptionHandler((ex, given) -> {
            ctx.err().println("dockbridge: " + ex.getMessage());
            CommandLine.UnmatchedArgumentException.printSuggestions(ex, ctx.err());
            ctx.err().println("Run '" + ex.getCommandLine().getCommandSpec().qualifiedName() + " --help' for usage.");
            return ExitCodes.USAGE;
        });
        cl.setExecutionExceptionHandler((ex, commandLine, parseResult) -> {
            if (ex instanceof UserException user) {
                ctx.err().println("dockbridge: " + user.getMessage());
                if (root.debug && user.getCause() != null) {
                    user.getCause().printStackTrace(ctx.err());
                }
                return user.exitCode();
            }
            ctx.err().println("dockbridge: internal error: " + ex + (root.debug ? "" : " (run with --debug for the stack trace)"));
            if (root.debug) {
                ex.printStackTrace(ctx.err());
            }
            return ExitCodes.FAILURE;
        });
        return cl;
    }

    /**
     * The subcommand the arguments run: the first that is not an option. Null for none (the root's help), and for a
     * name that is no subcommand (the parser then suggests the nearest).
     */
    private static String subcommandNamed(String... args) {
        for (String arg : args) {
            if (!arg.startsWith("-")) {
                return DockBridgeCommand.SUBCOMMANDS.containsKey(arg) ? arg : null;
            }
        }
        return null;
    }

    /** Gives commands the {@link CliContext} through their constructor. */
    private record ContextFactory(CliContext ctx) implements CommandLine.IFactory {
        @Override
        public <K> K create(Class<K> cls) throws Exception {
            try {
                Constructor<K> withContext = cls.getDeclaredConstructor(CliContext.class);
                return withContext.newInstance(ctx);
            } catch (NoSuchMethodException e) {
                return CommandLine.defaultFactory().create(cls);
            }
        }
    }
}

package dev.dockbridge.cli.command;

import java.util.Map;

import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

/** A fish completion script from the command model (picocli writes bash's only): subcommands, then each one's options. */
final class FishCompletion {
    private FishCompletion() {
    }

    static String script(CommandSpec root) {
        StringBuilder out = new StringBuilder("# dockbridge completion for fish: dockbridge completion fish | source\n");
        out.append("complete -c dockbridge -f\n");
        for (Map.Entry<String, CommandLine> sub : root.subcommands().entrySet()) {
            CommandSpec spec = sub.getValue().getCommandSpec();
            out.append("complete -c dockbridge -n __fish_use_subcommand -a ").append(sub.getKey())
                    .append(" -d ").append(quote(firstLine(spec.usageMessage().description()))).append('\n');
            for (OptionSpec o : spec.options()) {
                out.append("complete -c dockbridge -n ").append(quote("__fish_seen_subcommand_from " + sub.getKey()));
                for (String name : o.names()) {
                    out.append(name.startsWith("--") ? " -l " + name.substring(2) : " -s " + name.substring(1));
                }
                if (o.arity().max() > 0) {
                    out.append(" -r");
                }
                out.append(" -d ").append(quote(firstLine(o.description()))).append('\n');
            }
        }
        for (OptionSpec o : root.options()) {
            out.append("complete -c dockbridge -n __fish_use_subcommand");
            for (String name : o.names()) {
                out.append(name.startsWith("--") ? " -l " + name.substring(2) : " -s " + name.substring(1));
            }
            out.append(" -d ").append(quote(firstLine(o.description()))).append('\n');
        }
        return out.toString();
    }

    private static String firstLine(String[] lines) {
        return lines.length == 0 ? "" : lines[0];
    }

    /** fish single quotes: only backslash and the quote itself are special. */
    static String quote(String s) {
        return "'" + s.replace("\\", "\\\\").replace("'", "\\'") + "'";
    }
}

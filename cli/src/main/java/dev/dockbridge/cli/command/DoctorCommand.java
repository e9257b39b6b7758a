package dev.dockbridge.cli.command;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

import com.fasterxml.jackson.databind.ObjectMapper;

import dev.dockbridge.cli.CliContext;
import dev.dockbridge.cli.ExitCodes;
import dev.dockbridge.cli.doctor.Check;
import dev.dockbridge.cli.doctor.Doctor;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import java.util.Locale;

@Command(name = "doctor", mixinStandardHelpOptions = true, description = {
        "Check the config, the API token, the SSH keys, the docker CLI and context, the daemon, the server and its Docker.",
        "Each failed check says how to fix it. Exits 1 if any check failed. Never creates or deletes a server."})
public final class DoctorCommand implements Callable<Integer> {
    private final CliContext ctx;

    @Mixin
    ProfileOptions profileOptions;

    @Option(names = "--json", description = "Print the checks as a JSON array of {name, outcome, detail, fix}.")
    boolean json;

    public DoctorCommand(CliContext ctx) {
        this.ctx = ctx;
    }

    @Override
    public Integer call() throws Exception {
        List<Check> checks = new Doctor(ctx, profileOptions.resolve(ctx)).run();
        if (json) {
            List<Map<String, Object>> out = checks.stream().map(c -> {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("name", c.name());
                m.put("outcome", c.outcome().name().toLowerCase(Locale.ROOT));
                m.put("detail", c.detail());
                m.put("fix", c.fix());
                return m;
            }).toList();
            ctx.out().println(new ObjectMapper().writerWithDefaultPrettyPrinter().writeValueAsString(out));
        } else {
            int width = checks.stream().mapToInt(c -> c.name().length()).max().orElse(10);
            for (Check c : checks) {
                ctx.out().printf("%-4s  %-" + width + "s  %s%n", c.outcome().label(), c.name(), c.detail());
                if (c.fix() != null) {
                    ctx.out().printf("%-4s  %-" + width + "s  → %s%n", "", "", c.fix());
                }
            }
        }
        boolean failed = checks.stream().anyMatch(c -> c.outcome() == Check.Outcome.FAIL);
        return failed ? ExitCodes.FAILURE : ExitCodes.OK;
    }
}

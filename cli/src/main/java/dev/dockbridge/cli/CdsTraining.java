package dev.dockbridge.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.dockbridge.cli.command.DockBridgeCommand;

/**
 * What the launcher runs once, in the background, with {@code -XX:ArchiveClassesAtExit}: it loads the
 * classes the client commands need (picocli's model and help, every command, Jackson's tree model) so
 * that the class-data archive made from it serves every later {@code status}, {@code ports}, ... call.
 * Talks to nothing: no daemon, no network, output discarded.
 */
final class CdsTraining {
    static final String ARG = "__cds-training";

    private static final String SAMPLE_STATUS = "{\"profile\":\"default\",\"docker_host\":\"unix:///x\",\"pid\":1,"
            + "\"server\":{\"state\":\"ready\",\"id\":1,\"hourly_price\":0.0105},\"idle\":{\"blocked_by\":[\"x\"]},"
            + "\"forwards\":[{\"container\":\"web\",\"local_port\":8080}]}";

    private CdsTraining() {
    }

    static void run() throws IOException {
        PrintWriter sink = new PrintWriter(new StringWriter());
        Path nowhere = Path.of(System.getProperty("java.io.tmpdir"), "dockbridge-cds-training-" + ProcessHandle.current().pid());
        CliContext ctx = new CliContext(Map.of("DOCKBRIDGE_HOME", nowhere.toString()), nowhere, sink, sink);
        for (String command : DockBridgeCommand.SUBCOMMANDS.keySet()) {
            Main.run(ctx, command, "--help");
        }
        Main.run(ctx, "--help");
        Main.run(ctx, "--version");
        Main.run(ctx, "status", "--json"); // no daemon there: the error path
        Main.run(ctx, "hold", "not-a-duration");
        ObjectMapper json = new ObjectMapper();
        JsonNode status = json.readTree(SAMPLE_STATUS);
        sink.println(json.writerWithDefaultPrettyPrinter().writeValueAsString(status));
        sink.println(status.path("server").path("hourly_price").decimalValue());
    }
}

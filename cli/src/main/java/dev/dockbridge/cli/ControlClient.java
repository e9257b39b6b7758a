package dev.dockbridge.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

/** Asks the profile's running daemon through its control socket. */
public final class ControlClient {
    private static final ObjectMapper JSON = new ObjectMapper();

    private ControlClient() {
    }

    /** @throws UserException (exit 1) when no daemon runs for the profile */
    public static JsonNode ask(Profile profile, String command) {
        return ask(profile, command, Map.of());
    }

    /** @param fields more request fields, e.g. {@code Map.of("seconds", 60)} */
    public static JsonNode ask(Profile profile, String command, Map<String, Object> fields) {
        Path socket = profile.stateDir().resolve("control.sock");
        String notRunning = "dockbridge is not running for profile " + profile.name() + ": start it with 'dockbridge start"
                + (profile.name().equals("default") ? "" : " --profile " + profile.name()) + "'";
        if (!Files.exists(socket)) {
            throw new UserException(ExitCodes.FAILURE, notRunning);
        }
        ObjectNode request = JSON.createObjectNode().put("command", command);
        fields.forEach((k, v) -> request.set(k, JSON.valueToTree(v)));
        try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            ch.connect(UnixDomainSocketAddress.of(socket));
            OutputStream out = Channels.newOutputStream(ch);
            out.write(JSON.writeValueAsBytes(request));
            out.write('\n');
            out.flush();
            InputStream in = Channels.newInputStream(ch);
            JsonNode answer = JSON.readTree(in.readAllBytes());
            if (answer.has("error")) {
                throw new UserException(ExitCodes.FAILURE, "the daemon answered: " + answer.get("error").asText());
            }
            return answer;
        } catch (IOException e) {
            throw new UserException(ExitCodes.FAILURE, notRunning + " (" + e.getMessage() + ")", e);
        }
    }

    public static String pretty(JsonNode node) {
        try {
            return JSON.writerWithDefaultPrettyPrinter().writeValueAsString(node);
        } catch (IOException e) {
            return node.toString();
        }
    }
}

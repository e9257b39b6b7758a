package dev.dockbridge.bridge.daemon;

import java.io.BufferedReader;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import java.util.function.Function;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The daemon's control socket ({@code control.sock}, 0600): one JSON request line in
 * ({@code {"command": "status"}}), one JSON document out, then the connection closes. Requests are rare
 * (CLI commands), so one short-lived thread per connection is enough.
 */
public final class ControlServer implements Closeable {
    private static final Logger log = LoggerFactory.getLogger(ControlServer.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path socket;
    private final Map<String, Function<JsonNode, Object>> commands;
    private ServerSocketChannel server;
    private volatile boolean closed;

    public ControlServer(Path socket, Map<String, Function<JsonNode, Object>> commands) {
        this.socket = socket;
        this.commands = Map.copyOf(commands);
    }

    public void start() throws IOException {
        Files.deleteIfExists(socket); // the profile's daemon lock proves no other daemon serves it
        server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        server.bind(UnixDomainSocketAddress.of(socket));
        Files.setPosixFilePermissions(socket, PosixFilePermissions.fromString("rw-------"));
        Thread t = new Thread(this::acceptLoop, "control-accept");
        t.setDaemon(true);
        t.start();
    }

    private void acceptLoop() {
        while (!closed) {
            try {
                SocketChannel client = server.accept();
                Thread t = new Thread(() -> serve(client), "control-request");
                t.setDaemon(true);
                t.start();
            } catch (IOException e) {
                if (!closed) {
                    log.warn("control socket accept failed: {}", e.toString());
                }
            }
        }
    }

    private void serve(SocketChannel client) {
        try (client) {
            BufferedReader in = new BufferedReader(new InputStreamReader(Channels.newInputStream(client), StandardCharsets.UTF_8));
            String line = in.readLine();
            Object answer;
            try {
                JsonNode request = JSON.readTree(line == null ? "{}" : line);
                Function<JsonNode, Object> command = commands.get(request.path("command").asText());
                answer = command == null ? Map.of("error", "unknown command '" + request.path("command").asText() + "'")
                        : command.apply(request);
            } catch (RuntimeException | IOException e) {
                answer = Map.of("error", String.valueOf(e.getMessage()));
            }
            OutputStream out = Channels.newOutputStream(client);
            out.write(JSON.writeValueAsBytes(answer));
            out.write('\n');
            out.flush();
        } catch (IOException e) {
            log.debug("control request failed: {}", e.toString());
        }
    }

    @Override
    public void close() {
        closed = true;
        try {
            if (server != null) {
                server.close();
            }
            Files.deleteIfExists(socket);
        } catch (IOException e) {
            log.warn("cannot remove {}: {}", socket, e.toString());
        }
    }
}

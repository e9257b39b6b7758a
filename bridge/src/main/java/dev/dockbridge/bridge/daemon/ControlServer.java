package dev.dockbridge.bridge.daemon;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.AsynchronousCloseException;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.dockbridge.bridge.concurrent.Threads;

/**
 * The daemon's control socket ({@code control.sock}, 0600): one JSON request line in
 * ({@code {"command": "status"}}), one JSON document out, then the connection closes. Requests are rare
 * (CLI commands) and served by a small pool; a client gets {@code readTimeout} to send its line of at most
 * 64 KiB, so a stuck or hostile client holds neither a thread nor memory for long, and a flood is answered
 * "busy" instead of starting threads without bound.
 *
 * <p>Owns its accept thread, its workers and its deadline timer; {@link #close()} ends them.
 */
public final class ControlServer implements Closeable {
    private static final Logger log = LoggerFactory.getLogger(ControlServer.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    static final int MAX_REQUEST_BYTES = 64 * 1024;
    private static final int WORKERS = 8;
    private static final int QUEUED = 32;

    private final Path socket;
    private final Map<String, Function<JsonNode, Object>> commands;
    private final Duration readTimeout;
    private final ThreadPoolExecutor workers;
    private final ScheduledExecutorService deadlines = Executors.newSingleThreadScheduledExecutor(Threads.named("control-deadline"));
    private ServerSocketChannel server;
    private volatile boolean closed;

    public ControlServer(Path socket, Map<String, Function<JsonNode, Object>> commands) {
        this(socket, commands, Duration.ofSeconds(5));
    }

    ControlServer(Path socket, Map<String, Function<JsonNode, Object>> commands, Duration readTimeout) {
        this.socket = socket;
        this.commands = Map.copyOf(commands);
        this.readTimeout = readTimeout;
        this.workers = new ThreadPoolExecutor(WORKERS, WORKERS, 30, TimeUnit.SECONDS, new ArrayBlockingQueue<>(QUEUED),
                Threads.named("control-request"));
        workers.allowCoreThreadTimeOut(true);
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
                try {
                    workers.execute(() -> serve(client));
                } catch (RejectedExecutionException e) {
                    refuseBusy(client);
                }
            } catch (IOException e) {
                if (!closed) {
                    log.warn("control socket accept failed: {}", e.toString());
                }
            }
        }
    }

    private static void refuseBusy(SocketChannel client) {
        try (client) {
            client.write(ByteBuffer.wrap("{\"error\":\"the daemon is busy with other control requests: try again\"}\n".getBytes(StandardCharsets.UTF_8)));
        } catch (IOException e) {
            log.debug("control request refused: {}", e.toString());
        }
    }

    /** The request line: closed by the deadline if it does not come in time. Null at end of input. */
    private String readLine(SocketChannel client) throws IOException {
        ScheduledFuture<?> deadline = deadlines.schedule(() -> {
            try {
                client.close();
            } catch (IOException ignored) {
                // closing is all we wanted
            }
        }, readTimeout.toMillis(), TimeUnit.MILLISECONDS);
        try {
            InputStream in = new BufferedInputStream(Channels.newInputStream(client), 1024);
            ByteArrayOutputStream line = new ByteArrayOutputStream();
            int b;
            while ((b = in.read()) != -1 && b != '\n') {
                if (line.size() >= MAX_REQUEST_BYTES) {
                    throw new RequestTooLarge();
                }
                line.write(b);
            }
            return b == -1 && line.size() == 0 ? null : line.toString(StandardCharsets.UTF_8);
        } catch (AsynchronousCloseException e) {
            throw new IOException("no request line within " + readTimeout.toMillis() + " ms", e);
        } finally {
            deadline.cancel(false);
        }
    }

    private static final class RequestTooLarge extends IOException {
        RequestTooLarge() {
            super("request longer than " + MAX_REQUEST_BYTES + " bytes");
        }
    }

    private void serve(SocketChannel client) {
        try (client) {
            String line;
            try {
                line = readLine(client);
            } catch (RequestTooLarge e) {
                answer(client, Map.of("error", e.getMessage()));
                return;
            }
            Object answer;
            try {
                JsonNode request = JSON.readTree(line == null ? "{}" : line);
                Function<JsonNode, Object> command = commands.get(request.path("command").asText());
                answer = command == null ? Map.of("error", "unknown command '" + request.path("command").asText() + "'")
                        : command.apply(request);
            } catch (RuntimeException | IOException e) {
                answer = Map.of("error", String.valueOf(e.getMessage()));
            }
            answer(client, answer);
        } catch (IOException e) {
            log.debug("control request failed: {}", e.toString());
        }
    }

    private static void answer(SocketChannel client, Object answer) throws IOException {
        OutputStream out = Channels.newOutputStream(client);
        out.write(JSON.writeValueAsBytes(answer));
        out.write('\n');
        out.flush();
    }

    @Override
    public void close() {
        closed = true;
        workers.shutdownNow();
        deadlines.shutdownNow();
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

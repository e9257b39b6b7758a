package dev.dockbridge.bridge.docker;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ClosedSelectorException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.IntSupplier;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import java.util.function.BooleanSupplier;

/**
 * The front door of a local socket: one thread and one selector accept connections at a bounded rate, and
 * hold each until its first bytes arrive. Only then does a connection get threads and a remote stream, so
 * a client that connects and never sends costs a selection key, not an SSH channel; one that stays silent
 * past the limit gets a 408, and connections over the maximum get a 503, each with a message the docker CLI
 * prints. Owns the selector; the server channel and the handed-off connections belong to the proxy.
 */
final class ConnectionGate implements Runnable {
    private static final Logger log = LoggerFactory.getLogger(ConnectionGate.class);
    private static final int FIRST_READ = 32 * 1024;

    /** Receives a connection that has spoken, in blocking mode, with what it sent so far. */
    interface HandOff {
        void accept(SocketChannel client, ByteBuffer firstBytes);
    }

    private record Waiting(long deadlineNanos) {
    }

    private final ServerSocketChannel server;
    private final ConnectionLimits limits;
    private final IntSupplier served;
    private final HandOff handOff;
    private final BooleanSupplier handOffAtOnce;
    private final Selector selector;
    private volatile boolean closed;
    private long lastOverLimitLog;

    /**
     * @param handOffAtOnce asked for each admitted connection: true hands it on before it has spoken (the
     *                      caller then watches for silence itself), which saves the first bytes' wait
     */
    ConnectionGate(ServerSocketChannel server, ConnectionLimits limits, IntSupplier served, BooleanSupplier handOffAtOnce,
                   HandOff handOff) throws IOException {
        this.handOffAtOnce = handOffAtOnce;
        this.server = server;
        this.limits = limits;
        this.served = served;
        this.handOff = handOff;
        this.selector = Selector.open();
        server.configureBlocking(false);
        server.register(selector, SelectionKey.OP_ACCEPT);
    }

    @Override
    public void run() {
        double tokens = limits.acceptsPerSecond();
        long refilled = System.nanoTime();
        SelectionKey acceptKey = server.keyFor(selector);
        while (!closed) {
            try {
                long now = System.nanoTime();
                tokens = Math.min(limits.acceptsPerSecond(), tokens + (now - refilled) / 1e9 * limits.acceptsPerSecond());
                refilled = now;
                acceptKey.interestOps(tokens >= 1 ? SelectionKey.OP_ACCEPT : 0);
                long waitMs = tokens >= 1 ? 1000 : Math.max(1, (long) Math.ceil((1 - tokens) * 1000.0 / limits.acceptsPerSecond()));
                selector.select(Math.min(waitMs, nextDeadlineMs(now)));
                List<SelectionKey> spoke = new ArrayList<>();
                for (SelectionKey key : selector.selectedKeys()) {
                    if (!key.isValid()) {
                        continue;
                    }
                    if (key.isAcceptable()) {
                        while (tokens >= 1) {
                            SocketChannel client = server.accept();
                            if (client == null) {
                                break;
                            }
                            tokens--;
                            admit(client);
                        }
                    } else if (key.isReadable()) {
                        spoke.add(key);
                    }
                }
                selector.selectedKeys().clear();
                handOff(spoke);
                expire(System.nanoTime());
            } catch (ClosedSelectorException | ClosedChannelException e) {
                break;
            } catch (IOException | RuntimeException e) {
                if (!closed) {
                    log.warn("docker socket: accepting failed: {}", e.toString()); // the loop goes on
                }
            }
        }
        closeWaiting();
    }

    private void admit(SocketChannel client) throws IOException {
        int waiting = selector.keys().size() - 1;
        if (served.getAsInt() + waiting >= limits.maxConnections()) {
            long now = System.nanoTime();
            if (now - lastOverLimitLog > TimeUnit.SECONDS.toNanos(10)) {
                lastOverLimitLog = now;
                log.warn("docker socket: {} connections open, refusing more (local.max_connections)", limits.maxConnections());
            }
            reply(client, 503, "Service Unavailable", "dockbridge: too many open docker connections (" + limits.maxConnections()
                    + ", local.max_connections); close some and try again");
            return;
        }
        if (handOffAtOnce.getAsBoolean()) {
            handOff.accept(client, ByteBuffer.allocate(0));
            return;
        }
        client.configureBlocking(false);
        client.register(selector, SelectionKey.OP_READ, new Waiting(System.nanoTime() + limits.firstByteTimeout().toNanos()));
    }

    private void handOff(List<SelectionKey> spoke) throws IOException {
        if (spoke.isEmpty()) {
            return;
        }
        List<SocketChannel> ready = new ArrayList<>();
        List<ByteBuffer> firsts = new ArrayList<>();
        for (SelectionKey key : spoke) {
            SocketChannel client = (SocketChannel) key.channel();
            ByteBuffer first = ByteBuffer.allocate(FIRST_READ);
            int n;
            try {
                n = client.read(first);
            } catch (IOException e) {
                n = -1;
            }
            if (n == 0) {
                continue;
            }
            key.cancel();
            if (n < 0) {
                closeQuietly(client); // connected and left without a word
                continue;
            }
            first.flip();
            ready.add(client);
            firsts.add(first);
        }
        if (ready.isEmpty()) {
            return;
        }
        selector.selectNow(); // completes the cancellations, so the channels may go back to blocking mode
        for (int i = 0; i < ready.size(); i++) {
            SocketChannel client = ready.get(i);
            try {
                client.configureBlocking(true);
                handOff.accept(client, firsts.get(i));
            } catch (IOException | RuntimeException e) {
                closeQuietly(client);
            }
        }
    }

    private long nextDeadlineMs(long now) {
        long next = Long.MAX_VALUE;
        for (SelectionKey key : selector.keys()) {
            if (key.attachment() instanceof Waiting w) {
                next = Math.min(next, w.deadlineNanos());
            }
        }
        return next == Long.MAX_VALUE ? 1000 : Math.max(1, TimeUnit.NANOSECONDS.toMillis(next - now) + 1);
    }

    private void expire(long now) {
        for (SelectionKey key : selector.keys()) {
            if (key.attachment() instanceof Waiting w && now >= w.deadlineNanos()) {
                key.cancel();
                SocketChannel client = (SocketChannel) key.channel();
                reply(client, 408, "Request Timeout", "dockbridge: nothing was sent within " + limits.firstByteTimeout().toSeconds()
                        + " s of connecting (local.first_byte_timeout)");
            }
        }
    }

    /** A short answer on a fresh connection: fits the socket buffer, so a non-blocking write takes it whole. */
    static void reply(SocketChannel client, int status, String reason, String message) {
        try {
            ByteBuffer b = ByteBuffer.wrap(ErrorReply.render(status, reason, message));
            client.write(b);
            client.shutdownOutput();
        } catch (IOException ignored) {
            // the client went away
        } finally {
            closeQuietly(client);
        }
    }

    private static void closeQuietly(SocketChannel c) {
        try {
            c.close();
        } catch (IOException ignored) {
            // closing anyway
        }
    }

    /** Stops the loop; the loop's thread closes the connections still waiting to speak, then the selector. */
    void close() {
        closed = true;
        selector.wakeup();
    }

    private void closeWaiting() {
        for (SelectionKey key : selector.keys()) {
            if (key.channel() instanceof SocketChannel c) {
                closeQuietly(c);
            }
        }
        try {
            selector.close();
        } catch (IOException ignored) {
            // closing anyway
        }
    }
}

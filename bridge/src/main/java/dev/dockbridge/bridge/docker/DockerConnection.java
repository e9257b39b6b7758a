package dev.dockbridge.bridge.docker;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Locale;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.dockbridge.bridge.tunnel.RemoteStream;

/**
 * One docker client connection piped byte for byte to one remote stream. Two threads, one per direction;
 * each reads only after its previous write completed, so neither side is read faster than the other
 * takes bytes. A half-close travels across (local EOF becomes SSH EOF and back); the connection closes when
 * both directions have ended or either failed.
 *
 * <p>Owns the local socket and the remote stream.
 */
final class DockerConnection {
    private static final Logger log = LoggerFactory.getLogger(DockerConnection.class);
    private static final int CHUNK = 32 * 1024;
    /**
     * What one read of a client's upload takes once a read filled {@link #CHUNK} (a build context, {@code docker load},
     * {@code cp}, a stdin): each chunk is a hand-over between this thread and the network thread, and with 32 KiB
     * chunks a 512 MiB upload took 1.3x the time of OpenSSH's ssh -L. Idle and small connections keep 32 KiB.
     */
    private static final int BULK_CHUNK = 256 * 1024;
    private static final long DRAIN_AFTER_ERROR_MS = 5_000;

    private final long id;
    private final SocketChannel local;
    private final DockerUpstream upstream;
    private final ConnectionEvents events;
    private final AtomicInteger directionsOpen = new AtomicInteger(2);
    private final AtomicBoolean closed = new AtomicBoolean();
    private volatile RemoteStream remote;
    private final ByteBuffer firstBytes;
    private final NoServerAnswers noServer; // null: every request goes upstream
    private final RequestFramer framer = new RequestFramer(new RequestFramer.Listener() {
        @Override
        public void request(String method, String path, long start, long headEnd, boolean hasBody) {
            onRequest(method, path, start, headEnd, hasBody);
        }

        @Override
        public void requestEnd(long end) {
            Capture last = captures.peekLast();
            if (last != null && last.end < 0) {
                last.end = end;
            }
        }
    });
    private final RequestRewriter rewriter; // null: nothing is held
    /** Requests to be held whole and rewritten, oldest first (local-to-remote thread only). */
    private final ArrayDeque<Capture> captures = new ArrayDeque<>();
    /** Bytes from {@link #sent} on, held back (a held request, or a head that may be one); local-to-remote thread only. */
    private byte[] held = new byte[0];
    private int heldLength;
    /** The connection offset up to which the client's bytes went upstream, or were answered or replaced here. */
    private long sent;
    /** Heads seen while requests are answered here, not yet answered (local-to-remote thread only). */
    private final ArrayDeque<Head> unanswered = new ArrayDeque<>();
    private boolean answeringHere; // local-to-remote thread only
    private volatile RequestClass current;

    /** Called once when a connection handed over before it spoke sends its first bytes, or ends without any. */
    private volatile Runnable spoke;

    /** A held request: bytes {@code start} to {@code end} (-1 until its end is seen) of the connection. */
    private static final class Capture {
        final String method;
        final String path;
        final long start;
        long end = -1;

        Capture(String method, String path, long start) {
            this.method = method;
            this.path = path;
            this.start = start;
        }
    }

    /** The client's request was answered here with an error; nothing of it went upstream. */
    private static final class RefusedHere extends IOException {
        RefusedHere(String message) {
            super(message);
        }
    }

    /** A held request larger than this is not a create call: it goes on as it is. */
    private static final int MAX_HELD = 8 * 1024 * 1024;

    /** A request's head as the framer saw it; offsets count the connection's bytes. */
    private record Head(String method, String path, RequestClass kind, long start, long end, boolean hasBody) {
    }

    /**
     * @param firstBytes what the client sent before the connection was handed over; empty if it was handed
     *                   over at once, in which case {@code spoke} runs when its first bytes come (or it ends)
     */
    DockerConnection(long id, SocketChannel local, ByteBuffer firstBytes, Runnable spoke, DockerUpstream upstream, NoServerAnswers noServer,
            RequestRewriter rewriter, ConnectionEvents events) {
        this.rewriter = rewriter;
        this.noServer = noServer;
        this.spoke = spoke;
        this.id = id;
        this.local = local;
        this.firstBytes = firstBytes;
        this.upstream = upstream;
        this.events = events;
    }

    /** The class of the connection's current (last) request; null before its first. */
    RequestClass requestClass() {
        return current;
    }

    private void onRequest(String method, String path, long start, long end, boolean hasBody) {
        RequestClass kind = RequestClass.of(method, path);
        RequestClass previous = current;
        current = kind;
        if (log.isDebugEnabled()) {
            log.debug("docker connection {}: {} {} ({})", id, method, path, kind.name().toLowerCase(Locale.ROOT));
        }
        events.request(this, previous, kind);
        if (answeringHere) {
            unanswered.add(new Head(method, path, kind, start, end, hasBody));
        }
        if (rewriter != null && rewriter.wants(method, path)) {
            captures.add(new Capture(method, path, start));
        }
    }

    /**
     * Connects upstream, then runs the local-to-remote direction on this thread and the other on {@code executor}.
     * While no server is up, looks are answered here first; the first request that needs the engine brings it up.
     */
    void run(Executor executor) {
        ByteBuffer toSend = firstBytes;
        CompletableFuture<RemoteStream> opening = null;
        if (noServer != null && (noServer.noServer() || noServer.pingsHere())) {
            boolean serverUp = !noServer.noServer();
            if (serverUp) {
                // the channel opens while the CLI's /_ping is answered here from this engine's own answer: one round trip less
                opening = openAsync(executor);
            }
            answeringHere = true;
            try {
                toSend = answerLooksHere(serverUp, opening);
            } catch (IOException e) {
                closeWhenOpen(opening);
                fail("local answers", e);
                return;
            } finally {
                answeringHere = false;
                unanswered.clear();
            }
            if (toSend == null) {
                closeWhenOpen(opening);
                close(); // the client only looked, and has gone
                return;
            }
        } else {
            framer.feed(firstBytes);
        }
        try {
            RemoteStream opened = opening != null ? awaitOpen(opening) : null;
            remote = opened != null ? opened : upstream.open();
        } catch (IOException e) {
            refuse(e);
            return;
        } catch (RuntimeException e) {
            log.warn("docker connection {}: upstream failed: {}", id, e.toString());
            refuse(new IOException("DockBridge internal error: " + e, e));
            return;
        }
        if (closed.get()) { // the proxy shut down while we waited
            remote.close();
            return;
        }
        try {
            executor.execute(this::remoteToLocal);
        } catch (RuntimeException e) {
            close();
            return;
        }
        try {
            sent = framer.fed() - toSend.remaining();
            if (toSend.hasRemaining()) {
                events.bytes(toSend.remaining(), current);
                forward(toSend);
            }
        } catch (RefusedHere e) {
            drainAndClose();
            return;
        } catch (IOException e) {
            fail("local->remote", e);
            return;
        }
        localToRemote();
    }

    private void localToRemote() {
        ByteBuffer buffer = ByteBuffer.allocate(CHUNK);
        try {
            while (true) {
                buffer.clear();
                int n = local.read(buffer);
                spoke();
                if (n < 0) {
                    remote.shutdownOutput();
                    break;
                }
                if (n > 0) {
                    ByteBuffer chunk = ByteBuffer.wrap(buffer.array(), 0, n);
                    if (!framer.raw()) {
                        framer.feed(chunk);
                        forward(chunk);
                    } else {
                        remote.write(buffer.array(), 0, n);
                    }
                    events.bytes(n, current);
                    if (n == buffer.capacity() && n < BULK_CHUNK) {
                        buffer = ByteBuffer.allocate(BULK_CHUNK);
                    }
                }
            }
            directionEnded();
        } catch (RefusedHere e) {
            drainAndClose();
        } catch (IOException e) {
            fail("local->remote", e);
        }
    }

    /**
     * Sends the client's bytes in {@code chunk} (just shown to the framer) upstream, but for requests to be rewritten,
     * which are held until they are whole, and for a head that may be one. Without such requests the chunk goes on as
     * it is, not copied.
     */
    private void forward(ByteBuffer chunk) throws IOException {
        long end = framer.fed();
        if (rewriter == null || (captures.isEmpty() && heldLength == 0 && framer.partialHead(rewriter::wants) < 0)) {
            remote.write(chunk.array(), chunk.arrayOffset() + chunk.position(), chunk.remaining());
            sent = end;
            return;
        }
        hold(chunk);
        while (true) {
            Capture c = captures.peek();
            if (c != null && c.end < 0 && end - c.start > MAX_HELD) {
                captures.poll(); // too big to be a create call: let it go as it is
                continue;
            }
            long partial = c == null ? framer.partialHead(rewriter::wants) : -1;
            long limit = c != null ? c.start : partial >= 0 ? partial : end;
            sendHeld(Math.max(limit, sent));
            if (c == null || c.end < 0) {
                return;
            }
            captures.poll();
            byte[] request = Arrays.copyOfRange(held, 0, (int) (c.end - sent));
            sendHeld(c.end, false);
            byte[] replacement;
            try {
                replacement = HeldRequest.rewrite(request, rewriter, c.method, c.path);
            } catch (RequestRewriter.Refused e) {
                log.info("docker connection {}: {} {} refused: {}", id, c.method, c.path, e.getMessage());
                ErrorReply.send(local, e.status(), e.status() >= 500 ? "Internal Server Error" : "Bad Request", e.getMessage());
                throw new RefusedHere(e.getMessage());
            }
            remote.write(replacement, 0, replacement.length);
        }
    }

    private void hold(ByteBuffer chunk) {
        int n = chunk.remaining();
        if (held.length < heldLength + n) {
            held = Arrays.copyOf(held, Math.max(heldLength + n, held.length * 2));
        }
        chunk.duplicate().get(held, heldLength, n);
        heldLength += n;
    }

    /** Sends held bytes up to connection offset {@code until}. */
    private void sendHeld(long until) throws IOException {
        sendHeld(until, true);
    }

    /** Drops held bytes up to {@code until}, sending them upstream if {@code send}. */
    private void sendHeld(long until, boolean send) throws IOException {
        int n = (int) (until - sent);
        if (n <= 0) {
            return;
        }
        if (send) {
            remote.write(held, 0, n);
        }
        System.arraycopy(held, n, held, 0, heldLength - n);
        heldLength -= n;
        sent = until;
    }

    /** After an error answered here: reads what the client still sends until it hangs up, then closes. */
    private void drainAndClose() {
        try {
            drain();
        } catch (IOException ignored) {
            // the client went away
        } finally {
            close();
        }
    }

    private void remoteToLocal() {
        try {
            byte[] chunk;
            while ((chunk = remote.read()) != null) {
                ByteBuffer buffer = ByteBuffer.wrap(chunk);
                while (buffer.hasRemaining()) {
                    local.write(buffer);
                }
                remote.release(chunk.length);
                events.bytes(chunk.length, current);
            }
            local.shutdownOutput();
            directionEnded();
        } catch (IOException e) {
            fail("remote->local", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            close();
        }
    }

    private CompletableFuture<RemoteStream> openAsync(Executor executor) {
        CompletableFuture<RemoteStream> f = new CompletableFuture<>();
        try {
            executor.execute(() -> {
                try {
                    f.complete(upstream.openIfReady());
                } catch (IOException | RuntimeException e) {
                    f.completeExceptionally(e);
                }
            });
        } catch (RuntimeException e) {
            f.completeExceptionally(e);
        }
        return f;
    }

    private static RemoteStream awaitOpen(CompletableFuture<RemoteStream> opening) throws IOException {
        try {
            return opening.join();
        } catch (CompletionException e) {
            if (e.getCause() instanceof IOException io) {
                throw io;
            }
            throw e.getCause() instanceof RuntimeException r ? r : e;
        }
    }

    /** Whether a channel opened ahead came back without one: no host was ready, and none was brought up for it. */
    private static boolean foundNoHost(CompletableFuture<RemoteStream> opening) {
        try {
            return opening != null && opening.join() == null;
        } catch (CompletionException | CancellationException e) {
            return false; // the request goes on, and its open reports the error
        }
    }

    /** A channel opened for a client that never needed it (it only pinged): closed once it is there. */
    private static void closeWhenOpen(CompletableFuture<RemoteStream> opening) {
        if (opening != null) {
            opening.thenAccept(r -> {
                if (r != null) {
                    r.close();
                }
            });
        }
    }

    /**
     * Answers looks while no server is up, or only {@code /_ping} while one is ({@code serverUp}, the channel
     * {@code opening} meanwhile). Returns what is to go upstream once a request needs the engine (from that request's
     * first byte on), or null if the client hung up first. Only unanswered heads are held.
     */
    private ByteBuffer answerLooksHere(boolean serverUp, CompletableFuture<RemoteStream> opening) throws IOException {
        ByteBuffer pending = ByteBuffer.allocate(RequestFramer.MAX_HEAD + CHUNK);
        long base = 0; // the connection offset of pending's first byte
        ByteBuffer fresh = firstBytes.duplicate();
        while (true) {
            pending.put(fresh.duplicate());
            framer.feed(fresh);
            while (!unanswered.isEmpty()) {
                Head h = unanswered.peek();
                boolean here = serverUp ? isPing(h) && noServer.pingsHere() : noServer.noServer();
                if (h.kind() != RequestClass.LOOK || h.hasBody() || !here || !noServer.canAnswer(h.method(), h.path())) {
                    if (serverUp && h.kind() == RequestClass.LOOK && !h.hasBody() && foundNoHost(opening)) {
                        // the server went (an idle deletion) while the client pinged: its looks must not bring one back
                        serverUp = false;
                        continue;
                    }
                    return from(pending, (int) (h.start() - base));
                }
                unanswered.poll();
                ByteBuffer answer = noServer.answer(h.method(), h.path());
                while (answer.hasRemaining()) {
                    local.write(answer);
                }
                log.debug("docker connection {}: answered {} {} without a server", id, h.method(), h.path());
                int consumed = (int) (h.end() - base);
                pending.flip().position(consumed);
                pending.compact();
                base = h.end();
            }
            if (framer.raw() || !pending.hasRemaining()) {
                return from(pending, 0); // not something to answer here: the engine decides
            }
            ByteBuffer in = ByteBuffer.allocate(Math.min(CHUNK, pending.remaining()));
            int n = local.read(in);
            spoke();
            if (n < 0) {
                return pending.position() == 0 ? null : from(pending, 0);
            }
            fresh = in.flip();
        }
    }

    private static boolean isPing(Head h) {
        return ("GET".equals(h.method()) || "HEAD".equals(h.method())) && RequestClass.normalize(h.path()).equals("/_ping");
    }

    private static ByteBuffer from(ByteBuffer pending, int offset) {
        ByteBuffer out = pending.flip();
        out.position(Math.max(0, Math.min(offset, out.limit())));
        return out;
    }

    private void directionEnded() {
        if (directionsOpen.decrementAndGet() == 0) {
            close();
        }
    }

    private void fail(String direction, IOException e) {
        if (!closed.get()) {
            log.debug("docker connection {} {} ended: {}", id, direction, e.toString());
        }
        close();
    }

    /** Answers with the Docker API's error shape, then waits briefly for the client to hang up. */
    private void refuse(IOException e) {
        String message = e.getMessage() != null ? e.getMessage() : e.toString();
        log.warn("docker connection {} refused: {}", id, message);
        try {
            ErrorReply.send(local, 502, "Bad Gateway", "dockbridge: " + message);
            drain();
        } catch (IOException ignored) {
            // the client went away; nothing else to tell it
        } finally {
            close();
        }
    }

    /**
     * Reads what the client still sends (its request) until it closes, so closing our end does not reset a
     * connection whose response the client has not read yet.
     */
    private void drain() throws IOException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(DRAIN_AFTER_ERROR_MS);
        ByteBuffer sink = ByteBuffer.allocate(8192);
        local.configureBlocking(false);
        try (Selector selector = Selector.open()) {
            local.register(selector, SelectionKey.OP_READ);
            long left;
            while ((left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())) > 0) {
                selector.select(left);
                selector.selectedKeys().clear();
                sink.clear();
                if (local.read(sink) < 0) {
                    return;
                }
            }
        }
    }

    private void spoke() {
        Runnable r = spoke;
        if (r != null) {
            spoke = null;
            r.run();
        }
    }

    void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        spoke();
        try {
            local.close();
        } catch (IOException ignored) {
            // closing; nothing to do
        }
        RemoteStream r = remote;
        if (r != null) {
            r.close();
        }
        events.closed(this);
    }
}

package dev.dockbridge.bridge.tunnel;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import io.netty.channel.EventLoop;
import io.netty.util.concurrent.ScheduledFuture;
import org.apache.sshd.common.SshConstants;
import org.apache.sshd.common.channel.exception.SshChannelOpenException;
import org.apache.sshd.common.io.IoWriteFuture;
import org.apache.sshd.common.session.Session;
import org.apache.sshd.common.util.buffer.Buffer;
import org.apache.sshd.common.util.buffer.ByteArrayBuffer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.dockbridge.portforward.ChannelOpener;

/**
 * A {@code direct-tcpip} channel for a port forward (RFC 4254 sections 5 and 7.2), kept by DockBridge instead of
 * sshd-core's channel classes: an sshd-core channel is a dozen objects, each with its logger, futures, listener proxy
 * and close steps, made and closed again for every forwarded connection, and was half of a forwarded connection's CPU.
 * Here a connection is this object, its open future and the packets.
 *
 * <p>All its work runs on the session's event loop (a call from another thread is queued there), so it needs no locks
 * and its packets go out in the order it made them: its data, then its EOF, then its CLOSE, and nothing after that.
 * Bytes from the server go to the sink, and the window is given back to the server only once the sink delivered them, so
 * a slow local client slows the container instead of filling memory. Bytes for the server are copied once, from the
 * caller's buffer into packets that fit the server's window and packet size.
 *
 * <p>Its states: {@link State#OPENING} until the server answers the open; {@link State#OPEN}; {@link State#CLOSE_SENT}
 * once DockBridge closed it and waits for the server's CLOSE; {@link State#DONE} when both sides closed, the open was
 * refused or the session ended. Every transition is in {@link #moveTo}.
 */
final class DirectTcpChannel implements ChannelOpener.RemoteEnd {
    private static final Logger log = LoggerFactory.getLogger(DirectTcpChannel.class);
    private static final long MAX_WINDOW = 0xFFFF_FFFFL;
    /** Bytes of this channel's packets the session may hold unwritten (a full socket, a key exchange) before it waits. */
    private static final int MAX_UNWRITTEN = 256 * 1024;

    enum State { OPENING, OPEN, CLOSE_SENT, DONE }

    private final ForwardChannels owner;
    private final Session session;
    private final EventLoop loop;
    private final long id;
    private final ChannelOpener.RemoteSink sink;
    private final String host;
    private final int port;
    private final String server; // for messages
    private final int windowSize;
    private final int packetSize;
    private final PacketArrays arrays;
    private final CompletableFuture<ChannelOpener.RemoteEnd> opened = new CompletableFuture<>();
    private final ArrayDeque<Pending> queue = new ArrayDeque<>(2);

    // all below: event loop only
    private State state = State.OPENING;
    private volatile ScheduledFuture<?> openTimeout; // volatile: a test reads it from another thread
    private boolean closeWanted; // closed, or given up on, before the server confirmed the open
    private boolean closedHere; // close() was called: the sink hears nothing more
    private boolean closeReceived;
    private int unwritten; // bytes in packets the session holds, not yet on its socket
    private long recipient;
    private long remoteWindow;
    private int remotePacketSize;
    private long localWindow;
    private long unacknowledged; // delivered by the sink, not yet given back to the server

    /** {@code data} null: send EOF. Its position advances as packets go out. */
    private record Pending(ByteBuffer data, CompletableFuture<Void> done) {
    }

    DirectTcpChannel(ForwardChannels owner, Session session, EventLoop loop, long id, String host, int port, String server,
            ChannelOpener.RemoteSink sink, int windowSize, int packetSize, PacketArrays arrays) {
        this.owner = owner;
        this.session = session;
        this.loop = loop;
        this.id = id;
        this.sink = sink;
        this.host = host;
        this.port = port;
        this.server = server;
        this.windowSize = windowSize;
        this.packetSize = packetSize;
        this.arrays = arrays;
        this.localWindow = windowSize;
    }

    long id() {
        return id;
    }

    CompletableFuture<ChannelOpener.RemoteEnd> opened() {
        return opened;
    }

    boolean awaitsOpenTimeout() {
        ScheduledFuture<?> t = openTimeout;
        return t != null && !t.isDone();
    }

    /** Sends the open; the future completes with the server's answer, or fails after {@code timeout}. */
    void open(Duration timeout) {
        onLoop(() -> {
            try {
                Buffer b = session.createBuffer(SshConstants.SSH_MSG_CHANNEL_OPEN, host.length() + 64);
                b.putString("direct-tcpip");
                b.putUInt(id);
                b.putUInt(windowSize);
                b.putUInt(packetSize);
                b.putString(host);
                b.putUInt(port);
                b.putString("127.0.0.1"); // the originator: the forward's own connection is local
                b.putUInt(0);
                session.writePacket(b);
            } catch (IOException | RuntimeException e) {
                sessionGone(e);
                return;
            }
            // a timeout leaves the channel to its late answer, which closes it: dropped here, the server would keep it open
            openTimeout = loop.schedule(() -> {
                if (state == State.OPENING && opened.completeExceptionally(new TimeoutException("no answer within "
                        + timeout.toMillis() + " ms to opening a connection to " + where()))) {
                    closeWanted = true;
                    closedHere = true; // its opener gave up on it: the sink hears nothing more
                }
            }, timeout.toMillis(), TimeUnit.MILLISECONDS);
        });
    }

    /** One message for this channel, its recipient field read; on the loop (sshd-core reads packets there). */
    void handle(int cmd, Buffer buffer) {
        switch (cmd) {
            case SshConstants.SSH_MSG_CHANNEL_OPEN_CONFIRMATION -> confirmed(buffer.getUInt(), buffer.getUInt(), buffer.getUInt());
            case SshConstants.SSH_MSG_CHANNEL_OPEN_FAILURE -> refused(buffer.getInt(), buffer.getString());
            case SshConstants.SSH_MSG_CHANNEL_DATA -> data(buffer);
            case SshConstants.SSH_MSG_CHANNEL_EXTENDED_DATA -> { // direct-tcpip has no error stream: dropped, its window back
                buffer.getUInt();
                int n = buffer.getInt();
                if (take(n, buffer)) {
                    acknowledge(n);
                }
            }
            case SshConstants.SSH_MSG_CHANNEL_WINDOW_ADJUST -> {
                remoteWindow = Math.min(MAX_WINDOW, remoteWindow + buffer.getUInt());
                writeNext();
            }
            case SshConstants.SSH_MSG_CHANNEL_EOF -> {
                if (!closedHere) {
                    sink.onEof();
                }
            }
            case SshConstants.SSH_MSG_CHANNEL_CLOSE -> {
                closeReceived = true;
                moveTo(state == State.OPEN ? State.CLOSE_SENT : State.DONE, null);
            }
            case SshConstants.SSH_MSG_CHANNEL_REQUEST -> {
                buffer.getString();
                if (buffer.getBoolean() && state == State.OPEN) { // this channel knows no requests
                    try {
                        send(SshConstants.SSH_MSG_CHANNEL_FAILURE);
                    } catch (RuntimeException e) {
                        sessionGone(e);
                    }
                }
            }
            default -> { // SUCCESS, FAILURE: this channel makes no requests to be answered
            }
        }
    }

    /** The session ended (closed, lost): nothing more comes for this channel. From any thread. */
    void sessionEnded() {
        onLoop(() -> moveTo(State.DONE, new IOException("the SSH session to " + server + " ended")));
    }

    @Override
    public CompletableFuture<Void> write(ByteBuffer data) {
        return enqueue(data.slice());
    }

    /** EOF goes through the write queue: it must not overtake bytes still queued. */
    @Override
    public CompletableFuture<Void> shutdownOutput() {
        return enqueue(null);
    }

    /** Closes both directions at once; bytes not yet in packets are dropped (their writes fail), the sink hears no more. */
    @Override
    public void close() {
        onLoop(() -> {
            closedHere = true;
            failQueued(null);
            if (state == State.OPENING) {
                closeWanted = true;
            } else if (state == State.OPEN) {
                moveTo(State.CLOSE_SENT, null);
            }
        });
    }

    /** "host:port on server", made only for a message. */
    private String where() {
        return host + ":" + port + " on " + server;
    }

    // ---- the state machine

    /**
     * The one place the state changes. To {@code CLOSE_SENT}: sends CLOSE (an answer to the server's, or DockBridge's own),
     * and is {@code DONE} at once when the server's CLOSE was already there. To {@code DONE}: forgets the channel, fails
     * what waits and tells the sink, unless DockBridge closed the channel itself. {@code cause} is null for a normal end.
     */
    private void moveTo(State next, Throwable cause) {
        if (state == State.DONE || next == state) {
            return;
        }
        State from = state;
        state = next;
        if (next == State.OPEN) {
            if (closeWanted) { // closed or timed out before the answer: closed on the server as well
                moveTo(State.CLOSE_SENT, null);
            } else {
                opened.complete(this);
                writeNext();
            }
            return;
        }
        if (next == State.CLOSE_SENT) {
            failQueued(null);
            try {
                send(SshConstants.SSH_MSG_CHANNEL_CLOSE);
            } catch (RuntimeException e) {
                log.debug("channel {} to {}: close not sent: {}", id, where(), e.toString());
            }
            if (closeReceived) {
                moveTo(State.DONE, null);
            }
            return;
        }
        // DONE
        owner.forget(this);
        if (openTimeout != null) {
            openTimeout.cancel(false);
        }
        if (!opened.isDone()) {
            opened.completeExceptionally(cause != null ? cause : closed());
        }
        failQueued(cause);
        if (from != State.OPENING && !closedHere) {
            closedHere = true;
            sink.onClose(cause);
        }
    }

    private void confirmed(long remoteId, long window, long maxPacket) {
        if (state != State.OPENING) {
            return;
        }
        if (openTimeout != null) {
            openTimeout.cancel(false);
        }
        recipient = remoteId;
        remoteWindow = window;
        remotePacketSize = (int) Math.max(1, Math.min(maxPacket, packetSize));
        moveTo(State.OPEN, null);
    }

    private void refused(int reason, String description) {
        if (state != State.OPENING) {
            return;
        }
        opened.completeExceptionally(new TunnelException(TunnelException.Kind.CHANNEL_REFUSED,
                "cannot connect to " + where() + " (" + description + ")", new SshChannelOpenException(id, reason, description)));
        moveTo(State.DONE, null);
    }

    // ---- bytes from the server

    private void data(Buffer buffer) {
        int n = buffer.getInt();
        if (!take(n, buffer)) {
            return;
        }
        if (closedHere || state != State.OPEN) {
            acknowledge(n); // nobody takes them
            return;
        }
        sink.onData(buffer.array(), buffer.rpos(), n, () -> onLoop(() -> acknowledge(n)));
    }

    /** Counts {@code n} received bytes against the window; false (and the channel closed) when the server sent more. */
    private boolean take(int n, Buffer buffer) {
        if (n < 0 || n > localWindow || n > buffer.available()) {
            IOException e = new IOException("the server sent " + Integer.toUnsignedString(n) + " bytes on a channel to " + where()
                    + " with a window of " + localWindow);
            log.warn("channel {}: {}", id, e.getMessage());
            if (!closedHere) {
                closedHere = true;
                sink.onClose(e);
            }
            close();
            return false;
        }
        localWindow -= n;
        return true;
    }

    /** The sink delivered {@code n} bytes: their room goes back to the server once half the window is used. */
    private void acknowledge(int n) {
        unacknowledged += n;
        if (unacknowledged < windowSize / 2 || state != State.OPEN) {
            return;
        }
        try {
            Buffer b = session.createBuffer(SshConstants.SSH_MSG_CHANNEL_WINDOW_ADJUST, 8);
            b.putUInt(recipient);
            b.putUInt(unacknowledged);
            session.writePacket(b);
            localWindow += unacknowledged;
            unacknowledged = 0;
        } catch (IOException | RuntimeException e) {
            sessionGone(e);
        }
    }

    // ---- bytes for the server

    private CompletableFuture<Void> enqueue(ByteBuffer data) {
        CompletableFuture<Void> done = new CompletableFuture<>();
        onLoop(() -> {
            if (closedHere || state == State.CLOSE_SENT || state == State.DONE) {
                done.completeExceptionally(closed());
                return;
            }
            queue.add(new Pending(data, done));
            writeNext();
        });
        return done;
    }

    /**
     * Writes from the queue's head while the server's window allows and the session holds less than
     * {@link #MAX_UNWRITTEN} of this channel's bytes (it writes a turn of the loop's packets at once, at the turn's end;
     * it holds them longer while the socket is full or keys are exchanged): that bounds what is buffered per channel.
     */
    private void writeNext() {
        while (state == State.OPEN && unwritten < MAX_UNWRITTEN) {
            Pending next = queue.peek();
            if (next == null) {
                return;
            }
            IoWriteFuture written;
            int piece;
            byte[] reused;
            try {
                if (next.data() == null) { // the end-of-input marker
                    queue.poll();
                    send(SshConstants.SSH_MSG_CHANNEL_EOF);
                    next.done().complete(null);
                    continue;
                }
                if (remoteWindow <= 0) {
                    return; // its WINDOW_ADJUST resumes
                }
                piece = (int) Math.min(next.data().remaining(), Math.min(remotePacketSize, remoteWindow));
                reused = piece >= PacketArrays.REUSED_FROM ? arrays.take() : null;
                Buffer packet = reused != null
                        ? session.prepareBuffer(SshConstants.SSH_MSG_CHANNEL_DATA, new ByteArrayBuffer(reused, false))
                        : session.createBuffer(SshConstants.SSH_MSG_CHANNEL_DATA, piece + PacketArrays.DATA_HEADER);
                packet.putUInt(recipient);
                packet.putUInt(piece);
                int at = packet.wpos();
                packet.ensureCapacity(piece);
                next.data().get(packet.array(), at, piece);
                packet.wpos(at + piece);
                remoteWindow -= piece;
                written = session.writePacket(packet);
            } catch (IOException | RuntimeException e) {
                sessionGone(e);
                return;
            }
            if (!next.data().hasRemaining()) { // every byte is in a packet: the caller's buffer is free
                queue.poll();
                next.done().complete(null);
            }
            if (!written.isDone()) {
                unwritten += piece;
                written.addListener(f -> onLoop(() -> {
                    unwritten -= piece;
                    if (reused != null) { // written or failed, the session is done with it (a packet it never ends keeps it)
                        arrays.giveBack(reused);
                    }
                    if (f.isWritten()) {
                        writeNext();
                    } else {
                        sessionGone(f.getException());
                    }
                }));
            } else if (!written.isWritten()) {
                sessionGone(written.getException());
            } else if (reused != null) {
                arrays.giveBack(reused);
            }
        }
    }

    private void send(byte cmd) {
        try {
            Buffer b = session.createBuffer(cmd, 4);
            b.putUInt(recipient);
            session.writePacket(b);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A write to the session failed: it is closing, and ends every channel (the sink hears of it then). */
    private void sessionGone(Throwable e) {
        log.debug("channel {} to {}: session write failed: {}", id, where(), String.valueOf(e));
        moveTo(State.DONE, e instanceof IOException ? e : new IOException("the SSH session to " + server + " failed", e));
    }

    /**
     * Fails every queued write with {@code cause} (null: "closed"). An exception is made only if a write waits: most
     * connections end with none, and an exception's stack trace was a tenth of the network thread's time.
     */
    private void failQueued(Throwable cause) {
        if (queue.isEmpty()) {
            return;
        }
        Throwable failure = cause != null ? cause : closed();
        Pending p;
        while ((p = queue.poll()) != null) {
            p.done().completeExceptionally(failure);
        }
    }

    private static IOException closed() {
        return new IOException("SSH channel closed");
    }

    /** Runs on the loop: at once when already there (the forwards share it), else queued, keeping each caller's order. */
    private void onLoop(Runnable work) {
        if (loop.inEventLoop()) {
            work.run();
            return;
        }
        try {
            loop.execute(work);
        } catch (RejectedExecutionException e) { // the loop is shut down: the daemon is stopping, nothing runs there again
            work.run();
        }
    }
}

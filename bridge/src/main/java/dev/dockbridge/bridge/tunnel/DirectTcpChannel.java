package dev.dockbridge.bridge.tunnel;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;

import org.apache.sshd.client.channel.ChannelDirectTcpip;
import org.apache.sshd.common.SshConstants;
import org.apache.sshd.common.io.IoWriteFuture;
import org.apache.sshd.common.util.buffer.Buffer;
import org.apache.sshd.common.util.net.SshdSocketAddress;

import dev.dockbridge.portforward.ChannelOpener;

/**
 * A {@code direct-tcpip} channel for a port forward, fully asynchronous: bytes from the server go to the
 * sink and are acknowledged to SSH (window released) only once the sink delivered them, so a slow local
 * client slows the container instead of filling memory.
 *
 * <p>Bytes for the server are copied once, straight from the caller's buffer (a forward's direct read buffer) into
 * SSH packets that fit one packet and the server's window, one packet in flight at a time. sshd-core's own stream
 * would take a heap array and copy it again into each packet: that copy, and the one into the array, were a tenth
 * of the daemon's CPU under an upload.
 */
final class DirectTcpChannel extends ChannelDirectTcpip implements ChannelOpener.RemoteEnd {
    private static final SshdSocketAddress ORIGIN = new SshdSocketAddress("127.0.0.1", 0);
    /** SSH_MSG_CHANNEL_DATA's fields before the bytes: recipient channel and length. */
    private static final int DATA_HEADER = 8;

    private final ChannelOpener.RemoteSink sink;
    private final ChannelWriteGate writeGate = new ChannelWriteGate();
    private final ArrayDeque<Pending> queue = new ArrayDeque<>();
    private boolean writing; // a packet of the queue's head is being written, or the head waits for window; guarded by queue
    private boolean awaitingWindow; // the server's window is used up: its next WINDOW_ADJUST resumes; guarded by queue

    DirectTcpChannel(String host, int port, ChannelOpener.RemoteSink sink) {
        super(ORIGIN, new SshdSocketAddress(host, port));
        this.sink = sink;
        addCloseFutureListener(f -> {
            failQueued(() -> new IOException("SSH channel closed")); // made only if a write waits: most closes find none
            sink.onClose(null);
        });
    }

    @Override
    protected void doWriteData(byte[] data, int offset, long length) {
        int n = Math.toIntExact(length);
        sink.onData(data, offset, n, () -> {
            try {
                if (!isClosing()) {
                    getLocalWindow().release(n);
                }
            } catch (IOException e) {
                close(true);
            }
        });
    }

    /**
     * Makes none of sshd-core's stream objects: bytes from the server go to the sink ({@link #doWriteData}), bytes to it
     * through {@link #writeNext}. Each stream was a closeable with its own logger, name and close steps, made and closed
     * again for every forwarded connection.
     */
    @Override
    protected void doOpen() {
    }

    /** {@code direct-tcpip} has no error stream; a server that sends one anyway has its bytes dropped, and its window back. */
    @Override
    protected void doWriteExtendedData(byte[] data, int offset, long length) throws IOException {
        getLocalWindow().release(length);
    }

    @Override
    public void handleEof() throws IOException {
        super.handleEof();
        sink.onEof();
    }

    @Override
    public void handleWindowAdjust(Buffer buffer) throws IOException {
        super.handleWindowAdjust(buffer);
        boolean resume;
        synchronized (queue) {
            resume = awaitingWindow;
            awaitingWindow = false;
        }
        if (resume) {
            writeNext();
        }
    }

    /**
     * Queues bytes for the server; completes once they are all in SSH packets (the caller may then reuse its buffer).
     * Writes are chained here, one packet in flight; the caller bounds how much it queues (the relay keeps a few hundred
     * KiB in flight at most).
     */
    @Override
    public CompletableFuture<Void> write(ByteBuffer data) {
        return enqueue(new Pending(data.slice(), new CompletableFuture<>()));
    }

    /** EOF goes through the write queue: it must not overtake bytes still queued. */
    @Override
    public CompletableFuture<Void> shutdownOutput() {
        return enqueue(new Pending(null, new CompletableFuture<>()));
    }

    @Override
    public void close() {
        close(false);
    }

    private CompletableFuture<Void> enqueue(Pending pending) {
        boolean startNow;
        synchronized (queue) {
            queue.add(pending);
            startNow = !writing;
            writing = true;
        }
        if (startNow) {
            writeNext();
        }
        return pending.done;
    }

    /** {@code data} null: send EOF. Its position advances as packets go out. */
    private record Pending(ByteBuffer data, CompletableFuture<Void> done) {
    }

    private void writeNext() {
        Pending next;
        int piece = 0;
        synchronized (queue) {
            next = queue.peek();
            if (next == null) {
                writing = false;
                return;
            }
            if (next.data() != null) {
                long window = getRemoteWindow().getSize();
                if (window <= 0) {
                    awaitingWindow = true; // handleWindowAdjust resumes: the expansion comes before its check of this flag
                    return;
                }
                piece = (int) Math.min(next.data().remaining(), Math.min(Math.max(1, getRemoteWindow().getPacketSize()), window));
            }
        }
        if (next.data() == null) { // the end-of-input marker
            remove(next);
            try {
                sendEof();
                next.done().complete(null);
            } catch (IOException e) {
                next.done().completeExceptionally(e);
                close(true);
            }
            writeNext();
            return;
        }
        try {
            Buffer packet = getSession().createBuffer(SshConstants.SSH_MSG_CHANNEL_DATA, piece + DATA_HEADER);
            packet.putUInt(getRecipient());
            packet.putUInt(piece);
            int at = packet.wpos();
            packet.ensureCapacity(piece);
            next.data().get(packet.array(), at, piece);
            packet.wpos(at + piece);
            getRemoteWindow().consume(piece);
            IoWriteFuture written = writePacket(packet);
            if (!next.data().hasRemaining()) { // every byte is in a packet: the caller's buffer is free
                remove(next);
                next.done().complete(null);
            }
            written.addListener(f -> {
                if (!f.isWritten()) {
                    failQueued(() -> f.getException() != null ? f.getException() : new IOException("SSH write failed"));
                    return;
                }
                writeNext();
            });
        } catch (IOException | RuntimeException e) {
            failQueued(() -> e); // the relay closes on the failure it gets
        }
    }

    private void remove(Pending done) {
        synchronized (queue) {
            queue.remove(done);
        }
    }

    /** Every queued write fails with {@code error}, so callers release what they passed. */
    private void failQueued(Supplier<? extends Throwable> error) {
        Pending[] failed;
        synchronized (queue) {
            failed = queue.toArray(new Pending[0]);
            queue.clear();
            writing = false;
            awaitingWindow = false;
        }
        if (failed.length == 0) {
            return;
        }
        Throwable cause = error.get();
        for (Pending p : failed) {
            p.done().completeExceptionally(cause);
        }
    }

    // ---- no packet follows the CLOSE (ChannelWriteGate)

    @Override
    public IoWriteFuture writePacket(Buffer buffer) throws IOException {
        return writeGate.write(this, () -> super.writePacket(buffer));
    }

    @Override
    protected IoWriteFuture sendEof() throws IOException {
        return writeGate.eof(super::sendEof);
    }

    @Override
    protected void preClose() {
        writeGate.closing();
        super.preClose();
    }

    @Override
    public void handleClose() throws IOException {
        writeGate.serverClosed();
        super.handleClose();
    }
}

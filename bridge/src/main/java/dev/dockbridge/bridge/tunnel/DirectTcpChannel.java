package dev.dockbridge.bridge.tunnel;

import java.io.IOException;
import java.util.ArrayDeque;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;

import org.apache.sshd.client.channel.ChannelDirectTcpip;
import org.apache.sshd.common.io.IoWriteFuture;
import org.apache.sshd.common.util.buffer.Buffer;
import org.apache.sshd.common.util.buffer.ByteArrayBuffer;
import org.apache.sshd.common.util.net.SshdSocketAddress;

import dev.dockbridge.portforward.ChannelOpener;

/**
 * A {@code direct-tcpip} channel for a port forward, fully asynchronous: bytes from the server go to the
 * sink and are acknowledged to SSH (window released) only once the sink delivered them, so a slow local
 * client slows the container instead of filling memory.
 *
 * <p>Bytes for the server go out in pieces that fit one SSH packet and the server's window, from the caller's own
 * array: sshd-core copies whatever part of a write it cannot send at once.
 */
final class DirectTcpChannel extends ChannelDirectTcpip implements ChannelOpener.RemoteEnd {
    private static final SshdSocketAddress ORIGIN = new SshdSocketAddress("127.0.0.1", 0);

    private final ChannelOpener.RemoteSink sink;
    private final ChannelWriteGate writeGate = new ChannelWriteGate();
    private final ArrayDeque<Pending> queue = new ArrayDeque<>();
    private boolean writing; // guarded by queue

    DirectTcpChannel(String host, int port, ChannelOpener.RemoteSink sink) {
        super(ORIGIN, new SshdSocketAddress(host, port));
        this.sink = sink;
        setStreaming(Streaming.Async);
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

    @Override
    public void handleEof() throws IOException {
        super.handleEof();
        sink.onEof();
    }

    /**
     * Queues bytes for the server. sshd's async stream takes one write at a time, so writes are chained
     * here; the caller bounds how much it queues (the relay keeps a few hundred KiB in flight at most).
     */
    @Override
    public CompletableFuture<Void> write(byte[] array, int offset, int length) {
        return enqueue(new Pending(array, offset, length, new CompletableFuture<>()));
    }

    /** EOF goes through the write queue: it must not overtake bytes still queued. */
    @Override
    public CompletableFuture<Void> shutdownOutput() {
        return enqueue(new Pending(null, 0, 0, new CompletableFuture<>()));
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

    /** {@code array} null: send EOF. {@code offset} advances as pieces go out. */
    private static final class Pending {
        final byte[] array;
        final CompletableFuture<Void> done;
        final int end;
        int offset;

        Pending(byte[] array, int offset, int length, CompletableFuture<Void> done) {
            this.array = array;
            this.offset = offset;
            this.end = offset + length;
            this.done = done;
        }
    }

    private void writeNext() {
        Pending next;
        synchronized (queue) {
            next = queue.peek();
            if (next == null) {
                writing = false;
                return;
            }
        }
        if (next.array == null) { // the end-of-input marker
            remove(next);
            try {
                sendEof();
                next.done.complete(null);
            } catch (IOException e) {
                next.done.completeExceptionally(e);
                close(true);
            }
            writeNext();
            return;
        }
        long packet = Math.max(1, getRemoteWindow().getPacketSize());
        long window = getRemoteWindow().getSize();
        int piece = (int) Math.min(next.end - next.offset, window > 0 ? Math.min(packet, window) : packet);
        try {
            IoWriteFuture written = getAsyncIn().writeBuffer(new ByteArrayBuffer(next.array, next.offset, piece));
            written.addListener(f -> {
                if (!f.isWritten()) {
                    failQueued(() -> f.getException() != null ? f.getException() : new IOException("SSH write failed"));
                    return;
                }
                next.offset += piece;
                if (next.offset >= next.end) {
                    remove(next);
                    next.done.complete(null);
                }
                writeNext();
            });
        } catch (IOException | RuntimeException e) {
            failQueued(() -> e);
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
        }
        if (failed.length == 0) {
            return;
        }
        Throwable cause = error.get();
        for (Pending p : failed) {
            p.done.completeExceptionally(cause);
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

package dev.dockbridge.bridge.tunnel;

import java.io.IOException;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;

import org.apache.sshd.client.channel.ChannelDirectTcpip;
import org.apache.sshd.common.io.IoWriteFuture;
import org.apache.sshd.common.util.buffer.ByteArrayBuffer;
import org.apache.sshd.common.util.net.SshdSocketAddress;

import dev.dockbridge.portforward.ChannelOpener;
import java.util.ArrayDeque;

/**
 * A {@code direct-tcpip} channel for a port forward, fully asynchronous: bytes from the server go to the
 * sink and are acknowledged to SSH (window released) only once the sink delivered them, so a slow local
 * client slows the container instead of filling memory.
 */
final class DirectTcpChannel extends ChannelDirectTcpip implements ChannelOpener.RemoteEnd {
    private static final SshdSocketAddress ORIGIN = new SshdSocketAddress("127.0.0.1", 0);

    private final ChannelOpener.RemoteSink sink;

    DirectTcpChannel(String host, int port, ChannelOpener.RemoteSink sink) {
        super(ORIGIN, new SshdSocketAddress(host, port));
        this.sink = sink;
        setStreaming(Streaming.Async);
        addCloseFutureListener(f -> sink.onClose(null));
    }

    @Override
    protected void doWriteData(byte[] data, int offset, long length) {
        int n = Math.toIntExact(length);
        sink.onData(Arrays.copyOfRange(data, offset, offset + n), () -> {
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
    public CompletableFuture<Void> write(byte[] data) {
        CompletableFuture<Void> done = new CompletableFuture<>();
        boolean startNow;
        synchronized (queue) {
            queue.add(new Pending(data, done));
            startNow = !writing;
            writing = true;
        }
        if (startNow) {
            writeNext();
        }
        return done;
    }

    /** {@code data} null: send EOF. */
    private record Pending(byte[] data, CompletableFuture<Void> done) {
    }

    private final ArrayDeque<Pending> queue = new ArrayDeque<>();
    private boolean writing; // guarded by queue

    private void writeNext() {
        Pending next;
        synchronized (queue) {
            next = queue.poll();
            if (next == null) {
                writing = false;
                return;
            }
        }
        if (next.data() == null) { // the end-of-input marker
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
            IoWriteFuture written = getAsyncIn().writeBuffer(new ByteArrayBuffer(next.data()));
            written.addListener(f -> {
                if (f.isWritten()) {
                    next.done().complete(null);
                    writeNext();
                } else {
                    failAll(next, f.getException() != null ? f.getException() : new IOException("SSH write failed"));
                }
            });
        } catch (IOException | RuntimeException e) {
            failAll(next, e);
        }
    }

    private void failAll(Pending first, Throwable error) {
        first.done().completeExceptionally(error);
        synchronized (queue) {
            queue.forEach(p -> p.done().completeExceptionally(error));
            queue.clear();
            writing = false;
        }
    }

    /** EOF goes through the write queue: it must not overtake bytes still queued. */
    @Override
    public CompletableFuture<Void> shutdownOutput() {
        return write(null);
    }

    @Override
    public void close() {
        close(false);
    }
}

package dev.dockbridge.bridge.docker;

import java.util.concurrent.LinkedBlockingQueue;
import java.util.function.BiConsumer;

import dev.dockbridge.bridge.tunnel.RemoteStream;

/** A remote stream for the proxy's tests: what is written goes to {@code written}; what is queued with {@link #reply} is read. */
final class QueuedRemoteStream implements RemoteStream {
    private final LinkedBlockingQueue<byte[]> replies = new LinkedBlockingQueue<>();
    private final BiConsumer<QueuedRemoteStream, byte[]> written;

    /** @param written told of each write (this stream, the bytes), on the writer's thread */
    QueuedRemoteStream(BiConsumer<QueuedRemoteStream, byte[]> written) {
        this.written = written;
    }

    void reply(byte[] bytes) {
        replies.add(bytes);
    }

    @Override
    public void write(byte[] data, int offset, int length) {
        byte[] copy = new byte[length];
        System.arraycopy(data, offset, copy, 0, length);
        written.accept(this, copy);
    }

    @Override
    public void shutdownOutput() {
        replies.add(new byte[0]);
    }

    @Override
    public byte[] read() throws InterruptedException {
        byte[] b = replies.take();
        return b.length == 0 ? null : b;
    }

    @Override
    public void release(int length) {
    }

    @Override
    public void close() {
        replies.add(new byte[0]);
    }
}

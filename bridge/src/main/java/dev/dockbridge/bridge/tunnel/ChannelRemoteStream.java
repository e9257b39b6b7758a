package dev.dockbridge.bridge.tunnel;

import java.io.IOException;

import org.apache.sshd.client.channel.AbstractClientChannel;
import org.apache.sshd.common.io.IoWriteFuture;
import org.apache.sshd.common.util.buffer.ByteArrayBuffer;

/** A {@link RemoteStream} over an opened async-streaming SSH channel. */
final class ChannelRemoteStream implements RemoteStream {
    private final AbstractClientChannel channel;
    private final TunnelChannel tunnelChannel;

    <C extends AbstractClientChannel & TunnelChannel> ChannelRemoteStream(C channel) {
        this.channel = channel;
        this.tunnelChannel = channel;
    }

    @Override
    public void write(byte[] data, int offset, int length) throws IOException {
        IoWriteFuture written = channel.getAsyncIn().writeBuffer(new ByteArrayBuffer(data, offset, length));
        // No timeout: waiting for the remote window is backpressure; a dead session fails the future.
        written.await();
        if (!written.isWritten()) {
            Throwable cause = written.getException();
            throw cause instanceof IOException io ? io : new IOException("SSH write failed", cause);
        }
    }

    @Override
    public void shutdownOutput() throws IOException {
        tunnelChannel.sendEndOfInput();
    }

    @Override
    public byte[] read() throws IOException, InterruptedException {
        return tunnelChannel.inbound().take();
    }

    @Override
    public void release(int length) throws IOException {
        if (!channel.isClosing()) {
            channel.getLocalWindow().release(length);
        }
    }

    @Override
    public void close() {
        channel.close(false);
    }
}

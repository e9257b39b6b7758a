package dev.dockbridge.bridge.tunnel;

import java.io.IOException;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;

import org.apache.sshd.client.channel.ChannelDirectTcpip;
import org.apache.sshd.common.io.IoWriteFuture;
import org.apache.sshd.common.util.buffer.ByteArrayBuffer;
import org.apache.sshd.common.util.net.SshdSocketAddress;

import dev.dockbridge.portforward.ChannelOpener;

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

    @Override
    public CompletableFuture<Void> write(byte[] data) {
        CompletableFuture<Void> done = new CompletableFuture<>();
        try {
            IoWriteFuture written = getAsyncIn().writeBuffer(new ByteArrayBuffer(data));
            written.addListener(f -> {
                if (f.isWritten()) {
                    done.complete(null);
                } else {
                    done.completeExceptionally(f.getException() != null ? f.getException() : new IOException("SSH write failed"));
                }
            });
        } catch (IOException | RuntimeException e) {
            done.completeExceptionally(e);
        }
        return done;
    }

    @Override
    public void shutdownOutput() {
        try {
            sendEof();
        } catch (IOException e) {
            close(true);
        }
    }

    @Override
    public void close() {
        close(false);
    }
}

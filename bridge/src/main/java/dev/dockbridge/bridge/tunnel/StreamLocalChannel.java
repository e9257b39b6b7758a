package dev.dockbridge.bridge.tunnel;

import java.io.IOException;

import org.apache.sshd.client.channel.AbstractClientChannel;
import org.apache.sshd.client.future.DefaultOpenFuture;
import org.apache.sshd.client.future.OpenFuture;
import org.apache.sshd.common.SshConstants;
import org.apache.sshd.common.SshException;
import org.apache.sshd.common.channel.ChannelAsyncOutputStream;
import org.apache.sshd.common.channel.LocalWindow;
import org.apache.sshd.common.util.buffer.Buffer;
import org.apache.sshd.common.io.IoWriteFuture;

/**
 * OpenSSH's {@code direct-streamlocal@openssh.com} channel: a connection to a unix socket on the server.
 * sshd-core only ships TCP forwarding channels, so the open request is written here following OpenSSH's
 * PROTOCOL file: {@code string socket path, string reserved, uint32 reserved}.
 */
final class StreamLocalChannel extends AbstractClientChannel implements TunnelChannel {
    static final String TYPE = "direct-streamlocal@openssh.com";

    private final String socketPath;
    private final ChannelWriteGate writeGate = new ChannelWriteGate();
    private final InboundChunks inbound = new InboundChunks();

    StreamLocalChannel(String socketPath) {
        super(TYPE);
        this.socketPath = socketPath;
        setStreaming(Streaming.Async);
        addCloseFutureListener(f -> inbound.closed());
    }

    @Override
    public synchronized OpenFuture open() throws IOException {
        if (closeFuture.isClosed()) {
            throw new SshException("SSH session has been closed");
        }
        openFuture = new DefaultOpenFuture(socketPath, futureLock);
        LocalWindow window = getLocalWindow();
        Buffer buffer = getSession().createBuffer(SshConstants.SSH_MSG_CHANNEL_OPEN, socketPath.length() + 64);
        buffer.putString(TYPE);
        buffer.putUInt(getChannelId());
        buffer.putUInt(window.getSize());
        buffer.putUInt(window.getPacketSize());
        buffer.putString(socketPath);
        buffer.putString("");
        buffer.putUInt(0);
        writePacket(buffer);
        return openFuture;
    }

    @Override
    protected void doOpen() {
        asyncIn = new ChannelAsyncOutputStream(this, SshConstants.SSH_MSG_CHANNEL_DATA);
    }

    @Override
    protected void doWriteData(byte[] data, int offset, long length) {
        inbound.add(data, offset, length);
    }

    @Override
    public InboundChunks inbound() {
        return inbound;
    }

    @Override
    public IoWriteFuture sendEndOfInput() throws IOException {
        return sendEof();
    }

    @Override
    public void handleEof() throws IOException {
        super.handleEof();
        inbound.eof();
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

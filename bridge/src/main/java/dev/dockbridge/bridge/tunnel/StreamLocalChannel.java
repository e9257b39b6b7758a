package dev.dockbridge.bridge.tunnel;

import java.io.IOException;

import org.apache.sshd.client.channel.AbstractClientChannel;
import org.apache.sshd.client.future.DefaultOpenFuture;
import org.apache.sshd.client.future.OpenFuture;
import org.apache.sshd.common.SshConstants;
import org.apache.sshd.common.SshException;
import org.apache.sshd.common.channel.Channel;
import org.apache.sshd.common.channel.ChannelAsyncOutputStream;
import org.apache.sshd.common.channel.LocalWindow;
import org.apache.sshd.common.util.buffer.Buffer;
import org.apache.sshd.common.util.buffer.ByteArrayBuffer;
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
        asyncIn = new DataOutput(PacketArrays.forDataPackets(getRemoteWindow().getPacketSize(), 2));
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
        IoWriteFuture written = writeGate.write(this, () -> super.writePacket(buffer));
        if (buffer instanceof ReusedArray reused) { // written or failed, the session is done with it
            written.addListener(f -> reused.arrays.giveBack(reused.array()));
        }
        return written;
    }

    /**
     * The channel's data packets as sshd-core cuts them, full-size ones in reused arrays: an upload through the docker
     * socket (a build context, {@code docker load}, a stdin) made a new 32 KiB array per packet, and young collections
     * were some 15 % of the daemon's time.
     */
    private final class DataOutput extends ChannelAsyncOutputStream {
        private final PacketArrays arrays;

        DataOutput(PacketArrays arrays) {
            super(StreamLocalChannel.this, SshConstants.SSH_MSG_CHANNEL_DATA);
            this.arrays = arrays;
        }

        @Override
        protected Buffer createSendBuffer(Buffer buffer, Channel channel, int length) {
            if (length < PacketArrays.REUSED_FROM) {
                return super.createSendBuffer(buffer, channel, length);
            }
            Buffer packet = getSession().prepareBuffer(SshConstants.SSH_MSG_CHANNEL_DATA, new ReusedArray(arrays));
            packet.putUInt(channel.getRecipient());
            packet.putUInt(length);
            packet.putRawBytes(buffer.array(), buffer.rpos(), length);
            buffer.rpos(buffer.rpos() + length);
            return packet;
        }
    }

    /** A packet in an array of {@code arrays}, given back once written. */
    private static final class ReusedArray extends ByteArrayBuffer {
        final PacketArrays arrays;

        ReusedArray(PacketArrays arrays) {
            super(arrays.take(), false);
            this.arrays = arrays;
        }
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

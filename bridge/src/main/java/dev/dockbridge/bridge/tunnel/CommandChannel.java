package dev.dockbridge.bridge.tunnel;

import java.io.IOException;
import java.util.Map;

import org.apache.sshd.client.channel.ChannelExec;
import org.apache.sshd.client.session.ClientSession;
import org.apache.sshd.common.io.IoWriteFuture;
import org.apache.sshd.common.util.buffer.Buffer;
import org.apache.sshd.common.session.ConnectionService;

/** A command on the host: sshd-core's exec channel, of which no packet (input, its EOF, a window adjust) follows the CLOSE. */
class CommandChannel extends ChannelExec {
    private final ChannelWriteGate writeGate = new ChannelWriteGate();

    CommandChannel(String command) {
        super(command, null, Map.of());
    }

    /** What {@code session.createExecChannel(command)} makes, with the gate. */
    static CommandChannel open(ClientSession session, String command) throws IOException {
        CommandChannel channel = new CommandChannel(command);
        session.getService(ConnectionService.class).registerChannel(channel);
        return channel;
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

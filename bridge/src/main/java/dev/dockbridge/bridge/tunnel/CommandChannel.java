package dev.dockbridge.bridge.tunnel;

import java.io.IOException;
import java.util.Map;

import org.apache.sshd.client.channel.ChannelExec;
import org.apache.sshd.client.session.ClientSession;
import org.apache.sshd.common.io.IoWriteFuture;
import org.apache.sshd.common.session.ConnectionService;

/** A command on the host: sshd-core's exec channel, whose EOF (the end of the command's input) never follows its CLOSE. */
final class CommandChannel extends ChannelExec {
    private final EofGate eofGate = new EofGate();

    private CommandChannel(String command) {
        super(command, null, Map.of());
    }

    /** What {@code session.createExecChannel(command)} makes, with the gate. */
    static CommandChannel open(ClientSession session, String command) throws IOException {
        CommandChannel channel = new CommandChannel(command);
        session.getService(ConnectionService.class).registerChannel(channel);
        return channel;
    }

    @Override
    protected IoWriteFuture sendEof() throws IOException {
        return eofGate.send(super::sendEof);
    }

    @Override
    protected void preClose() {
        eofGate.closing();
        super.preClose();
    }

    @Override
    public void handleClose() throws IOException {
        eofGate.closing();
        super.handleClose();
    }
}

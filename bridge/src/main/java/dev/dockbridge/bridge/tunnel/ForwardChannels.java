package dev.dockbridge.bridge.tunnel;

import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

import org.apache.sshd.client.session.AbstractClientSession;
import org.apache.sshd.client.session.ClientConnectionService;
import org.apache.sshd.client.session.ClientConnectionServiceFactory;
import org.apache.sshd.common.Service;
import org.apache.sshd.common.SshConstants;
import org.apache.sshd.common.SshException;
import org.apache.sshd.common.session.Session;
import org.apache.sshd.common.util.buffer.Buffer;
import org.apache.sshd.core.CoreModuleProperties;

import dev.dockbridge.bridge.tunnel.io.EventLoopSession;
import dev.dockbridge.portforward.ChannelOpener;

/**
 * sshd-core's connection service with DockBridge's own {@code direct-tcpip} channels beside sshd-core's channels: their
 * messages are handled by {@link DirectTcpChannel} before sshd-core looks for a channel of its own. They are numbered
 * from {@link #FIRST_ID} up, far above sshd-core's numbers (from 0, one per channel a session opens), so the two never
 * meet; the server only echoes the number back.
 */
final class ForwardChannels extends ClientConnectionService {
    static final long FIRST_ID = 1L << 30;

    private final Map<Long, DirectTcpChannel> tcp = new ConcurrentHashMap<>();
    private final AtomicLong nextId = new AtomicLong(FIRST_ID);
    private final int windowSize;
    private final int packetSize;
    /** Enough for one bulk stream's packets in flight (a channel holds at most 256 KiB unwritten) and then some. */
    private final PacketArrays packetArrays;

    ForwardChannels(AbstractClientSession session) throws SshException {
        super(session);
        // read once per session, not once per channel as sshd-core's channels do
        windowSize = (int) Math.min(Integer.MAX_VALUE, CoreModuleProperties.WINDOW_SIZE.getRequired(session));
        packetSize = (int) Math.min(Integer.MAX_VALUE, CoreModuleProperties.MAX_PACKET_SIZE.getRequired(session));
        packetArrays = PacketArrays.forDataPackets(packetSize, 16);
    }

    /** Opens a channel to {@code host:port} as the server sees it; the future completes with the server's answer. */
    CompletableFuture<ChannelOpener.RemoteEnd> openTcp(String host, int port, String server, ChannelOpener.RemoteSink sink,
            Duration timeout) {
        AbstractClientSession session = getSession();
        if (!(session.getIoSession() instanceof EventLoopSession onLoop)) {
            return CompletableFuture.failedFuture(new IllegalStateException("the SSH connection to " + server + " is not on an event loop"));
        }
        if (isClosing()) {
            return CompletableFuture.failedFuture(new IOException("the SSH session to " + server + " is closed"));
        }
        DirectTcpChannel channel = new DirectTcpChannel(this, session, onLoop.eventLoop(), nextId.getAndIncrement(), host, port, server,
                sink, windowSize, packetSize, packetArrays);
        tcp.put(channel.id(), channel);
        if (isClosing()) { // closed meanwhile: preClose may have missed it
            channel.sessionEnded();
        } else {
            channel.open(timeout);
        }
        return channel.opened();
    }

    void forget(DirectTcpChannel channel) {
        tcp.remove(channel.id());
    }

    /** Channels not yet forgotten: open, opening, or closing and waiting for the server's CLOSE. */
    int tcpChannels() {
        return tcp.size();
    }

    /** Opens whose timeout is still to come: each is cancelled when the server answers. */
    int pendingOpenTimeouts() {
        return (int) tcp.values().stream().filter(DirectTcpChannel::awaitsOpenTimeout).count();
    }

    /** Read from another thread by tests only: a racy size is good enough there. */
    int keptPacketArrays() {
        return packetArrays.kept();
    }

    @Override
    public void process(int cmd, Buffer buffer) throws Exception {
        if (cmd >= SshConstants.SSH_MSG_CHANNEL_OPEN_CONFIRMATION && cmd <= SshConstants.SSH_MSG_CHANNEL_FAILURE) {
            int start = buffer.rpos();
            long recipient = buffer.getUInt();
            if (recipient >= FIRST_ID) {
                DirectTcpChannel channel = tcp.get(recipient);
                if (channel != null) {
                    channel.handle(cmd, buffer);
                } else {
                    log.debug("message {} for channel {}, which is closed: dropped", cmd, recipient);
                }
                return;
            }
            buffer.rpos(start);
        }
        super.process(cmd, buffer);
    }

    @Override
    protected void preClose() {
        for (DirectTcpChannel channel : List.copyOf(tcp.values())) {
            channel.sessionEnded();
        }
        super.preClose();
    }

    /** Makes this service for each session, where sshd-core's factory makes its own. */
    static final class Factory extends ClientConnectionServiceFactory {
        @Override
        public Service create(Session session) throws IOException {
            ForwardChannels service = new ForwardChannels((AbstractClientSession) session);
            service.addPortForwardingEventListenerManager(this);
            return service;
        }
    }
}

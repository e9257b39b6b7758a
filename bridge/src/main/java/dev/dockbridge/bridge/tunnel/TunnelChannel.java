package dev.dockbridge.bridge.tunnel;

import java.io.IOException;

import org.apache.sshd.common.io.IoWriteFuture;

/** What {@link ChannelRemoteStream} needs from the channel types DockBridge opens. */
interface TunnelChannel {
    InboundChunks inbound();

    /** Sends SSH_MSG_CHANNEL_EOF. sshd-core's async stream does not send it on close, so channels expose it. */
    IoWriteFuture sendEndOfInput() throws IOException;
}

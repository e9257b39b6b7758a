package dev.dockbridge.bridge.tunnel;

import java.io.IOException;
import java.nio.charset.StandardCharsets;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.apache.sshd.common.io.IoWriteFuture;

/**
 * Fallback for servers that refuse stream-local forwarding: runs {@code docker system dial-stdio} on the
 * host (what the docker CLI's {@code ssh://} transport does). It is a session channel, so OpenSSH's
 * {@code MaxSessions} caps how many can be open at once; forwarding channels are not capped that way.
 */
final class DialStdioChannel extends CommandChannel implements TunnelChannel {
    private static final Logger log = LoggerFactory.getLogger(DialStdioChannel.class);

    private final InboundChunks inbound = new InboundChunks();

    DialStdioChannel(String remoteSocket) {
        super(command(remoteSocket));
        setStreaming(Streaming.Async);
        addCloseFutureListener(f -> inbound.closed());
    }

    static String command(String remoteSocket) {
        return "DOCKER_HOST='unix://" + remoteSocket.replace("'", "") + "' docker system dial-stdio";
    }

    @Override
    protected void doWriteData(byte[] data, int offset, long length) {
        inbound.add(data, offset, length);
    }

    @Override
    protected void doWriteExtendedData(byte[] data, int offset, long length) throws IOException {
        log.debug("dial-stdio stderr: {}", new String(data, offset, Math.toIntExact(length), StandardCharsets.UTF_8).strip());
        getLocalWindow().release(length);
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
}

package dev.dockbridge.bridge.tunnel;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import org.apache.sshd.agent.SshAgent;
import org.apache.sshd.agent.SshAgentFactory;
import org.apache.sshd.agent.SshAgentServer;
import org.apache.sshd.agent.common.AbstractAgentProxy;
import org.apache.sshd.common.FactoryManager;
import org.apache.sshd.common.channel.ChannelFactory;
import org.apache.sshd.common.session.ConnectionService;
import org.apache.sshd.common.session.Session;
import org.apache.sshd.common.util.buffer.Buffer;
import org.apache.sshd.common.util.buffer.ByteArrayBuffer;

/**
 * The keys of a running ssh-agent ({@code SSH_AUTH_SOCK}), for logging in. Apache SSHD speaks the agent protocol
 * ({@link AbstractAgentProxy}) but reaches a Unix socket only through Tomcat's native APR library; this is the
 * transport over the JDK's own Unix domain sockets. No agent forwarding: the server never sees the agent.
 */
public final class UnixSocketAgent extends AbstractAgentProxy {
    private static final Duration ANSWER_TIMEOUT = Duration.ofSeconds(10);
    private static final int MAX_ANSWER = 256 * 1024;

    private final Path socket;
    private final SocketChannel channel;
    private final Selector selector;

    private UnixSocketAgent(Path socket) throws IOException {
        super(null);
        this.socket = socket;
        SocketChannel c = SocketChannel.open(StandardProtocolFamily.UNIX);
        try {
            c.connect(UnixDomainSocketAddress.of(socket));
            c.configureBlocking(false);
            selector = Selector.open();
            c.register(selector, SelectionKey.OP_READ);
        } catch (IOException e) {
            c.close();
            throw new IOException("cannot reach the ssh-agent at " + socket + " (SSH_AUTH_SOCK): " + e.getMessage(), e);
        }
        channel = c;
    }

    /** Gives every session a connection of its own to the agent at {@code socket}. */
    public static SshAgentFactory factory(Path socket) {
        return new SshAgentFactory() {
            @Override
            public List<ChannelFactory> getChannelForwardingFactories(FactoryManager manager) {
                return List.of();
            }

            @Override
            public SshAgent createClient(Session session, FactoryManager manager) throws IOException {
                return new UnixSocketAgent(socket);
            }

            @Override
            public SshAgentServer createServer(ConnectionService service) {
                return null;
            }
        };
    }

    @Override
    protected synchronized Buffer request(Buffer message) throws IOException {
        ByteBuffer out = ByteBuffer.wrap(message.array(), message.rpos(), message.available());
        while (out.hasRemaining()) {
            if (channel.write(out) == 0) {
                Thread.onSpinWait(); // a local agent's socket buffer drains at once; requests are a few hundred bytes
            }
        }
        long deadline = System.nanoTime() + ANSWER_TIMEOUT.toNanos();
        ByteBuffer length = read(ByteBuffer.allocate(4), deadline);
        int size = length.getInt(0);
        if (size <= 0 || size > MAX_ANSWER) {
            throw new IOException("the ssh-agent at " + socket + " sent an answer of " + size + " bytes");
        }
        return new ByteArrayBuffer(read(ByteBuffer.allocate(size), deadline).array());
    }

    private ByteBuffer read(ByteBuffer into, long deadline) throws IOException {
        while (into.hasRemaining()) {
            long left = (deadline - System.nanoTime()) / 1_000_000;
            if (left <= 0) {
                throw new IOException("the ssh-agent at " + socket + " did not answer within " + ANSWER_TIMEOUT.toSeconds() + " s");
            }
            selector.select(left);
            selector.selectedKeys().clear();
            if (channel.read(into) < 0) {
                throw new IOException("the ssh-agent at " + socket + " closed the connection");
            }
        }
        return into;
    }

    @Override
    public boolean isOpen() {
        return channel.isOpen();
    }

    @Override
    public void close() throws IOException {
        try (selector; channel) {
            super.close();
        }
    }
}

package dev.dockbridge.bridge.tunnel.io;

import java.net.SocketAddress;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import org.apache.sshd.common.AttributeRepository;
import org.apache.sshd.common.FactoryManager;
import org.apache.sshd.common.io.DefaultIoConnectFuture;
import org.apache.sshd.common.io.IoConnectFuture;
import org.apache.sshd.common.io.IoConnector;
import org.apache.sshd.common.io.IoHandler;
import org.apache.sshd.common.io.IoServiceEventListener;
import org.apache.sshd.common.io.IoSession;
import org.apache.sshd.common.util.closeable.AbstractCloseable;
import org.apache.sshd.core.CoreModuleProperties;

import dev.dockbridge.portforward.NetworkLoop;

/**
 * Opens SSH connections on the loop. The order of a new connection's steps is sshd-core's own connector's: the
 * listener hears of it, the session gets the caller's context, the handler makes the SSH session (which sends its
 * identification), the future completes, and only then is anything read.
 */
final class NettyIoConnector extends AbstractCloseable implements IoConnector {
    private final FactoryManager manager;
    private final IoHandler handler;
    private final NetworkLoop loop;
    private final Map<Long, IoSession> sessions = new ConcurrentHashMap<>();
    private final AtomicLong ids = new AtomicLong();
    private volatile IoServiceEventListener eventListener;

    NettyIoConnector(FactoryManager manager, IoHandler handler, NetworkLoop loop) {
        this.manager = manager;
        this.handler = handler;
        this.loop = loop;
    }

    @Override
    public IoConnectFuture connect(SocketAddress address, AttributeRepository context, SocketAddress localAddress) {
        IoConnectFuture future = new DefaultIoConnectFuture(address, null);
        Bootstrap bootstrap = new Bootstrap().group(loop.group()).channel(loop.transport().socketChannel())
                .option(ChannelOption.AUTO_READ, false) // nothing is read before the SSH session exists
                .option(ChannelOption.ALLOCATOR, PooledByteBufAllocator.DEFAULT)
                .option(ChannelOption.RCVBUF_ALLOCATOR, NetworkLoop.reads())
                .option(ChannelOption.TCP_NODELAY, CoreModuleProperties.TCP_NODELAY.getRequired(manager))
                .option(ChannelOption.SO_KEEPALIVE, CoreModuleProperties.SOCKET_KEEPALIVE.getRequired(manager))
                .handler(new ChannelInboundHandlerAdapter()); // the session's handler follows once the session exists
        Duration timeout = CoreModuleProperties.IO_CONNECT_TIMEOUT.getOrNull(manager);
        if (timeout != null && !timeout.isZero() && !timeout.isNegative()) {
            bootstrap.option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.min(Integer.MAX_VALUE, timeout.toMillis()));
        }
        ChannelFuture connecting = localAddress == null ? bootstrap.connect(address) : bootstrap.connect(address, localAddress);
        future.addListener(f -> {
            if (f.isCanceled()) {
                connecting.channel().close();
            }
        });
        connecting.addListener((ChannelFuture f) -> {
            if (!f.isSuccess()) {
                future.setException(f.cause());
                return;
            }
            connected(f.channel(), context, future);
        });
        return future;
    }

    private void connected(Channel channel, AttributeRepository context, IoConnectFuture future) {
        IoServiceEventListener listener = eventListener;
        NettyIoSession session = null;
        try {
            if (listener != null) {
                listener.connectionEstablished(this, channel.localAddress(), context, channel.remoteAddress());
            }
            session = new NettyIoSession(ids.incrementAndGet(), this, handler, channel);
            if (context != null) {
                session.setAttribute(AttributeRepository.class, context);
            }
            handler.sessionCreated(session);
            sessions.put(session.getId(), session);
            future.setSession(session);
            if (future.isCanceled() || future.getSession() != session) {
                session.close(true);
                return;
            }
            session.startReading();
        } catch (Throwable e) {
            if (listener != null) {
                try {
                    listener.abortEstablishedConnection(this, channel.localAddress(), context, channel.remoteAddress(), e);
                } catch (Exception ignored) {
                    // the connection is refused either way
                }
            }
            if (session != null) {
                session.close(true);
            } else {
                channel.close();
            }
            future.setException(e);
        }
    }

    void forget(NettyIoSession session) {
        sessions.remove(session.getId());
    }

    @Override
    public Map<Long, IoSession> getManagedSessions() {
        return Map.copyOf(sessions);
    }

    @Override
    public IoServiceEventListener getIoServiceEventListener() {
        return eventListener;
    }

    @Override
    public void setIoServiceEventListener(IoServiceEventListener listener) {
        this.eventListener = listener;
    }

    @Override
    protected void doCloseImmediately() {
        sessions.values().forEach(s -> s.close(true));
        super.doCloseImmediately();
    }
}

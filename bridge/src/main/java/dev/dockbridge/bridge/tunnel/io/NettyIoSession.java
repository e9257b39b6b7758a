package dev.dockbridge.bridge.tunnel.io;

import java.io.IOException;
import java.net.SocketAddress;
import java.nio.channels.ClosedChannelException;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoop;
import io.netty.channel.socket.DuplexChannel;
import org.apache.sshd.common.future.CloseFuture;
import org.apache.sshd.common.future.DefaultCloseFuture;
import org.apache.sshd.common.io.AbstractIoWriteFuture;
import org.apache.sshd.common.io.IoHandler;
import org.apache.sshd.common.io.IoService;
import org.apache.sshd.common.io.IoSession;
import org.apache.sshd.common.io.IoWriteFuture;
import org.apache.sshd.common.util.Readable;
import org.apache.sshd.common.util.buffer.Buffer;
import org.apache.sshd.common.util.closeable.AbstractCloseable;

/**
 * One SSH connection's socket on the loop. Reads go to sshd-core's handler on the loop's thread. Writes keep the order
 * in which sshd-core made them, whatever thread made them: sshd-core encrypts and numbers each packet under its own lock
 * and calls {@link #writeBuffer} under it, so packets join one queue in sequence order, and the loop writes the queue
 * from its head (a packet written at once from the loop could otherwise overtake one another thread had queued).
 */
final class NettyIoSession extends AbstractCloseable implements IoSession, EventLoopSession {
    private final long id;
    private final NettyIoConnector service;
    private final IoHandler handler;
    private final Channel channel;
    private final EventLoop loop;
    private final Map<Object, Object> attributes = new ConcurrentHashMap<>();
    private final Queue<PendingWrite> pending = new ConcurrentLinkedQueue<>();
    private final AtomicBoolean drainScheduled = new AtomicBoolean();
    private final AtomicBoolean ended = new AtomicBoolean();
    private final Runnable drain = this::drainFromTask;

    private record PendingWrite(ByteBuf bytes, Written future) {
    }

    /** Written once the socket took the bytes. */
    private static final class Written extends AbstractIoWriteFuture {
        Written(Object id) {
            super(id, null);
        }

        void done(Throwable failure) {
            setValue(failure == null ? Boolean.TRUE : failure);
        }
    }

    NettyIoSession(long id, NettyIoConnector service, IoHandler handler, Channel channel) {
        this.id = id;
        this.service = service;
        this.handler = handler;
        this.channel = channel;
        this.loop = channel.eventLoop();
    }

    @Override
    public EventLoop eventLoop() {
        return loop;
    }

    void startReading() {
        channel.pipeline().addLast(new Inbound());
        channel.config().setAutoRead(true);
        channel.closeFuture().addListener(f -> close(true));
    }

    @Override
    public IoWriteFuture writeBuffer(Buffer buffer) throws IOException {
        Written future = new Written(buffer);
        if (isClosing() || !channel.isActive()) {
            future.done(new ClosedChannelException());
            return future;
        }
        // sshd-core does not touch a buffer again once handed over: wrapped, not copied
        pending.add(new PendingWrite(Unpooled.wrappedBuffer(buffer.array(), buffer.rpos(), buffer.available()), future));
        if (ended.get()) { // ended meanwhile: nothing drains the queue any more
            failPending();
            return future;
        }
        // written at the end of the loop's turn, also from the loop: the packets of every forward the turn served (opens,
        // data, closes) leave in one write instead of a system call and a TCP segment each
        if (drainScheduled.compareAndSet(false, true) && !onLoop(drain)) {
            ended(); // the loop is gone (the daemon stops) and its socket with it, before its close reached this session
        }
        return future;
    }

    /** Hands {@code task} to the loop; false when the loop is shut down and runs nothing again. */
    private boolean onLoop(Runnable task) {
        try {
            loop.execute(task);
            return true;
        } catch (RejectedExecutionException e) {
            return false;
        }
    }

    private void drainFromTask() {
        drainScheduled.set(false);
        drain();
    }

    private void drain() {
        PendingWrite w = pending.poll();
        if (w == null) {
            return;
        }
        do {
            Written future = w.future();
            channel.write(w.bytes()).addListener((ChannelFuture f) -> future.done(f.isSuccess() ? null : f.cause()));
            w = pending.poll();
        } while (w != null);
        channel.flush();
    }

    @Override
    protected CloseFuture doCloseGracefully() {
        DefaultCloseFuture flushed = new DefaultCloseFuture(toString(), futureLock);
        if (!onLoop(() -> {
            drain();
            channel.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(f -> flushed.setClosed());
        })) {
            flushed.setClosed(); // the loop is gone: nothing more can be written
        }
        return flushed;
    }

    @Override
    protected void doCloseImmediately() {
        channel.close().addListener((ChannelFutureListener) f -> ended());
        if (loop.isShutdown()) { // the close's listener would run on the loop, which runs nothing again
            ended();
        }
    }

    /**
     * Runs once after the socket closed, on the loop (or where the loop was found gone): fails what was not written and
     * tells sshd-core.
     */
    private void ended() {
        if (!ended.compareAndSet(false, true)) {
            return;
        }
        failPending();
        service.forget(this);
        try {
            handler.sessionClosed(this);
        } catch (Exception e) {
            log.debug("session {}: sessionClosed failed", id, e);
        } finally {
            super.doCloseImmediately();
        }
    }

    private void failPending() {
        ClosedChannelException closed = null;
        for (PendingWrite w = pending.poll(); w != null; w = pending.poll()) {
            w.bytes().release();
            if (closed == null) {
                closed = new ClosedChannelException();
            }
            w.future().done(closed);
        }
    }

    @Override
    public void shutdownOutputStream() throws IOException {
        if (channel instanceof DuplexChannel duplex) {
            duplex.shutdownOutput();
        }
    }

    @Override
    public void suspendRead() {
        channel.config().setAutoRead(false);
    }

    @Override
    public void resumeRead() {
        channel.config().setAutoRead(true);
    }

    @Override
    public long getId() {
        return id;
    }

    @Override
    public IoService getService() {
        return service;
    }

    @Override
    public SocketAddress getAcceptanceAddress() {
        return null; // a connection this side opened
    }

    @Override
    public SocketAddress getLocalAddress() {
        return channel.localAddress();
    }

    @Override
    public SocketAddress getRemoteAddress() {
        return channel.remoteAddress();
    }

    @Override
    public Object getAttribute(Object key) {
        return attributes.get(key);
    }

    @Override
    public Object setAttribute(Object key, Object value) {
        return attributes.put(key, value);
    }

    @Override
    public Object setAttributeIfAbsent(Object key, Object value) {
        return attributes.putIfAbsent(key, value);
    }

    @Override
    public Object removeAttribute(Object key) {
        return attributes.remove(key);
    }

    @Override
    public String toString() {
        return "NettyIoSession[" + id + " " + channel.remoteAddress() + "]";
    }

    /** Hands what arrives to sshd-core, which decrypts and dispatches it on this thread. */
    private final class Inbound extends ChannelInboundHandlerAdapter {
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ByteBuf bytes = (ByteBuf) msg;
            try {
                handler.messageReceived(NettyIoSession.this, new Readable() {
                    @Override
                    public int available() {
                        return bytes.readableBytes();
                    }

                    @Override
                    public void getRawBytes(byte[] data, int offset, int len) {
                        bytes.readBytes(data, offset, len);
                    }
                });
            } catch (Throwable t) {
                failed(t);
            } finally {
                bytes.release();
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            failed(cause);
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            close(true);
        }

        private void failed(Throwable t) {
            try {
                handler.exceptionCaught(NettyIoSession.this, t);
            } catch (Throwable again) {
                log.debug("session {}: exceptionCaught failed", id, again);
                close(true);
            }
        }
    }
}

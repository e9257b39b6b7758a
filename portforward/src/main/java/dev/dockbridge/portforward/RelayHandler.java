package dev.dockbridge.portforward;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.channel.socket.SocketChannel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import java.util.ArrayDeque;
import java.util.concurrent.CompletionException;

/**
 * Relays one accepted local connection to one remote channel. Auto-read is off: the first read waits for
 * the remote channel to open (bytes and an EOF that epoll delivers before are kept until then), and reading pauses whenever {@link #MAX_IN_FLIGHT} bytes are handed to the
 * remote side but not yet taken by it; remote bytes are acknowledged only once written locally. A half-close in either direction is passed
 * on; the connection closes when both directions have ended or either failed.
 */
final class RelayHandler extends ChannelInboundHandlerAdapter implements ChannelOpener.RemoteSink {
    private static final Logger log = LoggerFactory.getLogger(RelayHandler.class);

    /** Local bytes handed to the remote side but not yet taken by it: the bound on buffering per connection. */
    private static final int MAX_IN_FLIGHT = 512 * 1024;

    private final ForwardTarget target;
    private final ChannelOpener opener;
    private final ForwardStats stats;
    private final ArrayDeque<ByteBuf> early = new ArrayDeque<>(); // read before the remote channel opened; event loop only
    private Channel channel;
    private volatile ChannelOpener.RemoteEnd remote;

    private int inFlight; // event loop only
    private boolean localEof; // event loop only
    private boolean remoteEof; // event loop only
    private boolean inputEnded; // the local peer's EOF arrived (epoll refuses a read after it); event loop only
    private boolean broken; // a local error or a failed remote write closed the connection; event loop only
    private boolean remoteClosed; // the remote side closed its channel; event loop only

    RelayHandler(ForwardTarget target, ChannelOpener opener, ForwardStats stats) {
        this.target = target;
        this.opener = opener;
        this.stats = stats;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        channel = ctx.channel();
        stats.opened();
        target.open(opener, this).whenComplete((end, error) -> onLoop(() -> {
            if (error != null) {
                Throwable cause = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
                log.warn("forward {}: connection dropped, the server side could not be reached: {}", target.spec().remotePort(), cause.getMessage());
                reset(); // like a refused connection, not an empty reply
                return;
            }
            remote = end;
            if (!channel.isActive()) {
                end.close();
                return;
            }
            // what the transport delivered before the channel opened goes first, in order, then the EOF if it came
            ByteBuf b;
            while ((b = early.poll()) != null) {
                send(ctx, b);
            }
            if (inputEnded) {
                endInput(ctx);
            } else if (inFlight < MAX_IN_FLIGHT) {
                channel.read();
            }
        }));
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        ByteBuf buf = (ByteBuf) msg;
        if (remote == null) {
            // epoll reads what arrived with a peer's FIN even before a read was asked for: kept until the channel opens
            early.add(buf);
            return;
        }
        send(ctx, buf);
        if (inFlight < MAX_IN_FLIGHT && !inputEnded) {
            ctx.read(); // overlap reading with sending, up to the bound
        }
    }

    private void send(ChannelHandlerContext ctx, ByteBuf buf) {
        int length = buf.readableBytes();
        stats.in(length);
        inFlight += length;
        // the pooled read buffer itself goes to the transport, which copies it into its packets, and back to the pool then
        remote.write(buf.nioBuffer()).whenComplete((ok, error) -> onLoop(() -> {
            buf.release();
            inFlight -= length;
            if (error != null) {
                broken = true;
                ctx.close();
            } else if (inFlight < MAX_IN_FLIGHT && !inputEnded) {
                ctx.read(); // room again: the remote side took what was queued
            }
        }));
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof ChannelInputShutdownEvent) {
            inputEnded = true;
            if (remote != null) {
                endInput(ctx);
            } // else passed on once the channel is open, after the bytes before it
        } else {
            ctx.fireUserEventTriggered(evt);
        }
    }

    /** Done with this direction only once the EOF (and every byte queued before it) reached the remote side. */
    private void endInput(ChannelHandlerContext ctx) {
        remote.shutdownOutput().whenComplete((ok, error) -> onLoop(() -> {
            if (error != null) {
                broken = true;
                ctx.close();
                return;
            }
            localEof = true;
            closeIfDone();
        }));
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        stats.closed();
        early.forEach(ByteBuf::release);
        early.clear();
        ChannelOpener.RemoteEnd r = remote;
        if (r == null) {
            return;
        }
        if (remoteEof && !localEof && !broken && !remoteClosed) {
            // the local peer's EOF after the remote side's own (no half-closure left to keep, see onEof): the remote side
            // hears it as an EOF after every byte before it, then the close, as when the local side ends first
            r.shutdownOutput().whenComplete((ok, error) -> r.close());
        } else {
            r.close();
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        log.debug("forward {}: {}", target.spec().remotePort(), cause.toString()); // a reset by the peer is routine
        broken = true;
        ctx.close();
    }

    // ---- RemoteSink: called from the opener's threads

    @Override
    public void onData(byte[] array, int offset, int length, Runnable delivered) {
        stats.out(length);
        // one copy, into pooled direct memory the socket writes from without the JDK's own copy
        ByteBuf copy = channel.alloc().directBuffer(length).writeBytes(array, offset, length);
        channel.writeAndFlush(copy).addListener((ChannelFutureListener) f -> {
            if (f.isSuccess()) {
                delivered.run();
            } else {
                f.channel().close();
            }
        });
    }

    @Override
    public void onEof() {
        onLoop(() -> {
            remoteEof = true;
            // after the bytes already queued: an empty write keeps the order
            channel.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener((ChannelFutureListener) f -> {
                if (channel instanceof SocketChannel socket && socket.isActive()) {
                    OutputEnd.shutdownOutput(socket);
                    // Only the local peer's EOF is left to come, and it ends the connection: Netty then closes the socket
                    // instead of shutting down its input first, which on a socket whose FIN went both ways fails
                    // (ENOTCONN) with an exception and its stack trace, most short connections' last event.
                    socket.config().setOption(ChannelOption.ALLOW_HALF_CLOSURE, false);
                }
                closeIfDone();
            });
        });
    }

    @Override
    public void onClose(Throwable cause) {
        // after flush, so bytes already queued still arrive
        onLoop(() -> {
            remoteClosed = true;
            channel.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener((ChannelFutureListener) f -> {
                if (remoteEof) {
                    channel.close(); // it ended its output first: everything arrived
                } else {
                    reset(); // closed without an EOF (a reset on the server, a dead SSH session): what arrived may be cut short
                }
            });
        });
    }

    /**
     * Runs {@code work} on the connection's event loop: at once when called there (the daemon's SSH session runs on the
     * same loop, so its callbacks mostly are), else as a task. Each task hop was a queue round and a wake-up per event of
     * every forwarded connection. Either way the order of one caller's calls is kept: the loop's own run them in turn, and
     * another thread's join the loop's queue behind what that thread queued before (its writes included).
     */
    private void onLoop(Runnable work) {
        EventLoop loop = channel.eventLoop();
        if (loop.inEventLoop()) {
            work.run();
        } else {
            loop.execute(work);
        }
    }

    /**
     * Ends the local connection with a TCP reset instead of a FIN, so the client sees an error rather than
     * what would look like a complete, merely shorter, reply.
     */
    private void reset() {
        if (channel.isOpen()) {
            channel.config().setOption(ChannelOption.SO_LINGER, 0);
            channel.close();
        }
    }

    private void closeIfDone() {
        if (localEof && remoteEof) {
            channel.close();
        }
    }
}

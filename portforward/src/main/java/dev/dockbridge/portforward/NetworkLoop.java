package dev.dockbridge.portforward;

import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;

import io.netty.channel.AdaptiveRecvByteBufAllocator;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.RecvByteBufAllocator;
import io.netty.util.concurrent.DefaultThreadFactory;

/**
 * The daemon's one network thread: the forwards' sockets and the SSH connection they travel over. One thread, as
 * OpenSSH's poll loop: a forwarded connection's open, data, EOF and close go from its socket into the SSH session and
 * back without waking another thread. Owns its thread; those who are given it only use it.
 */
public final class NetworkLoop implements AutoCloseable {
    /**
     * The most one read of a socket on the loop takes: one SSH packet's worth (OpenSSH's 32 KiB), and no more than the
     * allocator caches per thread. Netty's default (64 KiB) went back to the shared arena on every release, and merging
     * its runs there was 11 % of the daemon's CPU under an upload.
     */
    static final int MAX_READ = 32 * 1024;

    private final Transport transport;
    private final EventLoopGroup group;

    /** @param threads makes the loop's thread from Netty's (a fast-thread-local thread); may wrap what it runs */
    public NetworkLoop(Transport transport, ThreadFactory threads) {
        this.transport = transport;
        this.group = new MultiThreadIoEventLoopGroup(1, threads, transport.handlers());
    }

    /** A loop on plain Netty threads named {@code name}. */
    public NetworkLoop(Transport transport, String name) {
        this(transport, new DefaultThreadFactory(name, true));
    }

    /** How much each read of a socket on the loop takes (forwarded connections and the SSH connection alike). */
    public static RecvByteBufAllocator reads() {
        return new AdaptiveRecvByteBufAllocator(64, 2048, MAX_READ);
    }

    public Transport transport() {
        return transport;
    }

    public EventLoopGroup group() {
        return group;
    }

    @Override
    public void close() {
        group.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
    }
}

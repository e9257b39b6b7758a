package dev.dockbridge.bridge.tunnel.io;

import io.netty.channel.EventLoop;

/** An SSH connection whose reads and writes run on one Netty event loop: work for it can be queued there. */
public interface EventLoopSession {
    /** The loop that reads this connection's packets and writes them. */
    EventLoop eventLoop();
}

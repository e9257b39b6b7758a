package dev.dockbridge.portforward;

import io.netty.channel.IoHandlerFactory;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;

/** How the forwards' sockets are driven: Linux's epoll where Netty's native library loads, the JDK's NIO elsewhere. */
public enum Transport {
    EPOLL,
    NIO;

    /** Epoll when it is available here (fewer system calls per connection), else NIO. */
    public static Transport best() {
        return Epoll.isAvailable() ? EPOLL : NIO;
    }

    /** For the log: which one, and why not epoll when it is not. */
    String describe() {
        if (this == EPOLL) {
            return "native epoll";
        }
        Throwable why = Epoll.unavailabilityCause();
        return why == null ? "NIO" : "NIO (epoll unavailable: " + why.getMessage() + ")";
    }

    IoHandlerFactory handlers() {
        return this == EPOLL ? EpollIoHandler.newFactory() : NioIoHandler.newFactory();
    }

    Class<? extends ServerChannel> serverChannel() {
        return this == EPOLL ? EpollServerSocketChannel.class : NioServerSocketChannel.class;
    }

    /** The channel of an outgoing TCP connection. */
    public Class<? extends SocketChannel> socketChannel() {
        return this == EPOLL ? EpollSocketChannel.class : NioSocketChannel.class;
    }
}

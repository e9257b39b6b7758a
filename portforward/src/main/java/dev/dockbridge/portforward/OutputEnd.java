package dev.dockbridge.portforward;

import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.unix.Socket;
import java.io.IOException;
import java.nio.channels.NotYetConnectedException;

/**
 * Ends a local connection's output (its FIN), the rest of it staying open. On epoll this is the socket's own
 * {@code shutdown(SHUT_WR)}: Netty's {@code shutdownOutput()} makes a {@code ChannelOutputShutdownException}, with its
 * stack trace, for every call, to fail writes that are queued; callers here have none queued (they flush first and write
 * nothing after), and that stack trace was a few per cent of the network thread's time under many short connections.
 * The socket records the shutdown, so Netty's {@code isOutputShutdown()} still tells the truth.
 */
final class OutputEnd {
    private OutputEnd() {
    }

    /** After every queued write has been flushed: a later write fails like one after any shutdown. */
    static void shutdownOutput(SocketChannel channel) {
        if (channel instanceof EpollSocketChannel epoll && epoll.fd() instanceof Socket socket) {
            try {
                socket.shutdown(false, true);
            } catch (IOException | NotYetConnectedException e) {
                channel.close(); // the peer is gone already: nothing left to end gracefully
            }
        } else {
            channel.shutdownOutput();
        }
    }
}

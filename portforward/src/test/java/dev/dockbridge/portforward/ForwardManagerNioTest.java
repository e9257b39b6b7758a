package dev.dockbridge.portforward;

/** Every forward case on the JDK's NIO, what macOS and other platforms without Netty's epoll library use. */
class ForwardManagerNioTest extends ForwardManagerTest {
    @Override
    Transport transport() {
        return Transport.NIO;
    }
}

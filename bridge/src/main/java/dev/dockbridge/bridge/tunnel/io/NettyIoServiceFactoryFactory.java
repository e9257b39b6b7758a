package dev.dockbridge.bridge.tunnel.io;

import org.apache.sshd.common.Factory;
import org.apache.sshd.common.FactoryManager;
import org.apache.sshd.common.io.IoServiceFactory;
import org.apache.sshd.common.io.IoServiceFactoryFactory;
import org.apache.sshd.common.util.threads.CloseableExecutorService;

import dev.dockbridge.portforward.NetworkLoop;

/**
 * Apache SSHD's I/O on a Netty event loop, the one the forwards use: sshd-core's own (NIO2) reads on the JDK's poller
 * thread, hands each read to a pool thread and completes each write on one, so a forwarded connection crossed threads
 * for its open, its data, its EOF and its close. Client connections only. Its Netty module is not used because it is
 * not published where DockBridge is built.
 */
public final class NettyIoServiceFactoryFactory implements IoServiceFactoryFactory {
    private final NetworkLoop loop;

    public NettyIoServiceFactoryFactory(NetworkLoop loop) {
        this.loop = loop;
    }

    @Override
    public IoServiceFactory create(FactoryManager manager) {
        return new NettyIoServiceFactory(manager, loop);
    }

    /** Ignored: nothing here runs on an executor besides the loop. */
    @Override
    public void setExecutorServiceFactory(Factory<CloseableExecutorService> factory) {
    }
}

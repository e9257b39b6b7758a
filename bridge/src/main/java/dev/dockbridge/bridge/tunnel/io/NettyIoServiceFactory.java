package dev.dockbridge.bridge.tunnel.io;

import org.apache.sshd.common.FactoryManager;
import org.apache.sshd.common.io.IoAcceptor;
import org.apache.sshd.common.io.IoConnector;
import org.apache.sshd.common.io.IoHandler;
import org.apache.sshd.common.io.IoServiceEventListener;
import org.apache.sshd.common.io.IoServiceFactory;
import org.apache.sshd.common.util.closeable.AbstractCloseable;

import dev.dockbridge.portforward.NetworkLoop;

/** Makes {@link NettyIoConnector}s on one loop; accepting is not supported (DockBridge is only a client). */
final class NettyIoServiceFactory extends AbstractCloseable implements IoServiceFactory {
    private final FactoryManager manager;
    private final NetworkLoop loop;
    private volatile IoServiceEventListener eventListener;

    NettyIoServiceFactory(FactoryManager manager, NetworkLoop loop) {
        this.manager = manager;
        this.loop = loop;
    }

    @Override
    public IoConnector createConnector(IoHandler handler) {
        NettyIoConnector connector = new NettyIoConnector(manager, handler, loop);
        connector.setIoServiceEventListener(eventListener);
        return connector;
    }

    @Override
    public IoAcceptor createAcceptor(IoHandler handler) {
        throw new UnsupportedOperationException("DockBridge's SSH I/O connects; it does not accept");
    }

    @Override
    public IoServiceEventListener getIoServiceEventListener() {
        return eventListener;
    }

    @Override
    public void setIoServiceEventListener(IoServiceEventListener listener) {
        this.eventListener = listener;
    }
}

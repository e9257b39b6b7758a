package dev.dockbridge.bridge.forward;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;

import dev.dockbridge.bridge.host.HostLifecycle;
import dev.dockbridge.portforward.ChannelOpener;
import java.io.IOException;

/**
 * Opens forward connections as SSH {@code direct-tcpip} channels on the ready host's session, without
 * blocking the caller (a Netty event loop); only a reconnecting session is waited for, on {@code executor}.
 * Never brings a host up: a forward used while no host is ready is refused.
 */
public final class SshChannelOpener implements ChannelOpener {
    private final HostLifecycle lifecycle;
    private final Executor executor;

    public SshChannelOpener(HostLifecycle lifecycle, Executor executor) {
        this.lifecycle = lifecycle;
        this.executor = executor;
    }

    @Override
    public CompletableFuture<RemoteEnd> open(String host, int port, RemoteSink sink) {
        try {
            return lifecycle.currentTunnel().openTcpAsync(host, port, sink, executor);
        } catch (IOException e) {
            return CompletableFuture.failedFuture(e);
        }
    }
}

package dev.dockbridge.bridge.forward;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;

import dev.dockbridge.bridge.host.HostLifecycle;
import dev.dockbridge.portforward.ChannelOpener;

/**
 * Opens forward connections as SSH {@code direct-tcpip} channels on the ready host's session. Opening
 * blocks on the network, so it runs on {@code executor}, never on a Netty event loop. Never brings a host
 * up: a forward used while no host is ready is refused.
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
        return CompletableFuture.supplyAsync(() -> {
            try {
                return lifecycle.currentTunnel().openTcp(host, port, sink);
            } catch (java.io.IOException e) {
                throw new CompletionException(e);
            }
        }, executor);
    }
}

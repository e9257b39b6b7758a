package dev.dockbridge.bridge.daemon;

import java.io.Closeable;
import java.io.IOException;
import java.util.concurrent.CountDownLatch;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.dockbridge.bridge.docker.DockerSocketProxy;
import dev.dockbridge.bridge.tunnel.SshTunnel;
import dev.dockbridge.bridge.tunnel.TunnelException;

/**
 * The running daemon for an existing SSH host: the tunnel and the Docker socket in front of it.
 * Owns both; {@link #close()} removes the socket and ends the SSH session.
 */
public final class BridgeDaemon implements Closeable {
    private static final Logger log = LoggerFactory.getLogger(BridgeDaemon.class);

    private final SshTunnel tunnel;
    private final DockerSocketProxy proxy;
    private final Cleanups cleanups = new Cleanups();
    private final CountDownLatch stopped = new CountDownLatch(1);

    public BridgeDaemon(SshTunnel tunnel, DockerSocketProxy proxy) {
        this.tunnel = cleanups.register(tunnel);
        this.proxy = proxy;
    }

    /**
     * Connects once, so a refused host key or login fails here with its reason; a host that is merely
     * unreachable does not stop the start (each docker command retries and reports why it failed).
     */
    public void start() throws IOException {
        try {
            tunnel.session();
        } catch (TunnelException e) {
            if (e.permanent()) {
                close();
                throw e;
            }
            log.warn("{}; the docker socket starts anyway and each docker command retries", e.getMessage());
        }
        try {
            cleanups.register(proxy).start();
        } catch (IOException e) {
            close();
            throw e;
        }
    }

    public DockerSocketProxy proxy() {
        return proxy;
    }

    /** Blocks until {@link #close()}. */
    public void awaitStop() throws InterruptedException {
        stopped.await();
    }

    @Override
    public void close() {
        cleanups.close();
        stopped.countDown();
    }
}

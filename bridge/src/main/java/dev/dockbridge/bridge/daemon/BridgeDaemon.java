package dev.dockbridge.bridge.daemon;

import java.io.Closeable;
import java.io.IOException;
import java.util.concurrent.CountDownLatch;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.dockbridge.bridge.docker.DockerSocketProxy;
import dev.dockbridge.bridge.host.HostLifecycle;
import dev.dockbridge.bridge.tunnel.TunnelException;
import dev.dockbridge.hetzner.HetznerApiException;

/**
 * The running daemon of one profile: the host lifecycle and the Docker socket in front of it. Owns both;
 * {@link #close()} removes the socket and ends the SSH session (the host keeps running).
 */
public final class BridgeDaemon implements Closeable {
    private static final Logger log = LoggerFactory.getLogger(BridgeDaemon.class);

    private final HostLifecycle lifecycle;
    private final DockerSocketProxy proxy;
    private final Cleanups cleanups = new Cleanups();
    private final CountDownLatch stopped = new CountDownLatch(1);

    public BridgeDaemon(HostLifecycle lifecycle, DockerSocketProxy proxy) {
        this.lifecycle = cleanups.register(lifecycle);
        this.proxy = proxy;
    }

    /**
     * Adopts the profile's existing host, if any, so that a refused token, host key or login fails here
     * with its reason. A host or API that is merely unreachable does not stop the start: each docker
     * command retries and reports why it failed.
     */
    public void start() throws IOException {
        try {
            if (!lifecycle.adopt()) {
                log.info("no host yet: the first docker command brings one up ({})", lifecycle.provider().describe());
            }
        } catch (IOException e) {
            if (permanent(e)) {
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

    /** Failures no retry can fix: a refused token, host key or login. */
    static boolean permanent(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof TunnelException te && te.permanent()) {
                return true;
            }
            if (t instanceof HetznerApiException he && (he.unauthorized() || he.status() == 403)) {
                return true;
            }
        }
        return false;
    }

    public DockerSocketProxy proxy() {
        return proxy;
    }

    public HostLifecycle lifecycle() {
        return lifecycle;
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

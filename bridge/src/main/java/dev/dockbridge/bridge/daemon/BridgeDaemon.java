package dev.dockbridge.bridge.daemon;

import java.io.Closeable;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.dockbridge.portforward.NetworkLoop;

import dev.dockbridge.bridge.docker.DockerSocketProxy;
import dev.dockbridge.bridge.docker.RequestPathWarmup;
import dev.dockbridge.bridge.forward.ContainerWatcher;
import dev.dockbridge.bridge.host.HostLifecycle;
import dev.dockbridge.bridge.idle.IdleReaper;
import dev.dockbridge.bridge.idle.ServerPresence;
import dev.dockbridge.bridge.idle.WorkMonitor;
import dev.dockbridge.bridge.mounts.MountedFolders;
import dev.dockbridge.bridge.tunnel.TunnelException;
import dev.dockbridge.bridge.host.ProviderException;
import dev.dockbridge.portforward.ForwardManager;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The running daemon of one profile: the host lifecycle, the Docker socket in front of it, the port
 * forwards and their watcher, and the control socket. Owns them all; {@link #close()} stops them in
 * reverse order (the host keeps running).
 */
public final class BridgeDaemon implements Closeable {
    private static final Logger log = LoggerFactory.getLogger(BridgeDaemon.class);

    /**
     * The parts, built by the composition root; {@code forwards} and {@code watcher} are null when forwarding
     * is off, {@code reaper} when the host is not DockBridge's to delete, {@code warmup} when turned off. {@code network}
     * is the thread the SSH connections and the forwards share: it closes after them. {@code jvmTraining}: what ends the
     * JVM's ahead-of-time training, closed with the daemon.
     */
    public record Parts(NetworkLoop network, HostLifecycle lifecycle, DockerSocketProxy proxy, ForwardManager forwards, ContainerWatcher watcher,
                        IdleReaper reaper, WorkMonitor work, ServerPresence presence, MountedFolders mounts, ControlServer control,
                        RequestPathWarmup warmup, Closeable jvmTraining) {
    }

    private static final Duration IDLE_TICK = Duration.ofSeconds(1);
    /** Often enough that a job's end starts the idle countdown within seconds; each round is one stats read per container. */
    private static final Duration WORK_SAMPLE_EVERY = Duration.ofSeconds(10);

    /** How soon a folder no container uses stops being kept in step, and one a container names is provided again. */
    private static final Duration MOUNTS_CHECK_EVERY = Duration.ofSeconds(10);

    private final Parts parts;
    private final Cleanups cleanups = new Cleanups();
    private final CountDownLatch stopped = new CountDownLatch(1);

    public BridgeDaemon(Parts parts, DaemonLock lock) {
        this.parts = parts;
        cleanups.register(lock); // released last
        cleanups.register(parts.network());
        cleanups.register(parts.lifecycle());
        cleanups.register(parts.jvmTraining());
    }

    /**
     * Adopts the profile's existing host, if any, so that a refused token, host key or login fails here
     * with its reason. A host or API that is merely unreachable does not stop the start: each docker
     * command retries and reports why it failed.
     */
    public void start() throws IOException {
        // control first: 'stop' and 'status' reach the daemon from the first moment, also while it adopts
        cleanups.register(parts.control()).start();
        if (parts.warmup() != null) {
            cleanups.register(parts.warmup()); // it starts when the first engine is ready, maybe during the adoption below
        }
        try {
            if (!parts.lifecycle().adopt()) {
                log.info("no host yet: the first docker command brings one up ({})", parts.lifecycle().describe());
            }
        } catch (IOException e) {
            if (permanent(e)) {
                close();
                throw e;
            }
            log.warn("{}; the docker socket starts anyway and each docker command retries", e.getMessage());
        }
        try {
            if (parts.forwards() != null) {
                cleanups.register(parts.forwards());
                cleanups.register(parts.watcher()).start();
            }
            if (parts.reaper() != null) {
                cleanups.register(parts.work()).start(WORK_SAMPLE_EVERY);
                cleanups.register(parts.reaper()).start(IDLE_TICK);
            }
            if (parts.presence() != null) {
                cleanups.register(parts.presence()).start(ServerPresence.EVERY);
            }
            if (parts.mounts() != null) {
                cleanups.register(parts.mounts()).start(MOUNTS_CHECK_EVERY);
            }
            cleanups.register(parts.proxy()).start();
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
            if (t instanceof ProviderException pe && pe.permanent()) {
                return true;
            }
        }
        return false;
    }

    public DockerSocketProxy proxy() {
        return parts.proxy();
    }

    public HostLifecycle lifecycle() {
        return parts.lifecycle();
    }

    private final AtomicBoolean closing = new AtomicBoolean();

    /** Blocks until {@link #close()}. */
    public void awaitStop() throws InterruptedException {
        stopped.await();
    }

    @Override
    public void close() {
        if (closing.compareAndSet(false, true)) {
            log.info("stopping: closing the docker socket, forwards and the ssh session (the server keeps running)");
            cleanups.close();
            log.info("stopped");
        }
        stopped.countDown();
    }
}

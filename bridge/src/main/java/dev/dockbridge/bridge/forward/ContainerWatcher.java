package dev.dockbridge.bridge.forward;

import java.io.Closeable;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.async.ResultCallback;
import com.github.dockerjava.api.model.Container;
import com.github.dockerjava.api.model.ContainerPort;
import com.github.dockerjava.api.model.Event;
import com.github.dockerjava.api.model.EventType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.dockbridge.bridge.host.HostLifecycle;
import dev.dockbridge.bridge.host.HourlyPrice;
import dev.dockbridge.bridge.host.ProvisionedHost;
import dev.dockbridge.bridge.host.HostState;
import dev.dockbridge.portforward.ForwardManager;
import dev.dockbridge.portforward.ForwardSpec;

/**
 * Keeps the forwards equal to the published ports of the running containers. Container events trigger a
 * full reconcile ({@code GET /containers/json}); so do (re)connects and a periodic timer, which catch
 * missed events. Talks to the engine through its own private socket and channels (docker-java), not the
 * user's socket, so its traffic is never counted as use and never brings a host up.
 *
 * <p>Owns its thread, its private socket and its docker-java client.
 */
public final class ContainerWatcher implements Closeable {
    private static final Logger log = LoggerFactory.getLogger(ContainerWatcher.class);

    private final HostLifecycle lifecycle;
    private final ForwardManager forwards;
    private final Duration reconcileEvery;
    private final boolean directToContainer;
    private final RemoteDockerClient remote;
    private final Semaphore trigger = new Semaphore(0);
    private final Thread thread;
    private volatile boolean closed;
    private Closeable events; // watcher thread only

    /** @param directToContainer forward to the container's own address when it has one (the published port stays the fallback) */
    public ContainerWatcher(HostLifecycle lifecycle, ForwardManager forwards, Path privateSocketPath, Duration reconcileEvery,
                            boolean directToContainer) {
        this.directToContainer = directToContainer;
        this.lifecycle = lifecycle;
        this.forwards = forwards;
        this.reconcileEvery = reconcileEvery;
        // no response timeout: the events stream is long-lived
        this.remote = new RemoteDockerClient(lifecycle, privateSocketPath, 4, null);
        this.thread = new Thread(this::run, "container-watcher");
        thread.setDaemon(true);
    }

    public void start() throws IOException {
        remote.start();
        // leaving READY wakes the watcher, which drops the forwards at once (status must not list a deleted server's)
        lifecycle.addListener(new HostLifecycle.Listener() {
            @Override
            public void ready(ProvisionedHost host, Optional<HourlyPrice> price) {
                trigger.release();
            }

            @Override
            public void deleted(ProvisionedHost host) {
                trigger.release();
            }

            @Override
            public void transition(HostState from, HostState to) {
                if (from == HostState.READY) {
                    trigger.release();
                }
            }
        });
        thread.start();
    }

    private void run() {
        boolean wasReady = false;
        while (!closed) {
            try {
                boolean ready = lifecycle.snapshot().state() == HostState.READY;
                if (!ready) {
                    if (wasReady) {
                        forwards.clear(); // the host is gone: nothing to forward to
                        stopEvents();
                    }
                    wasReady = false;
                    trigger.tryAcquire(1, TimeUnit.SECONDS);
                    continue;
                }
                if (events == null) {
                    subscribe();
                }
                reconcile();
                wasReady = true;
                trigger.tryAcquire(reconcileEvery.toMillis(), TimeUnit.MILLISECONDS);
                trigger.drainPermits(); // one reconcile answers a burst of events
            } catch (InterruptedException e) {
                return;
            } catch (RuntimeException e) {
                // keep the forwards: a tunnel that is reconnecting comes back with the same containers
                log.debug("container watcher: {}", e.toString());
                stopEvents();
                try {
                    Thread.sleep(1000);
                } catch (InterruptedException ie) {
                    return;
                }
            }
        }
    }

    private DockerClient docker() {
        return remote.docker();
    }

    private void subscribe() {
        events = docker().eventsCmd().withEventTypeFilter(EventType.CONTAINER).exec(new ResultCallback.Adapter<Event>() {
            @Override
            public void onNext(Event event) {
                trigger.release();
            }

            @Override
            public void onError(Throwable error) {
                log.debug("container events stream failed: {}", error.toString());
                events = null;
                trigger.release();
            }

            @Override
            public void onComplete() {
                events = null;
                trigger.release();
            }
        });
    }

    private void stopEvents() {
        Closeable e = events;
        events = null;
        if (e != null) {
            try {
                e.close();
            } catch (IOException ignored) {
                // the stream is gone either way
            }
        }
    }

    private void reconcile() {
        List<ForwardSpec> desired = new ArrayList<>();
        for (Container c : docker().listContainersCmd().exec()) {
            String name = c.getNames() != null && c.getNames().length > 0 ? c.getNames()[0].replaceFirst("^/", "") : c.getId().substring(0, 12);
            if (c.getPorts() == null) {
                continue;
            }
            for (ContainerPort p : c.getPorts()) {
                if (p.getPublicPort() == null || p.getPublicPort() == 0) {
                    continue;
                }
                String direct = directToContainer && p.getPrivatePort() != null ? containerAddress(c) : null;
                desired.add(new ForwardSpec(name, p.getType() == null ? "tcp" : p.getType(), remoteHost(p.getIp()), p.getPublicPort(),
                        direct, direct == null ? 0 : p.getPrivatePort()));
            }
        }
        forwards.apply(desired);
    }

    /** The container's IPv4 address on Docker's default bridge, else on its first network that has one; null if none. */
    static String containerAddress(Container c) {
        if (c.getNetworkSettings() == null || c.getNetworkSettings().getNetworks() == null) {
            return null;
        }
        var networks = c.getNetworkSettings().getNetworks();
        var bridge = networks.get("bridge");
        if (bridge != null && bridge.getIpAddress() != null && !bridge.getIpAddress().isBlank()) {
            return bridge.getIpAddress();
        }
        return networks.values().stream().map(n -> n.getIpAddress()).filter(ip -> ip != null && !ip.isBlank()).findFirst().orElse(null);
    }

    /** A port published on all addresses is reached on the server's loopback; a specific binding at that address. */
    static String remoteHost(String ip) {
        return ip == null || ip.isEmpty() || ip.equals("0.0.0.0") || ip.equals("::") ? "127.0.0.1" : ip;
    }

    @Override
    public void close() {
        closed = true;
        thread.interrupt();
        stopEvents();
        remote.close();
    }
}

package dev.dockbridge.bridge.mounts;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.Set;

import com.github.dockerjava.api.model.Container;
import com.github.dockerjava.api.model.ContainerMount;

import dev.dockbridge.bridge.forward.RemoteDockerClient;
import dev.dockbridge.bridge.host.HostLifecycle;
import dev.dockbridge.bridge.host.HostState;

/**
 * The bind sources of every container on the ready server, running or not (a stopped one may start again), read
 * through the daemon's own private socket: never brings a server up, never counts as use. Owns its client.
 */
public final class ContainerBindSources implements BindSources {
    private final HostLifecycle lifecycle;
    private final RemoteDockerClient docker;

    public ContainerBindSources(HostLifecycle lifecycle, Path privateSocket) {
        this.lifecycle = lifecycle;
        this.docker = new RemoteDockerClient(lifecycle, privateSocket, 2, Duration.ofSeconds(30));
    }

    @Override
    public void start() throws IOException {
        docker.start();
    }

    /** Null while no server is ready or its session is lost. */
    @Override
    public Set<String> get() {
        if (lifecycle.snapshot().state() != HostState.READY || !lifecycle.sessionOpen()) {
            return null;
        }
        Set<String> sources = new HashSet<>();
        for (Container c : docker.docker().listContainersCmd().withShowAll(true).exec()) {
            if (c.getMounts() != null) {
                for (ContainerMount m : c.getMounts()) {
                    if (m.getSource() != null) {
                        sources.add(m.getSource());
                    }
                }
            }
        }
        return sources;
    }

    @Override
    public void close() {
        docker.close();
    }
}

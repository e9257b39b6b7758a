package dev.dockbridge.bridge.forward;

import java.io.Closeable;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.async.ResultCallback;
import com.github.dockerjava.api.model.Container;
import com.github.dockerjava.api.model.Statistics;

import dev.dockbridge.bridge.host.HostLifecycle;
import dev.dockbridge.bridge.idle.ContainerWork;

/**
 * Reads every running container's CPU and network counters through a private socket of the daemon's (never
 * counted as use, never brings a server up): one list and one stats read per container per round.
 */
public final class DockerStatsSampler implements ContainerWork.Sampler, Closeable {
    private static final Duration STATS_TIMEOUT = Duration.ofSeconds(10);
    /** A round must stay cheap, whatever runs on the server. */
    private static final int MAX_CONTAINERS = 64;

    private final RemoteDockerClient remote;

    public DockerStatsSampler(HostLifecycle lifecycle, Path privateSocketPath) {
        this.remote = new RemoteDockerClient(lifecycle, privateSocketPath, 2, Duration.ofSeconds(30));
    }

    @Override
    public List<ContainerWork.Sample> sample() throws Exception {
        remote.start(); // on the first round: the sampler's socket exists only while it samples
        List<ContainerWork.Sample> out = new ArrayList<>();
        for (Container c : docker().listContainersCmd().exec()) {
            if (out.size() >= MAX_CONTAINERS) {
                break;
            }
            Statistics s = stats(c.getId());
            if (s == null) {
                continue;
            }
            long cpu = s.getCpuStats() == null || s.getCpuStats().getCpuUsage() == null || s.getCpuStats().getCpuUsage().getTotalUsage() == null
                    ? 0 : s.getCpuStats().getCpuUsage().getTotalUsage();
            long net = 0;
            if (s.getNetworks() != null) {
                for (var n : s.getNetworks().values()) {
                    net += (n.getRxBytes() == null ? 0 : n.getRxBytes()) + (n.getTxBytes() == null ? 0 : n.getTxBytes());
                }
            }
            String name = c.getNames() != null && c.getNames().length > 0 ? c.getNames()[0].replaceFirst("^/", "") : c.getId().substring(0, 12);
            out.add(new ContainerWork.Sample(c.getId(), name, cpu, net, c.getCreated() == null ? null : Instant.ofEpochSecond(c.getCreated())));
        }
        return out;
    }

    private Statistics stats(String id) throws InterruptedException, IOException {
        AtomicReference<Statistics> got = new AtomicReference<>();
        try (ResultCallback.Adapter<Statistics> callback = docker().statsCmd(id).withNoStream(true).exec(new ResultCallback.Adapter<>() {
            @Override
            public void onNext(Statistics s) {
                got.compareAndSet(null, s);
            }
        })) {
            callback.awaitCompletion(STATS_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        }
        return got.get();
    }

    private DockerClient docker() {
        return remote.docker();
    }

    @Override
    public void close() {
        remote.close();
    }
}

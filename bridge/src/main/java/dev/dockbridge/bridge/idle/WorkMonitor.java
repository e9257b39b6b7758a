package dev.dockbridge.bridge.idle;

import java.io.Closeable;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.dockbridge.bridge.concurrent.Threads;

/**
 * Samples the containers' work while a host is ready, every {@code every}; a failed round is logged and the
 * next one runs. Owns its thread and the sampler.
 */
public final class WorkMonitor implements Closeable {
    private static final Logger log = LoggerFactory.getLogger(WorkMonitor.class);

    private final ContainerWork work;
    private final ContainerWork.Sampler sampler;
    private final BooleanSupplier hostReady;
    private final Closeable samplerOwner;
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(Threads.named("container-work"));
    private volatile String lastFailure;

    public WorkMonitor(ContainerWork work, ContainerWork.Sampler sampler, Closeable samplerOwner, BooleanSupplier hostReady) {
        this.work = work;
        this.sampler = sampler;
        this.samplerOwner = samplerOwner;
        this.hostReady = hostReady;
    }

    public void start(Duration every) {
        timer.scheduleWithFixedDelay(this::round, 0, every.toMillis(), TimeUnit.MILLISECONDS);
    }

    private void round() {
        try {
            if (!hostReady.getAsBoolean()) {
                work.clear();
                return;
            }
            work.record(sampler.sample());
            lastFailure = null;
        } catch (Exception e) {
            String why = e.toString();
            if (!why.equals(lastFailure)) {
                log.info("reading the containers' work failed (next round in a moment): {}", why);
                lastFailure = why;
            }
        }
    }

    @Override
    public void close() {
        timer.shutdownNow();
        try {
            samplerOwner.close();
        } catch (IOException e) {
            log.debug("closing the container sampler: {}", e.toString());
        }
    }
}

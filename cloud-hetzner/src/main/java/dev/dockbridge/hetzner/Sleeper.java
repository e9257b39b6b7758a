package dev.dockbridge.hetzner;

import java.time.Duration;

/** Waiting, made replaceable so retry and polling logic is testable without real time passing. */
@FunctionalInterface
public interface Sleeper {
    Sleeper REAL = d -> Thread.sleep(d.toMillis());

    void sleep(Duration duration) throws InterruptedException;
}

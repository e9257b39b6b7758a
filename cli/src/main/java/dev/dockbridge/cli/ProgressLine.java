package dev.dockbridge.cli;

import java.io.PrintWriter;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;

/**
 * What a long operation is doing, for a person waiting on it: on a terminal one live line (the step and the time
 * so far, redrawn in place), otherwise one line per step, {@code [12 s] server ... created, waiting for it to start}.
 */
public final class ProgressLine implements AutoCloseable {
    private final PrintWriter out;
    private final boolean live;
    private final Clock clock;
    private final Instant started;
    private String shown;

    public ProgressLine(PrintWriter out, boolean live, Clock clock) {
        this.out = out;
        this.live = live;
        this.clock = clock;
        this.started = clock.instant();
    }

    /** The current step (null: none known); printed when it changed, and redrawn with the time on a terminal. */
    public void show(String step) {
        if (step == null || (!live && Objects.equals(step, shown))) {
            return;
        }
        long seconds = Duration.between(started, clock.instant()).toSeconds();
        if (live) {
            out.print("\r\033[K[" + seconds + " s] " + step);
        } else {
            out.println("[" + seconds + " s] " + step);
        }
        out.flush();
        shown = step;
    }

    @Override
    public void close() {
        if (live && shown != null) {
            out.println();
            out.flush();
        }
    }
}

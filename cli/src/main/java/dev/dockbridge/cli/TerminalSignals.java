package dev.dockbridge.cli;

import org.slf4j.LoggerFactory;

import sun.misc.Signal;
import sun.misc.SignalHandler;

/**
 * A detached daemon ignores the signals a terminal sends its jobs: SIGHUP when the terminal closes, SIGINT for a
 * Ctrl-C meant for the shell. {@code setsid} would give it a session of its own, but macOS has no such command and
 * the JDK cannot make one; ignoring the two is what {@code nohup} does, and SIGTERM still stops the daemon cleanly.
 */
public final class TerminalSignals {
    private TerminalSignals() {
    }

    public static void ignore() {
        for (String name : new String[] {"HUP", "INT"}) {
            try {
                Signal.handle(new Signal(name), SignalHandler.SIG_IGN);
            } catch (IllegalArgumentException e) {
                LoggerFactory.getLogger(TerminalSignals.class).warn("cannot ignore SIG{}: {}", name, e.getMessage());
            }
        }
    }
}

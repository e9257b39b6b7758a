package dev.dockbridge.cli;

import java.io.Console;
import java.lang.reflect.Method;

/** Whether a person is at a terminal: a live progress line, a passphrase prompt, {@code ssh -t}. */
public final class Terminal {
    private Terminal() {
    }

    /**
     * {@link System#console()} alone says too much on Java 22+, where it is there even with redirected streams; its
     * {@code isTerminal()} (22+) tells. The code is built for Java 17, so that method is looked up.
     */
    public static boolean interactive() {
        Console console = System.console();
        if (console == null) {
            return false;
        }
        try {
            Method isTerminal = Console.class.getMethod("isTerminal");
            return (Boolean) isTerminal.invoke(console);
        } catch (NoSuchMethodException e) {
            return true; // Java 17-21: a console exists only for a terminal
        } catch (ReflectiveOperationException e) {
            return false;
        }
    }
}

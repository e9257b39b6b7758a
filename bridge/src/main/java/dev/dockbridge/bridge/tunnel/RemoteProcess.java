package dev.dockbridge.bridge.tunnel;

import java.io.Closeable;
import java.io.InputStream;
import java.io.OutputStream;
import java.time.Duration;
import java.util.Optional;

/**
 * A command running on the host with its input and output streamed over the session (a tar of files, a watcher's
 * reports). Whoever started it owns it; {@link #close()} ends the channel, and with it the command.
 */
public interface RemoteProcess extends Closeable {
    /** The command's standard input; closing it sends end of file. */
    OutputStream stdin();

    /** The command's standard output; ends when the command does (or the session is lost). */
    InputStream stdout();

    /** Waits at most {@code timeout} for the command to end; empty if it did not. */
    Optional<Integer> waitFor(Duration timeout);

    /** The start of what the command wrote to its standard error. */
    String stderr();

    @Override
    void close();
}

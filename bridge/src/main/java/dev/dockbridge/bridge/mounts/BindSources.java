package dev.dockbridge.bridge.mounts;

import java.io.Closeable;
import java.io.IOException;
import java.util.Set;
import java.util.function.Supplier;

/** The bind sources of every container on the ready server; {@link #get} is null while none is ready. */
public interface BindSources extends Supplier<Set<String>>, Closeable {
    void start() throws IOException;

    @Override
    void close();
}

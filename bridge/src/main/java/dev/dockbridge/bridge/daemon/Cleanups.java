package dev.dockbridge.bridge.daemon;

import java.util.ArrayDeque;
import java.util.Deque;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Resources registered as they come up and closed in reverse order; one failing close does not stop the rest. */
final class Cleanups implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Cleanups.class);

    private final Deque<AutoCloseable> stack = new ArrayDeque<>();

    synchronized <T extends AutoCloseable> T register(T resource) {
        stack.push(resource);
        return resource;
    }

    @Override
    public synchronized void close() {
        while (!stack.isEmpty()) {
            AutoCloseable resource = stack.pop();
            try {
                resource.close();
            } catch (Exception e) {
                log.warn("closing {} failed: {}", resource.getClass().getSimpleName(), e.toString());
            }
        }
    }
}

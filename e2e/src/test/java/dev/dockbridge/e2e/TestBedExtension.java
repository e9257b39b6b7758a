package dev.dockbridge.e2e;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

import dev.dockbridge.e2e.testbed.TestBed;

/**
 * Gives tests the one test bed of this test JVM, created on first use and torn down when the JVM's tests end. If it
 * cannot be created the tests fail with the reason: the e2e suite never silently skips. The suite runs in parallel
 * forks (e2e/pom.xml), each on its own bed: a fork takes the first free slot (a file lock, released when the JVM
 * exits, also by a crash), and slot N has its own namespaces, folders and addresses (198.18.4N-3 to 198.18.4N).
 */
public final class TestBedExtension implements ParameterResolver {
    /** Hosts 1 and 2 serve the ssh-provider tests; 3 and 4 are the simulator's servers. */
    static final int HOSTS = 4;
    private static final int SLOTS = 4;

    @Override
    public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
        return parameter.getParameter().getType() == TestBed.class;
    }

    @Override
    public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
        return context.getRoot().getStore(ExtensionContext.Namespace.GLOBAL).computeIfAbsent(Slot.class, key -> {
            try {
                return Slot.take();
            } catch (IOException | RuntimeException e) {
                throw new IllegalStateException("cannot set up the test bed: " + e.getMessage(), e);
            }
        }, Slot.class).bed();
    }

    /** A slot's lock and the bed on it; closed with the store at the end of the JVM's tests: the bed first, then the lock. */
    private record Slot(FileChannel lock, TestBed bed) implements AutoCloseable {
        static Slot take() throws IOException {
            for (int slot = 1; slot <= SLOTS; slot++) {
                FileChannel lock = FileChannel.open(Path.of("/tmp/dbe2e-slot-" + slot + ".lock"), StandardOpenOption.CREATE,
                        StandardOpenOption.WRITE);
                String name = slot == 1 ? "dbe2e" : "dbe2e" + slot;
                int first = (slot - 1) * HOSTS + 1;
                if (lock.tryLock() == null || !TestBed.addressesFree(name, first, HOSTS)) {
                    lock.close(); // another fork's, or its addresses are another bed's (a demo, a benchmark, the package test)
                    continue;
                }
                try {
                    return new Slot(lock, TestBed.start(Path.of("/tmp", name), name, HOSTS, first));
                } catch (IOException | RuntimeException e) {
                    lock.close();
                    throw e;
                }
            }
            throw new IllegalStateException("all " + SLOTS + " test-bed slots are taken by other test runs or beds (198.18.1-"
                    + SLOTS * HOSTS + " routed: 'ip -o route | grep 198.18' shows by which)");
        }

        @Override
        public void close() throws IOException {
            try {
                bed.close();
            } finally {
                lock.close();
            }
        }
    }
}

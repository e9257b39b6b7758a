package dev.dockbridge.e2e;

import java.nio.file.Path;

import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

import dev.dockbridge.e2e.testbed.TestBed;

/**
 * Gives tests the one test bed of this run, created on first use and torn down when the run ends. If it
 * cannot be created the tests fail with the reason: the e2e suite never silently skips.
 */
public final class TestBedExtension implements ParameterResolver {
    /** Hosts 1 and 2 serve the ssh-provider tests; 3 and 4 are the simulator's servers. */
    static final int HOSTS = 4;

    @Override
    public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
        return parameter.getParameter().getType() == TestBed.class;
    }

    @Override
    public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
        return context.getRoot().getStore(ExtensionContext.Namespace.GLOBAL)
                .computeIfAbsent(TestBed.class, key -> {
                    try {
                        return TestBed.start(Path.of("/tmp/dbe2e"), "dbe2e", HOSTS);
                    } catch (Exception e) {
                        throw new IllegalStateException("cannot set up the test bed: " + e.getMessage(), e);
                    }
                }, TestBed.class);
    }
}

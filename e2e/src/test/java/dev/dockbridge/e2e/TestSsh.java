package dev.dockbridge.e2e;

import java.io.IOException;
import java.time.Duration;

import dev.dockbridge.bridge.tunnel.IdentityFiles;
import dev.dockbridge.bridge.tunnel.KnownHostsTrust;
import dev.dockbridge.bridge.tunnel.SshTarget;
import dev.dockbridge.e2e.testbed.TestBed;

/** The SSH login to the test bed's first host that tests driving an {@code SshTunnel} directly use. */
final class TestSsh {
    private TestSsh() {
    }

    static SshTarget target(TestBed bed) throws IOException {
        return new SshTarget(bed.host(1).address(), 22, "root", IdentityFiles.load(bed.clientKey()), bed.clientKey().toString(),
                new KnownHostsTrust(bed.knownHosts(), false), Duration.ofSeconds(10), Duration.ofSeconds(5), 3, Duration.ofSeconds(30), null);
    }
}

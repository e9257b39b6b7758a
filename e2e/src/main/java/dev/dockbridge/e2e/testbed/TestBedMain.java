package dev.dockbridge.e2e.testbed;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Brings the test bed up or down from a shell (the README's demo, the benchmark):
 * {@code up DIR [HOSTS]} leaves the hosts running and writes {@code DIR/config.yaml} for host 1;
 * {@code down DIR [HOSTS]} stops and removes them.
 */
public final class TestBedMain {
    private TestBedMain() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length < 2 || !(args[0].equals("up") || args[0].equals("down"))) {
            System.err.println("usage: TestBedMain up|down DIR [HOSTS]");
            System.exit(2);
        }
        Path dir = Path.of(args[1]).toAbsolutePath();
        int hosts = args.length > 2 ? Integer.parseInt(args[2]) : 1;
        String prefix = System.getProperty("dockbridge.testbed.prefix", "dbdemo");
        if (args[0].equals("down")) {
            for (int i = 1; i <= hosts; i++) {
                new TestHost(prefix, i, dir).destroy();
            }
            return;
        }
        TestBed bed = TestBed.start(dir, prefix, hosts); // left running on purpose: 'down' stops it
        Files.writeString(dir.resolve("config.yaml"), bed.sshConfig(1, ""));
        System.out.println("host 1: " + bed.host(1).address() + " (sshd and dockerd running)");
        System.out.println("config: " + dir.resolve("config.yaml"));
        System.out.println("remote docker socket (direct, for comparison): " + bed.host(1).dockerSocket());
    }
}

package dev.dockbridge.e2e.testbed;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CountDownLatch;

import dev.dockbridge.e2e.hetzner.HetznerSimulator;
import java.nio.file.StandardCopyOption;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;

/**
 * The test bed from a shell (the README's demo, the benchmarks):
 * <ul>
 * <li>{@code up DIR [HOSTS]} leaves hosts running and writes {@code DIR/config.yaml} (provider ssh, host 1);
 * <li>{@code down DIR [HOSTS]} stops and removes them;
 * <li>{@code sim DIR [HOSTS]} runs hosts behind the Hetzner simulator until stopped (SIGTERM), and writes
 *     {@code DIR/sim.env} with {@code HCLOUD_ENDPOINT} and {@code HCLOUD_TOKEN}.
 * </ul>
 */
public final class TestBedMain {
    private TestBedMain() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length < 2 || !List.of("up", "down", "sim").contains(args[0])) {
            System.err.println("usage: TestBedMain up|down|sim DIR [HOSTS]");
            System.exit(2);
        }
        Path dir = Path.of(args[1]).toAbsolutePath();
        int hosts = args.length > 2 ? Integer.parseInt(args[2]) : 1;
        String prefix = System.getProperty("dockbridge.testbed.prefix", "dbdemo");
        switch (args[0]) {
            case "down" -> {
                for (int i = 1; i <= hosts; i++) {
                    new TestHost(prefix, i, dir, dir.resolve("local")).destroy();
                }
            }
            case "up" -> {
                TestBed bed = TestBed.start(dir, prefix, hosts); // left running on purpose: 'down' stops it
                Files.writeString(dir.resolve("config.yaml"), bed.sshConfig(1, ""));
                System.out.println("host 1: " + bed.host(1).address() + " (sshd and dockerd running)");
                System.out.println("config: " + dir.resolve("config.yaml"));
            }
            default -> simulate(dir, prefix, hosts);
        }
    }

    private static void simulate(Path dir, String prefix, int hosts) throws Exception {
        TestBed bed = TestBed.start(dir, prefix, hosts);
        List<TestHost> pool = new ArrayList<>();
        for (int i = 1; i <= hosts; i++) {
            pool.add(bed.host(i));
        }
        String token = "demo-" + Long.toHexString(new SecureRandom().nextLong());
        HetznerSimulator sim = new HetznerSimulator(token, pool);
        sim.bootDelay(Duration.ofMillis(Long.getLong("dockbridge.sim.boot_delay_ms", 1000)));
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            sim.close();
            bed.close();
            stopped.countDown();
        }));
        Path env = dir.resolve("sim.env");
        Files.writeString(env.resolveSibling("sim.env.tmp"), "HCLOUD_ENDPOINT=" + sim.endpoint() + "\nHCLOUD_TOKEN=" + token + "\n");
        Files.move(env.resolveSibling("sim.env.tmp"), env, StandardCopyOption.ATOMIC_MOVE);
        System.out.println("Hetzner simulator at " + sim.endpoint() + " with " + hosts + " server slot(s); stop with SIGTERM");
        stopped.await();
    }
}

package dev.dockbridge.bridge.host;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import dev.dockbridge.bridge.testing.MutableClock;

import dev.dockbridge.bridge.tunnel.RemoteStream;
import dev.dockbridge.bridge.tunnel.CommandResult;
import dev.dockbridge.bridge.tunnel.SshTarget;
import dev.dockbridge.bridge.tunnel.Tunnel;
import dev.dockbridge.bridge.tunnel.TunnelException;
import dev.dockbridge.portforward.ChannelOpener;

/**
 * The lifecycle's races, each held open with a latch: a fake provider and fake tunnels record what was
 * called and what was closed, a listener records every state visited.
 */
class HostLifecycleTest {
    private static final KeyPair KEY = keyPair();
    private static final Duration WAIT = Duration.ofSeconds(10);

    private final MutableClock clock = new MutableClock();
    private final FakeProvider provider = new FakeProvider();
    private final List<FakeTunnel> tunnels = new CopyOnWriteArrayList<>();
    private final List<HostState> visited = new CopyOnWriteArrayList<>();
    private final List<String> deleted = new CopyOnWriteArrayList<>();
    private final List<String> readied = new CopyOnWriteArrayList<>();
    private HostLifecycle lifecycle;

    private HostLifecycle lifecycle() {
        lifecycle = new HostLifecycle(provider, target -> {
            FakeTunnel t = new FakeTunnel(target.host());
            tunnels.add(t);
            return t;
        }, "/var/run/docker.sock", Duration.ofSeconds(5), clock);
        lifecycle.addListener(new HostLifecycle.Listener() {
            @Override
            public void ready(ProvisionedHost host, Optional<HourlyPrice> price) {
                readied.add(host.name());
            }

            @Override
            public void deleted(ProvisionedHost host) {
                deleted.add(host.name());
            }

            @Override
            public void transition(HostState from, HostState to) {
                visited.add(to);
            }
        });
        return lifecycle;
    }

    @AfterEach
    void closeIt() {
        provider.releaseAll();
        if (lifecycle != null) {
            lifecycle.close();
        }
    }

    /** A ready host h1 with its tunnel; the record of calls and states starts after. */
    private FakeTunnel readyHost() throws IOException {
        HostLifecycle l = lifecycle();
        FakeTunnel t = (FakeTunnel) l.ensureReady();
        assertThat(l.snapshot().state()).isEqualTo(HostState.READY);
        provider.calls.clear();
        visited.clear();
        return t;
    }

    @Test
    void listenersHearOfANewServerBeforeTheCommandThatWaitedForItGoesOn() throws Exception {
        // the cost book is such a listener: a kill -9 right after the first command must not lose the server's entry
        for (int i = 0; i < 20; i++) {
            closeIt();
            readied.clear();
            lifecycle().ensureReady();
            assertThat(readied).as("round %d", i).containsExactly("h1");
        }
    }

    @Test
    void aCommandDuringTheIdleRecheckWaitsAndKeepsTheServer() throws Exception {
        FakeTunnel t1 = readyHost();
        CountDownLatch inRecheck = new CountDownLatch(1);
        CountDownLatch commandSent = new CountDownLatch(1);
        CompletableFuture<Tunnel> command = new CompletableFuture<>();
        AtomicBoolean used = new AtomicBoolean();
        CompletableFuture<Boolean> deletion = lifecycle.requestIdleDeletion(lifecycle.snapshot().epoch(), () -> {
            inRecheck.countDown();
            await(commandSent);
            return !used.get(); // as the proxy does, the command counted as use before it asked for the tunnel
        });
        assertThat(inRecheck.await(10, TimeUnit.SECONDS)).isTrue();
        Thread sender = new Thread(() -> {
            try {
                used.set(true);
                command.complete(lifecycle.ensureReady());
            } catch (IOException e) {
                command.completeExceptionally(e);
            }
        });
        sender.start();
        Thread.sleep(200);
        assertThat(command).as("the ready tunnel is withdrawn while the re-check runs").isNotDone();
        commandSent.countDown();
        assertThat(deletion.get(10, TimeUnit.SECONDS)).as("called off").isFalse();
        assertThat(command.get(10, TimeUnit.SECONDS)).isSameAs(t1);
        assertThat(provider.calls).isEmpty();
        assertThat(visited).isEmpty();
        assertThat(t1.closed).isFalse();
    }

    @Test
    void aCommandDuringTheQuiesceCallsTheDeletionOffAndBringsDockerBack() throws Exception {
        provider.volume = true;
        FakeTunnel t1 = readyHost();
        t1.runGate = new CountDownLatch(1);
        CompletableFuture<Boolean> deletion = lifecycle.requestIdleDeletion(lifecycle.snapshot().epoch(), () -> true);
        waitFor(() -> t1.commands.contains("quiesce"));
        assertThat(lifecycle.snapshot().state()).isEqualTo(HostState.QUIESCING);
        CompletableFuture<Tunnel> command = CompletableFuture.supplyAsync(this::ensureReady);
        Thread.sleep(200);
        assertThat(command).as("waits while Docker is being stopped").isNotDone();
        t1.runGate.countDown();
        assertThat(command.get(10, TimeUnit.SECONDS)).as("the same server").isSameAs(t1);
        assertThat(deletion.get(10, TimeUnit.SECONDS)).isFalse();
        assertThat(t1.commands).containsExactly("quiesce", "resume");
        assertThat(provider.calls).as("no DELETE").isEmpty();
        assertThat(visited).containsExactly(HostState.QUIESCING, HostState.RESUMING, HostState.READY);
        assertThat(t1.closed).isFalse();
    }

    @Test
    void aVolumeThatCannotBeUnmountedKeepsTheServerAndSaysWhy() throws Exception {
        provider.volume = true;
        FakeTunnel t1 = readyHost();
        t1.quiesceFails = true;
        CompletableFuture<Boolean> idle = lifecycle.requestIdleDeletion(lifecycle.snapshot().epoch(), () -> true);
        assertThat(idle.get(10, TimeUnit.SECONDS)).as("not deleted").isFalse();
        waitFor(() -> lifecycle.snapshot().state() == HostState.READY);
        assertThat(t1.commands).containsExactly("quiesce", "resume");
        assertThat(provider.calls).as("no DELETE").isEmpty();
        assertThat(lifecycle.snapshot().reason()).contains("not deleted").contains("exit 3: umount: /var/lib/docker: target is busy.");
        assertThat(t1.closed).isFalse();
        assertThat(ensureReady()).as("Docker is back, on the same server").isSameAs(t1);

        // an explicit deletion is refused the same way, and says what to do
        assertThatThrownBy(() -> lifecycle.destroy(WAIT)).hasMessageContaining("was not deleted").hasMessageContaining("target is busy")
                .hasMessageContaining("fuser -vm /var/lib/docker");
        assertThat(provider.calls).isEmpty();
        t1.quiesceFails = false;
        assertThat(lifecycle.destroy(WAIT)).map(ProvisionedHost::name).contains("h1");
        assertThat(provider.calls).containsExactly("destroy h1");
        assertThat(lifecycle.snapshot().reason()).isNull();
    }

    @Test
    void aCommandAfterTheDeleteWaitsForItAndGetsANewServer() throws Exception {
        FakeTunnel t1 = readyHost();
        provider.destroyGate = new CountDownLatch(1);
        CompletableFuture<Boolean> deletion = lifecycle.requestIdleDeletion(lifecycle.snapshot().epoch(), () -> true);
        waitFor(() -> provider.calls.contains("destroy h1"));
        assertThat(t1.closed).as("the dying server's tunnel is closed before the DELETE").isTrue();
        CompletableFuture<Tunnel> command = CompletableFuture.supplyAsync(this::ensureReady);
        Thread.sleep(200);
        assertThat(command).as("never the dying server").isNotDone();
        provider.destroyGate.countDown();
        Tunnel t2 = command.get(10, TimeUnit.SECONDS);
        assertThat(t2).isNotSameAs(t1);
        assertThat(((FakeTunnel) t2).host).isEqualTo("10.0.0.2");
        assertThat(deletion.get(10, TimeUnit.SECONDS)).isTrue();
        assertThat(provider.calls).containsExactly("destroy h1", "find", "create h2");
        assertThat(visited).containsExactly(HostState.DESTROYING, HostState.ABSENT, HostState.PROVISIONING, HostState.BOOTING, HostState.READY);
        assertThat(deleted).containsExactly("h1");
    }

    @Test
    void aFailedDeleteIsRetriedAndNeverReadsAbsentMeanwhile() throws Exception {
        readyHost();
        provider.destroyFailures.set(1);
        Optional<ProvisionedHost> gone = lifecycle.destroy(Duration.ofSeconds(20));
        assertThat(gone).map(ProvisionedHost::name).contains("h1");
        assertThat(provider.calls).containsExactly("destroy h1", "destroy h1");
        assertThat(visited).containsExactly(HostState.DESTROYING, HostState.DELETE_RETRYING, HostState.DESTROYING, HostState.ABSENT);
        assertThat(HostState.DELETE_RETRYING.label()).isEqualTo("destroying");
        assertThat(lifecycle.snapshot().state()).isEqualTo(HostState.ABSENT);
        assertThat(deleted).containsExactly("h1");
        assertThat(tunnels).allMatch(t -> t.closed);
    }

    @Test
    void whileADeleteIsRetriedStatusShowsTheAttemptsAndCommandsHearWhy() throws Exception {
        readyHost();
        provider.destroyFailures.set(100);
        assertThatThrownBy(() -> lifecycle.destroy(Duration.ofMillis(500))).hasMessageContaining("still under way");
        waitFor(() -> lifecycle.snapshot().state() == HostState.DELETE_RETRYING);
        HostLifecycle.Snapshot s = lifecycle.snapshot();
        assertThat(s.state().label()).isEqualTo("destroying");
        assertThat(s.deleteAttempts()).isEqualTo(1);
        assertThat(s.reason()).contains("attempt 1").contains("503");
        assertThatThrownBy(lifecycle::ensureReady).hasMessageContaining("still being deleted");
        assertThat(provider.calls).doesNotContain("create h2");
    }

    @Test
    void theOldTunnelsHostGoneDuringANewProvisioningIsIgnored() throws Exception {
        FakeTunnel t1 = readyHost();
        provider.existing.clear(); // deleted in the console
        provider.exists = false;
        t1.lose();
        waitFor(() -> lifecycle.snapshot().state() == HostState.ABSENT);
        assertThat(t1.closed).isTrue();
        waitFor(() -> deleted.contains("h1"));
        provider.exists = true;
        provider.createGate = new CountDownLatch(1);
        CompletableFuture<Tunnel> command = CompletableFuture.supplyAsync(this::ensureReady);
        waitFor(() -> provider.calls.contains("create h2"));
        clock.advance(Duration.ofMinutes(1)); // past the existence check's rate limit
        provider.exists = false;
        t1.lose(); // the old session's late news
        Thread.sleep(300);
        assertThat(lifecycle.snapshot().state()).isEqualTo(HostState.PROVISIONING);
        provider.createGate.countDown();
        FakeTunnel t2 = (FakeTunnel) command.get(10, TimeUnit.SECONDS);
        assertThat(lifecycle.snapshot().host().name()).isEqualTo("h2");
        assertThat(t2.closed).isFalse();
        assertThat(visited).containsExactly(HostState.ABSENT, HostState.PROVISIONING, HostState.BOOTING, HostState.READY);
    }

    @Test
    void closeWhileAbsentOrReadyKeepsTheServer() throws Exception {
        FakeTunnel t1 = readyHost();
        lifecycle.close();
        assertThat(lifecycle.snapshot().state()).isEqualTo(HostState.CLOSED);
        assertThat(t1.closed).isTrue();
        assertThat(provider.calls).as("a ready server keeps running for the next daemon").isEmpty();
        assertThatThrownBy(lifecycle::ensureReady).hasMessageContaining("shutting down");
        HostLifecycle fresh = lifecycle();
        fresh.close();
        assertThat(fresh.snapshot().state()).isEqualTo(HostState.CLOSED);
    }

    @Test
    void closeWhileBootingACreatedServerDeletesIt() throws Exception {
        HostLifecycle l = lifecycle();
        provider.existing.clear();
        provider.connectGate = new CountDownLatch(1); // SSH never answers
        CompletableFuture<Tunnel> command = CompletableFuture.supplyAsync(this::ensureReady);
        waitFor(() -> l.snapshot().state() == HostState.BOOTING && !tunnels.isEmpty());
        l.close();
        assertThat(provider.calls).containsExactly("find", "create h2", "destroy h2");
        assertThat(l.snapshot().state()).isEqualTo(HostState.CLOSED);
        assertThat(tunnels).allMatch(t -> t.closed);
        assertThat(command).isCompletedExceptionally();
    }

    @Test
    void closeWhileQuiescingFinishesTheDeletion() throws Exception {
        provider.volume = true;
        FakeTunnel t1 = readyHost();
        t1.runGate = new CountDownLatch(1);
        lifecycle.requestIdleDeletion(lifecycle.snapshot().epoch(), () -> true);
        waitFor(() -> t1.commands.contains("quiesce"));
        Thread closer = new Thread(lifecycle::close);
        closer.start();
        Thread.sleep(200);
        t1.runGate.countDown();
        closer.join(20_000);
        assertThat(provider.calls).containsExactly("destroy h1");
        assertThat(visited).containsExactly(HostState.QUIESCING, HostState.DESTROYING, HostState.ABSENT, HostState.CLOSED);
        assertThat(t1.closed).isTrue();
    }

    @Test
    void closeWhileADeleteIsRetriedStopsRetrying() throws Exception {
        readyHost();
        provider.destroyFailures.set(100);
        lifecycle.requestIdleDeletion(lifecycle.snapshot().epoch(), () -> true);
        waitFor(() -> lifecycle.snapshot().state() == HostState.DELETE_RETRYING);
        lifecycle.close();
        assertThat(lifecycle.snapshot().state()).isEqualTo(HostState.CLOSED);
        int attempts = Collections.frequency(provider.calls, "destroy h1");
        Thread.sleep(2500);
        assertThat(Collections.frequency(provider.calls, "destroy h1")).isEqualTo(attempts);
    }

    @Test
    void anExplicitDeleteDuringTheQuiesceIsNotCalledOffByACommand() throws Exception {
        provider.volume = true;
        FakeTunnel t1 = readyHost();
        t1.runGate = new CountDownLatch(1);
        lifecycle.requestIdleDeletion(lifecycle.snapshot().epoch(), () -> true);
        waitFor(() -> t1.commands.contains("quiesce"));
        CompletableFuture<Optional<ProvisionedHost>> explicit = CompletableFuture.supplyAsync(() -> {
            try {
                return lifecycle.destroy(WAIT);
            } catch (IOException e) {
                throw new RuntimeException(e);
            }
        });
        Thread.sleep(100);
        CompletableFuture<Tunnel> command = CompletableFuture.supplyAsync(this::ensureReady);
        Thread.sleep(100);
        t1.runGate.countDown();
        assertThat(explicit.get(10, TimeUnit.SECONDS)).map(ProvisionedHost::name).contains("h1");
        assertThat(command.get(10, TimeUnit.SECONDS)).isNotSameAs(t1);
        assertThat(provider.calls).containsExactly("destroy h1", "find", "create h2");
    }

    @Test
    void adoptionPreparesAnOffServerOnlyInTheBringUp() throws Exception {
        provider.existing.set(0, provider.host(1, "off"));
        HostLifecycle l = lifecycle();
        assertThat(l.findExisting()).extracting(ProvisionedHost::status).containsExactly("off");
        assertThat(provider.calls).containsExactly("find").doesNotContain("prepare h1");
        l.ensureReady();
        assertThat(provider.calls).containsExactly("find", "find", "prepare h1");
    }

    @Test
    void everyStateHasATransitionRowAndCloseIsAlwaysLegal() {
        for (HostState s : HostState.values()) {
            assertThat(HostLifecycle.LEGAL).containsKey(s);
            assertThat(HostLifecycle.LEGAL.get(s)).contains(HostLifecycle.Event.CLOSE);
        }
        assertThat(HostLifecycle.LEGAL.get(HostState.READY)).doesNotContain(HostLifecycle.Event.UP, HostLifecycle.Event.DELETED);
        assertThat(HostLifecycle.LEGAL.get(HostState.ABSENT)).doesNotContain(HostLifecycle.Event.IDLE_DELETE);
    }

    // ---- fakes and helpers

    private Tunnel ensureReady() {
        try {
            return lifecycle.ensureReady();
        } catch (IOException e) {
            throw new RuntimeException(e);
        }
    }

    private static void waitFor(BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("condition not met within " + WAIT);
            }
            Thread.sleep(10);
        }
    }

    private static void await(CountDownLatch latch) {
        try {
            if (!latch.await(10, TimeUnit.SECONDS)) {
                throw new AssertionError("latch not released");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    private static KeyPair keyPair() {
        try {
            return KeyPairGenerator.getInstance("EC").generateKeyPair();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A cloud with one server h1 at first; creates h2, h3, … */
    final class FakeProvider implements HostProvider {
        final List<String> calls = new CopyOnWriteArrayList<>();
        final List<ProvisionedHost> existing = new CopyOnWriteArrayList<>(List.of(host(1, "running")));
        final AtomicInteger next = new AtomicInteger(2);
        final AtomicInteger destroyFailures = new AtomicInteger();
        volatile boolean volume;
        volatile boolean exists = true;
        volatile CountDownLatch createGate = new CountDownLatch(0);
        volatile CountDownLatch destroyGate = new CountDownLatch(0);
        volatile CountDownLatch connectGate = new CountDownLatch(0);

        ProvisionedHost host(int n, String status) {
            SshTarget target = new SshTarget("10.0.0." + n, 22, "root", KEY, "test key", (s, remote, key) -> null, Duration.ofSeconds(1),
                    Duration.ofSeconds(15), 3, Duration.ofSeconds(1), null);
            return new ProvisionedHost(String.valueOf(n), "h" + n, target, clock.instant(), "cx23", "nbg1", !"running".equals(status), status);
        }

        void releaseAll() {
            createGate.countDown();
            destroyGate.countDown();
            connectGate.countDown();
        }

        @Override
        public String describe() {
            return "fake";
        }

        @Override
        public List<ProvisionedHost> findExisting() {
            calls.add("find");
            return new ArrayList<>(existing);
        }

        @Override
        public ProvisionedHost prepare(ProvisionedHost host, Consumer<String> progress) {
            calls.add("prepare " + host.name());
            return host.running(true);
        }

        @Override
        public ProvisionedHost create(Consumer<String> progress) throws IOException {
            ProvisionedHost h = host(next.getAndIncrement(), "running");
            calls.add("create " + h.name());
            try {
                createGate.await();
            } catch (InterruptedException e) {
                throw new IOException("interrupted", e);
            }
            existing.add(h);
            return h;
        }

        @Override
        public void destroy(ProvisionedHost host) throws IOException {
            calls.add("destroy " + host.name());
            try {
                destroyGate.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            if (destroyFailures.getAndDecrement() > 0) {
                throw new ProviderException(ProviderException.Kind.TRANSIENT, "service_unavailable (503)", null);
            }
            existing.removeIf(h -> h.id().equals(host.id()));
        }

        @Override
        public boolean exists(ProvisionedHost host) {
            return exists;
        }

        @Override
        public Optional<String> beforeDeleteCommand() {
            return volume ? Optional.of("quiesce") : Optional.empty();
        }

        @Override
        public Optional<String> cancelledDeleteCommand() {
            return volume ? Optional.of("resume") : Optional.empty();
        }

        @Override
        public boolean disposable() {
            return true;
        }
    }

    /** A session that answers Docker's /_ping; records the commands run on it and whether it was closed. */
    final class FakeTunnel implements Tunnel {
        final String host;
        final List<String> commands = new CopyOnWriteArrayList<>();
        final List<Listener> listeners = new CopyOnWriteArrayList<>();
        volatile CountDownLatch runGate = new CountDownLatch(0);
        volatile boolean closed;
        volatile boolean quiesceFails;

        FakeTunnel(String host) {
            this.host = host;
        }

        void lose() {
            listeners.forEach(l -> l.lost(host));
        }

        @Override
        public void addListener(Listener listener) {
            listeners.add(listener);
        }

        @Override
        public void connect() throws TunnelException {
            try {
                provider.connectGate.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new TunnelException(TunnelException.Kind.UNREACHABLE, "interrupted", e);
            }
        }

        @Override
        public RemoteStream openUnixSocket(String path) {
            return new RemoteStream() {
                private boolean answered;

                @Override
                public void write(byte[] data, int offset, int length) {
                }

                @Override
                public void shutdownOutput() {
                }

                @Override
                public byte[] read() {
                    if (answered) {
                        return null;
                    }
                    answered = true;
                    return "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nOK".getBytes(StandardCharsets.US_ASCII);
                }

                @Override
                public void release(int length) {
                }

                @Override
                public void close() {
                }
            };
        }

        @Override
        public CompletableFuture<ChannelOpener.RemoteEnd> openTcpAsync(String h, int port, ChannelOpener.RemoteSink sink, Executor blockingWork) {
            return CompletableFuture.failedFuture(new UnsupportedOperationException());
        }

        @Override
        public CommandResult run(String command, byte[] stdin, Duration timeout) {
            if (command.equals(ShellCheck.COMMAND)) {
                return new CommandResult(0, ""); // the shell check after each bring-up: not what these tests count
            }
            commands.add(command);
            try {
                runGate.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return command.equals("quiesce") && quiesceFails ? new CommandResult(3, "umount: /var/lib/docker: target is busy.\n")
                    : new CommandResult(0, "");
        }

        @Override
        public void close() {
            closed = true;
        }
    }
}

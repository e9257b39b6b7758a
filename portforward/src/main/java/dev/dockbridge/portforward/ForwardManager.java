package dev.dockbridge.portforward;

import java.io.Closeable;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.SocketAddress;
import java.net.UnknownHostException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps one local listener per published TCP port on each loopback bind address, on the same port number
 * when it is free locally and on the next free one otherwise. {@link #apply} is idempotent and applies
 * removals before additions. UDP ports are listed but not forwarded.
 *
 * <p>Thread-safe; {@link #apply} blocks while listeners close and bind, so it must not run on one of its
 * event loops. Owns its listeners and accepted connections. Its event loop is its own unless one is given (then it
 * shares it with the SSH connection the forwards travel over).
 */
public final class ForwardManager implements Closeable {
    private static final Logger log = LoggerFactory.getLogger(ForwardManager.class);
    private static final int PORT_SEARCH = 100;

    private final ChannelOpener opener;
    private final List<InetAddress> bind;
    private final Clock clock;
    private final Transport transport;
    private final EventLoopGroup group;
    private final NetworkLoop ownLoop; // null: the loop was given, and its giver closes it
    private final Object lock = new Object();
    private final Map<String, Forward> forwards = new LinkedHashMap<>(); // guarded by lock
    private final Set<String> warned = new HashSet<>(); // guarded by lock
    private boolean closed; // guarded by lock

    private record Forward(ForwardTarget target, int localPort, List<Channel> listeners, ForwardStats stats, String note) {
        ForwardSpec spec() {
            return target.spec();
        }
    }

    /** Enough for any browser or load test of a dev server; beyond it a runaway client is cut off, not the daemon. */
    public static final int DEFAULT_MAX_CONNECTIONS = 512;

    private final int maxConnections;

    public ForwardManager(ChannelOpener opener, List<String> bindAddresses, Clock clock) {
        this(opener, bindAddresses, DEFAULT_MAX_CONNECTIONS, clock);
    }

    public ForwardManager(ChannelOpener opener, List<String> bindAddresses, int maxConnections, Clock clock) {
        this(opener, bindAddresses, maxConnections, Transport.best(), clock);
    }

    /**
     * @param bindAddresses  loopback literals; those this machine lacks (e.g. no IPv6) are skipped with a warning
     * @param maxConnections open connections per forward; more are closed as they arrive
     */
    public ForwardManager(ChannelOpener opener, List<String> bindAddresses, int maxConnections, Transport transport, Clock clock) {
        this(opener, bindAddresses, maxConnections, new NetworkLoop(transport, "forward"), true, clock);
    }

    /** Forwards on {@code loop}, which the caller closes after this manager (the daemon's SSH connection shares it). */
    public ForwardManager(ChannelOpener opener, List<String> bindAddresses, int maxConnections, NetworkLoop loop, Clock clock) {
        this(opener, bindAddresses, maxConnections, loop, false, clock);
    }

    private ForwardManager(ChannelOpener opener, List<String> bindAddresses, int maxConnections, NetworkLoop loop, boolean ownsLoop,
            Clock clock) {
        this.maxConnections = maxConnections;
        this.transport = loop.transport();
        this.group = loop.group();
        this.ownLoop = ownsLoop ? loop : null;
        log.info("forwards on {}", transport.describe());
        this.opener = opener;
        this.clock = clock;
        List<InetAddress> usable = new ArrayList<>();
        for (String a : bindAddresses) {
            try {
                InetAddress address = InetAddress.getByName(a);
                if (!address.isLoopbackAddress()) {
                    throw new IllegalArgumentException(a + " is not a loopback address");
                }
                if (canBind(address)) {
                    usable.add(address);
                } else {
                    log.warn("forwards: cannot bind {} on this machine; forwarding on the other addresses only", a);
                }
            } catch (UnknownHostException e) {
                throw new IllegalArgumentException("not an address: " + a, e);
            }
        }
        this.bind = List.copyOf(usable);
    }

    private boolean canBind(InetAddress address) {
        try (var socket = new ServerSocket()) {
            socket.bind(new InetSocketAddress(address, 0));
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** Makes the forwards match {@code desired}: closes the ones no longer wanted, then opens the new ones. */
    public void apply(Collection<ForwardSpec> desired) {
        synchronized (lock) {
            if (closed) {
                return;
            }
            Map<String, ForwardSpec> wanted = new LinkedHashMap<>();
            desired.forEach(s -> wanted.put(s.key(), s));
            for (var it = forwards.entrySet().iterator(); it.hasNext(); ) {
                var entry = it.next();
                if (!wanted.containsKey(entry.getKey())) {
                    Forward f = entry.getValue();
                    // wait: the port must be free before an addition below (or the next apply) binds it again
                    f.listeners().forEach(ForwardManager::closeAndAwaitFree);
                    it.remove();
                    if (f.localPort() > 0) {
                        log.info("forward stopped: localhost:{} (container {} gone or stopped)", f.localPort(), f.spec().container());
                    }
                }
            }
            for (ForwardSpec spec : wanted.values()) {
                Forward existing = forwards.get(spec.key());
                if (existing == null) {
                    forwards.put(spec.key(), open(spec));
                } else if (!existing.spec().equals(spec)) {
                    existing.target().update(spec); // same port, another container or address: the listeners stay
                }
            }
        }
    }

    private Forward open(ForwardSpec spec) {
        ForwardStats stats = new ForwardStats(clock);
        ForwardTarget target = new ForwardTarget(spec);
        if (!spec.tcp()) {
            if (warned.add(spec.key())) {
                log.warn("forward: {} port {} of container {} is not forwarded (only TCP is)", spec.protocol(), spec.remotePort(), spec.container());
            }
            return new Forward(target, 0, List.of(), stats, spec.protocol() + " is not forwarded");
        }
        int last = Math.min(65535, spec.remotePort() + PORT_SEARCH);
        for (int port = spec.remotePort(); port <= last; port++) {
            List<Channel> listeners = tryBind(target, port, stats);
            if (listeners != null) {
                if (port != spec.remotePort()) {
                    log.warn("forward: localhost:{} is taken or not allowed here; container {} port {} is on localhost:{}",
                            spec.remotePort(), spec.container(), spec.remotePort(), port);
                } else {
                    log.info("forwarding localhost:{} -> {}:{} (container {})", port, spec.remoteHost(), spec.remotePort(), spec.container());
                }
                return new Forward(target, port, listeners, stats, port != spec.remotePort() ? "local port " + spec.remotePort() + " was taken" : null);
            }
        }
        log.warn("forward: no free local port in {}-{} for container {} port {}", spec.remotePort(), last, spec.container(), spec.remotePort());
        return new Forward(target, 0, List.of(), stats, "no free local port");
    }

    private volatile long lastOverLimitLog;

    private void refuseOverLimit(ForwardSpec spec, SocketChannel ch) {
        long now = System.nanoTime();
        if (now - lastOverLimitLog > TimeUnit.SECONDS.toNanos(10)) {
            lastOverLimitLog = now;
            log.warn("forward {} of {}: {} connections open, closing new ones (forward.max_connections)", spec.remotePort(), spec.container(),
                    maxConnections);
        }
        ch.close();
    }

    private static final long PORT_FREE_WAIT_NANOS = TimeUnit.SECONDS.toNanos(2);

    /**
     * Closes a listener and returns once its port no longer accepts. The JDK closes a listening socket that is
     * registered with a selector only when the event loop next selects, so the close future alone left the port
     * answering for a moment after a container stopped. Binding the address (SO_REUSEADDR: TIME_WAIT does not
     * count, only a socket still listening) proves it is gone.
     */
    private static void closeAndAwaitFree(Channel listener) {
        SocketAddress address = listener.localAddress();
        listener.close().awaitUninterruptibly();
        if (!(address instanceof InetSocketAddress inet)) {
            return;
        }
        long deadline = System.nanoTime() + PORT_FREE_WAIT_NANOS;
        while (System.nanoTime() < deadline) {
            try (ServerSocket probe = new ServerSocket()) {
                probe.setReuseAddress(true);
                probe.bind(inet);
                return;
            } catch (IOException e) {
                try {
                    Thread.sleep(2);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }
        log.warn("forward: localhost:{} still accepts {} ms after its listener closed", inet.getPort(), TimeUnit.NANOSECONDS.toMillis(PORT_FREE_WAIT_NANOS));
    }

    /** Binds the port on every address, or on none. */
    private List<Channel> tryBind(ForwardTarget target, int port, ForwardStats stats) {
        List<Channel> bound = new ArrayList<>();
        for (InetAddress address : bind) {
            ServerBootstrap b = new ServerBootstrap().group(group).channel(transport.serverChannel())
                    .childOption(ChannelOption.AUTO_READ, false)
                    // pooled direct buffers, cached per event loop: what a forward reads, and its one copy of each chunk from the server
                    .childOption(ChannelOption.ALLOCATOR, PooledByteBufAllocator.DEFAULT)
                    .childOption(ChannelOption.RCVBUF_ALLOCATOR, NetworkLoop.reads())
                    .childOption(ChannelOption.ALLOW_HALF_CLOSURE, true)
                    // no TCP_NODELAY here: Netty's socket configs turn it on for every accepted socket already (one
                    // setsockopt per connection less)
                    .childHandler(new ChannelInitializer<SocketChannel>() {
                        @Override
                        protected void initChannel(SocketChannel ch) {
                            if (stats.open() >= maxConnections) {
                                refuseOverLimit(target.spec(), ch);
                                return;
                            }
                            ch.pipeline().addLast(new RelayHandler(target, opener, stats));
                        }
                    });
            var future = b.bind(new InetSocketAddress(address, port)).awaitUninterruptibly();
            if (!future.isSuccess()) {
                bound.forEach(Channel::close);
                return null;
            }
            bound.add(future.channel());
        }
        return bound;
    }

    /** Every forward, sorted by remote port. */
    public List<ForwardStatus> snapshot() {
        synchronized (lock) {
            return forwards.values().stream()
                    .sorted(Comparator.comparingInt((Forward f) -> f.spec().remotePort()).thenComparing(f -> f.spec().protocol()))
                    .map(f -> new ForwardStatus(f.spec().container(), f.spec().protocol(), f.spec().remoteHost(), f.spec().remotePort(),
                            f.localPort(), f.stats().open(), f.stats().total(), f.stats().bytesIn(), f.stats().bytesOut(),
                            f.stats().lastUsed(), f.note()))
                    .toList();
        }
    }

    /** Closes every listener (the daemon stops, or the host is gone). */
    public void clear() {
        apply(List.of());
    }

    @Override
    public void close() {
        synchronized (lock) {
            closed = true;
            forwards.values().forEach(f -> f.listeners().forEach(Channel::close));
            forwards.clear();
        }
        if (ownLoop != null) {
            ownLoop.close();
        }
    }
}

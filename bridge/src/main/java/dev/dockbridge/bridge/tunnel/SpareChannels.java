package dev.dockbridge.bridge.tunnel;

import java.io.Closeable;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Deque;

import org.apache.sshd.client.session.ClientSession;
import org.apache.sshd.common.session.ConnectionService;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A few stream-local channels to one socket (the remote Docker API) opened ahead of need: a connection that arrives
 * takes one and does not wait a round trip for the channel to open. Spares are made only after a connection really
 * used the socket, replaced as they are taken, and closed once none was taken for {@code idle}: an idle session holds
 * none. Nothing counts them as use; the server's engine sees an open connection that sends nothing. They belong to
 * the session they were opened on: a new session (a reconnect, a new server) starts with none.
 */
final class SpareChannels implements Closeable {
    private static final Logger log = LoggerFactory.getLogger(SpareChannels.class);

    private final String path;
    private final int size;
    private final Duration idle;
    private final Clock clock;
    private final Deque<StreamLocalChannel> ready = new ArrayDeque<>();
    private ClientSession session; // whose channels these are
    private int opening;
    private Instant lastTaken = Instant.MIN;
    private boolean closed;

    SpareChannels(String path, int size, Duration idle, Clock clock) {
        this.path = path;
        this.size = size;
        this.idle = idle;
        this.clock = clock;
    }

    String path() {
        return path;
    }

    /** An open spare of {@code s}, or null (none ready: the caller opens its own); either way spares are topped up. */
    synchronized StreamLocalChannel take(ClientSession s) {
        if (closed) {
            return null;
        }
        if (session != s) {
            dropAll();
            session = s;
        }
        lastTaken = clock.instant();
        StreamLocalChannel spare = null;
        while (spare == null && !ready.isEmpty()) {
            StreamLocalChannel c = ready.pollFirst();
            if (usable(c)) {
                spare = c;
            } else {
                c.close(true);
            }
        }
        topUp();
        return spare;
    }

    /** How many are open and waiting (for status and tests). */
    synchronized int available() {
        ready.removeIf(c -> {
            if (usable(c)) {
                return false;
            }
            c.close(true);
            return true;
        });
        return ready.size();
    }

    /** Closes the spares if none was taken for the idle time; called now and then. */
    synchronized void expire() {
        if (!ready.isEmpty() && clock.instant().isAfter(lastTaken.plus(idle))) {
            log.debug("{}: no connection for {} s; closing {} spare channels", path, idle.toSeconds(), ready.size());
            dropAll();
        }
    }

    private static boolean usable(StreamLocalChannel c) {
        return c.isOpen() && !c.isClosing() && !c.isEofSignalled();
    }

    private void topUp() {
        while (ready.size() + opening < size && session != null && session.isOpen()) {
            ClientSession s = session;
            StreamLocalChannel c = new StreamLocalChannel(path);
            opening++;
            try {
                s.getService(ConnectionService.class).registerChannel(c);
                c.open().addListener(f -> opened(s, c, f.isOpened()));
            } catch (Exception e) {
                opening--;
                c.close(true);
                log.debug("{}: cannot open a spare channel: {}", path, e.toString());
                return; // the next take tries again
            }
        }
    }

    private synchronized void opened(ClientSession s, StreamLocalChannel c, boolean ok) {
        opening--;
        if (!ok) {
            c.close(true);
            return;
        }
        if (closed || s != session || ready.size() >= size) {
            c.close(false);
            return;
        }
        ready.addLast(c);
    }

    private void dropAll() {
        ready.forEach(c -> c.close(false));
        ready.clear();
    }

    @Override
    public synchronized void close() {
        closed = true;
        dropAll();
    }
}

package dev.dockbridge.bridge.tunnel;

import java.io.EOFException;
import java.io.IOException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;

import org.apache.sshd.common.io.AbstractIoWriteFuture;
import org.apache.sshd.common.io.IoWriteFuture;
import org.apache.sshd.common.util.threads.ThreadUtils;

/**
 * Keeps a channel's packets (data, EOF, window adjusts) ahead of its CLOSE on the wire. OpenSSH ends the whole
 * session, with every docker connection and forward on it, for a packet on a channel it has freed ("data packet
 * referred to nonexistent channel", "ieof packet …"), and it frees a channel once both sides sent CLOSE. sshd-core
 * answers the server's CLOSE on its I/O thread while another thread may be writing (an async channel may write while
 * closing, and its check and its write are not one step). Reproduced on the test bed by a command that exits while its
 * input is being written (e2e ChannelEofTest, about one run in three).
 *
 * <p>A channel sends every packet through {@link #write}, and calls {@link #serverClosed()} when the server's CLOSE
 * arrives, before sshd-core answers it: one lock orders the two. Its own close ({@link #closing()}, under the same lock)
 * ends its EOF only: sshd-core's graceful close still flushes what was queued before it.
 */
final class ChannelWriteGate {
    /** How long an arriving CLOSE waits for a write under way; a write that takes longer is not waited for. */
    private static final long CLOSE_WAIT_MS = 2000;

    private final ReentrantLock lock = new ReentrantLock();
    private volatile boolean serverClosed;
    private volatile boolean closing;

    interface Write {
        IoWriteFuture send() throws IOException;
    }

    /**
     * Writes unless the server's CLOSE arrived: then a failed future, as sshd-core answers a write to a closed channel.
     *
     * <p>The write runs as one of sshd-core's own threads: during a key exchange sshd-core then queues the packet (sent,
     * in order, when the exchange ends; its future completes then, which is where a caller waits for it) instead of
     * making the thread wait for the exchange's end, here while holding the lock. The exchange ends only once the network
     * thread reads the server's answers, and a CLOSE before them had the network thread wait for this lock: two seconds
     * of a stalled session, then the CLOSE answered before this data (which OpenSSH ends the session for), or, for a
     * command's input stream, whose close needs the monitor its writer holds, a session stuck until it was dropped.
     */
    IoWriteFuture write(Object channel, Write write) throws IOException {
        lock.lock();
        try {
            return serverClosed ? AbstractIoWriteFuture.fulfilled(channel, new EOFException("Channel is being closed"))
                    : ThreadUtils.runAsInternal(write, Write::send);
        } finally {
            lock.unlock();
        }
    }

    /** The EOF unless the channel is closing or closed: null then, as sshd-core's own {@code sendEof} answers. */
    IoWriteFuture eof(Write eof) throws IOException {
        lock.lock();
        try {
            return serverClosed || closing ? null : eof.send();
        } finally {
            lock.unlock();
        }
    }

    /**
     * The channel's own close begins (sshd-core's preClose; its CLOSE follows): an EOF under way is on the wire first,
     * and none comes after. Without the lock an EOF checked just before could follow the CLOSE (seen in a CI daemon log:
     * "ieof packet referred to nonexistent channel 4" right after ten docker connections opened at once).
     */
    void closing() {
        underLock(() -> closing = true);
    }

    void serverClosed() {
        underLock(() -> serverClosed = true);
    }

    private void underLock(Runnable change) {
        boolean locked = false;
        try {
            locked = lock.tryLock(CLOSE_WAIT_MS, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        change.run();
        if (locked) {
            lock.unlock();
        }
    }
}

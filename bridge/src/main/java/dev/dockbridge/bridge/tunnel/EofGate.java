package dev.dockbridge.bridge.tunnel;

import java.io.IOException;

import org.apache.sshd.common.io.IoWriteFuture;

/**
 * Keeps a channel's EOF ahead of its CLOSE on the wire. sshd-core still sends an EOF while a channel closes (its answer
 * to the server's CLOSE may already be out), and OpenSSH ends the whole session, with every docker connection and
 * forward on it, for an EOF on a channel it has freed ("ieof packet referred to nonexistent channel"): seen on the test
 * bed when a quick command ended while its input was being closed. A channel calls {@link #closing()} when it starts to
 * close (its {@code preClose}) and when the server's CLOSE arrives (its {@code handleClose}), before sshd-core sends its
 * own CLOSE, and sends its EOF only through {@link #send}: one lock orders the two.
 */
final class EofGate {
    private boolean closing; // guarded by this

    synchronized void closing() {
        closing = true;
    }

    /** The EOF, unless the channel is closing: then null, as sshd-core's own {@code sendEof} answers a closing channel. */
    synchronized IoWriteFuture send(EofSender eof) throws IOException {
        return closing ? null : eof.send();
    }

    interface EofSender {
        IoWriteFuture send() throws IOException;
    }
}

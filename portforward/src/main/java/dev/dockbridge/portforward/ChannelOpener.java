package dev.dockbridge.portforward;

import java.nio.ByteBuffer;
import java.util.concurrent.CompletableFuture;

/**
 * Opens byte channels to TCP endpoints on the remote side (in DockBridge: SSH {@code direct-tcpip}).
 * Implementations must not block the caller: the future completes when the channel is open.
 */
@FunctionalInterface
public interface ChannelOpener {

    /**
     * @param host the address to connect to, as seen from the remote host (usually 127.0.0.1)
     * @param sink receives what the remote endpoint sends, from the opener's threads
     */
    CompletableFuture<RemoteEnd> open(String host, int port, RemoteSink sink);

    /** The local side's view of one remote connection. Thread-safe. */
    interface RemoteEnd {
        /**
         * Sends the bytes between {@code data}'s position and limit; completes when the transport took them. The caller
         * leaves those bytes unchanged until then (a forward passes its pooled read buffer, not a copy); {@code data}'s own
         * position and limit are not changed.
         */
        CompletableFuture<Void> write(ByteBuffer data);

        /**
         * Half-close: the remote endpoint sees EOF (after every byte written before), and may still answer.
         * Completes once the EOF was sent; closing earlier would lose bytes still queued.
         */
        CompletableFuture<Void> shutdownOutput();

        void close();
    }

    /** Receives one remote connection's bytes. */
    interface RemoteSink {
        /**
         * Bytes from the remote endpoint, valid only during the call (the transport reuses its buffer): the sink
         * copies what it keeps. It calls {@code delivered} once they are written locally (flow control).
         */
        void onData(byte[] array, int offset, int length, Runnable delivered);

        /** The remote endpoint will send no more (half-close). */
        void onEof();

        /** The remote connection is gone; {@code cause} is null for a normal close. */
        void onClose(Throwable cause);
    }
}

package dev.dockbridge.portforward;

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
        /** Sends bytes (the array is not reused by the caller); completes when the transport took them. */
        CompletableFuture<Void> write(byte[] data);

        /**
         * Half-close: the remote endpoint sees EOF (after every byte written before), and may still answer.
         * Completes once the EOF was sent; closing earlier would lose bytes still queued.
         */
        CompletableFuture<Void> shutdownOutput();

        void close();
    }

    /** Receives one remote connection's bytes. */
    interface RemoteSink {
        /** Bytes from the remote endpoint; call {@code delivered} once they are written locally (flow control). */
        void onData(byte[] data, Runnable delivered);

        /** The remote endpoint will send no more (half-close). */
        void onEof();

        /** The remote connection is gone; {@code cause} is null for a normal close. */
        void onClose(Throwable cause);
    }
}

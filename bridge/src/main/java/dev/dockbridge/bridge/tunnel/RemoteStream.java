package dev.dockbridge.bridge.tunnel;

import java.io.Closeable;
import java.io.IOException;

/**
 * A bidirectional byte stream to an endpoint on the remote host, carried by one SSH channel.
 *
 * <p>Flow control is explicit: bytes returned by {@link #read()} keep counting against the SSH window
 * until the caller {@link #release(int) releases} them, so a slow local reader slows the remote sender
 * instead of growing a buffer. One thread may write while another reads; neither method is meant for
 * concurrent use by several threads. The opener owns the stream and must {@link #close()} it.
 */
public interface RemoteStream extends Closeable {

    /**
     * Sends bytes; the caller's array is free when it returns. Blocks while the write before it is not yet taken by the
     * SSH session (the remote window may make it wait); a write that failed is reported by the next write or by
     * {@link #shutdownOutput}.
     */
    void write(byte[] data, int offset, int length) throws IOException;

    /** Sends EOF: the remote endpoint sees the end of its input while the other direction goes on. */
    void shutdownOutput() throws IOException;

    /**
     * Blocks for the next chunk from the remote endpoint.
     *
     * @return the chunk, or {@code null} once the remote side sent EOF
     * @throws RemoteStreamAbortedException if the channel closed without EOF (session lost, remote reset)
     */
    byte[] read() throws IOException, InterruptedException;

    /** Declares that {@code length} bytes from {@link #read()} were delivered, so the remote may send more. */
    void release(int length) throws IOException;

    /** Closes the channel. Idempotent. */
    @Override
    void close();
}

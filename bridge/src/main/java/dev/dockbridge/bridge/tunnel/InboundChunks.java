package dev.dockbridge.bridge.tunnel;

import java.util.Arrays;
import java.util.concurrent.LinkedBlockingQueue;

/**
 * Bytes received on an SSH channel, handed from the SSH I/O thread to the thread that delivers them.
 *
 * <p>Unbounded by itself, but the remote can never have more than one SSH window of unreleased bytes in
 * flight, so memory per channel is bounded by the window size.
 */
final class InboundChunks {
    private static final byte[] EOF = new byte[0];
    private static final byte[] ABORT = new byte[0];

    private final LinkedBlockingQueue<byte[]> chunks = new LinkedBlockingQueue<>();
    private volatile boolean ended;

    void add(byte[] data, int offset, long length) {
        chunks.add(Arrays.copyOfRange(data, offset, offset + Math.toIntExact(length)));
    }

    /** The remote sent EOF: a clean end of the stream. */
    void eof() {
        end(EOF);
    }

    /** The channel closed; if no EOF came first, readers learn the stream was cut short. */
    void closed() {
        end(ABORT);
    }

    private synchronized void end(byte[] marker) {
        if (!ended) {
            ended = true;
            chunks.add(marker);
        }
    }

    byte[] take() throws InterruptedException, RemoteStreamAbortedException {
        byte[] chunk = chunks.take();
        if (chunk == EOF || chunk == ABORT) {
            chunks.add(chunk); // later readers see the same end
            if (chunk == ABORT) {
                throw new RemoteStreamAbortedException("SSH channel closed before the remote end finished");
            }
            return null;
        }
        return chunk;
    }
}

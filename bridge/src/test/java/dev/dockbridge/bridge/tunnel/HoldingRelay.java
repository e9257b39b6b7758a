package dev.dockbridge.bridge.tunnel;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * A loopback TCP relay for one connection in front of a server, which can hold back what the server sends (kept in
 * order, delivered on {@link #release()}): how a test makes the server's packets arrive late, all at once.
 */
final class HoldingRelay implements AutoCloseable {
    private final ServerSocket listener;
    private final int upstreamPort;
    private final ExecutorService pumps = Executors.newCachedThreadPool();
    private final Object lock = new Object();
    private final ByteArrayOutputStream held = new ByteArrayOutputStream(); // guarded by lock
    private boolean holding; // guarded by lock
    private long heldTotal; // guarded by lock
    private OutputStream toClient; // guarded by lock
    private volatile Socket client; // set by the accepting thread, closed by close()
    private volatile Socket upstream;

    HoldingRelay(int upstreamPort) throws IOException {
        this.upstreamPort = upstreamPort;
        this.listener = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
        pumps.submit(this::serve);
    }

    int port() {
        return listener.getLocalPort();
    }

    /** From now on the server's bytes wait here. */
    void hold() {
        synchronized (lock) {
            holding = true;
        }
    }

    /** Bytes from the server held so far (growing while it sends). */
    long held() {
        synchronized (lock) {
            return heldTotal;
        }
    }

    /** Delivers what was held, in order, and relays the server's bytes at once again. */
    void release() throws IOException {
        synchronized (lock) {
            holding = false;
            held.writeTo(toClient);
            toClient.flush();
            held.reset();
        }
    }

    private Void serve() throws IOException {
        client = listener.accept();
        upstream = new Socket(InetAddress.getLoopbackAddress(), upstreamPort);
        synchronized (lock) {
            toClient = client.getOutputStream();
        }
        pumps.submit(() -> pump(client.getInputStream(), upstream.getOutputStream(), false));
        pumps.submit(() -> pump(upstream.getInputStream(), null, true));
        return null;
    }

    private Void pump(InputStream in, OutputStream out, boolean fromServer) throws IOException {
        byte[] chunk = new byte[16 * 1024];
        for (int n; (n = in.read(chunk)) >= 0; ) {
            if (!fromServer) {
                out.write(chunk, 0, n);
                continue;
            }
            synchronized (lock) {
                if (holding) {
                    held.write(chunk, 0, n);
                    heldTotal += n;
                } else {
                    toClient.write(chunk, 0, n);
                }
            }
        }
        return null;
    }

    @Override
    public void close() throws IOException {
        listener.close();
        for (Socket s : new Socket[] {client, upstream}) {
            if (s != null) {
                s.close();
            }
        }
        pumps.shutdownNow();
    }
}

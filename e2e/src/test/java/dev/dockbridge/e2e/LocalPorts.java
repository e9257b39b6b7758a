package dev.dockbridge.e2e;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/** Plain TCP checks of forwarded ports on this machine, shared by the forward tests. */
final class LocalPorts {
    private LocalPorts() {
    }

    /** Whether something accepts TCP connections at the address within a second. */
    static boolean accepts(String address, int port) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(address, port), 1000);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    static boolean accepts(int port) {
        return accepts("127.0.0.1", port);
    }

    /** {@code GET /index.html} over HTTP/1.0 on 127.0.0.1; the whole reply, headers included. */
    static String get(int port) throws IOException {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 2000);
            s.setSoTimeout(10_000);
            s.getOutputStream().write("GET /index.html HTTP/1.0\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            return new String(s.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        }
    }
}

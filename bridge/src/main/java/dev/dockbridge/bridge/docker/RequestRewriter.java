package dev.dockbridge.bridge.docker;

/**
 * Changes the body of the few requests DockBridge must understand before the engine sees them (a container's bind
 * mounts of local folders). The proxy holds only such a request, whole, and hands every other byte on as it comes.
 * Called on the connection's local-to-remote thread; it may block (a folder's first copy).
 */
public interface RequestRewriter {
    /** Whether a request with this method and raw path is to be held and shown to {@link #rewrite}. */
    boolean wants(String method, String path);

    /**
     * @param body the request's body, de-chunked
     * @return the body to send instead, or null to send the request as it came
     * @throws Refused to answer the client with an error instead of sending the request on
     */
    byte[] rewrite(String method, String path, byte[] body) throws Refused;

    /** A request that must not reach the engine, with what to tell the client. */
    final class Refused extends Exception {
        private final int status;

        public Refused(int status, String message) {
            super(message);
            this.status = status;
        }

        public int status() {
            return status;
        }
    }
}

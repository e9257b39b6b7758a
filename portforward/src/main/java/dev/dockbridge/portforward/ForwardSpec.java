package dev.dockbridge.portforward;

/**
 * One published port that should be reachable locally.
 *
 * @param container  the container's name, for display
 * @param protocol   {@code tcp} or {@code udp}
 * @param remoteHost where to connect on the remote host: 127.0.0.1, or the binding's specific address
 * @param remotePort the published (host) port on the remote host; also the preferred local port
 * @param directHost the container's own address on the server, or null: connecting there skips Docker's
 *                   userland proxy, the largest per-connection cost on the server
 * @param directPort the container port behind the published one (with {@code directHost})
 */
public record ForwardSpec(String container, String protocol, String remoteHost, int remotePort, String directHost, int directPort) {

    public ForwardSpec(String container, String protocol, String remoteHost, int remotePort) {
        this(container, protocol, remoteHost, remotePort, null, 0);
    }

    public boolean hasDirect() {
        return directHost != null && !directHost.isBlank() && directPort > 0;
    }

    public boolean tcp() {
        return "tcp".equals(protocol);
    }

    /** Forwards are identified by protocol and remote port: a restarted container keeps its local port. */
    String key() {
        return protocol + "/" + remoteHost + ":" + remotePort;
    }
}

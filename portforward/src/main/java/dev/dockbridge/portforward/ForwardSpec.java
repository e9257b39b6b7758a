package dev.dockbridge.portforward;

/**
 * One published port that should be reachable locally.
 *
 * @param container  the container's name, for display
 * @param protocol   {@code tcp} or {@code udp}
 * @param remoteHost where to connect on the remote host: 127.0.0.1, or the binding's specific address
 * @param remotePort the published (host) port on the remote host; also the preferred local port
 */
public record ForwardSpec(String container, String protocol, String remoteHost, int remotePort) {

    public boolean tcp() {
        return "tcp".equals(protocol);
    }

    /** Forwards are identified by protocol and remote port: a restarted container keeps its local port. */
    String key() {
        return protocol + "/" + remoteHost + ":" + remotePort;
    }
}

package dev.dockbridge.portforward;

import java.time.Instant;

/**
 * A forward as status and {@code dockbridge ports} show it. {@code localPort} is 0 and {@code note} says why
 * when the port is not forwarded (UDP, nothing bindable).
 */
public record ForwardStatus(String container, String protocol, String remoteHost, int remotePort, int localPort,
                            int connections, long totalConnections, long bytesIn, long bytesOut, Instant lastUsed, String note) {
}

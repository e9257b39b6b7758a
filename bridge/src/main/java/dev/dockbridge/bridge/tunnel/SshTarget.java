package dev.dockbridge.bridge.tunnel;

import java.security.KeyPair;
import java.time.Duration;
import java.util.Objects;

/**
 * Where and how to log in: the host, the client identity, and the rule that decides which host keys are
 * trusted. One target is one remote host; a new server is a new target.
 */
public record SshTarget(
        String host,
        int port,
        String user,
        KeyPair identity,
        String identityDescription,
        HostKeyTrust hostKeyTrust,
        Duration connectTimeout,
        Duration keepaliveInterval,
        int keepaliveMaxMisses,
        Duration reconnectWait) {


    public SshTarget {
        Objects.requireNonNull(host, "host");
        Objects.requireNonNull(user, "user");
        Objects.requireNonNull(identity, "identity");
        Objects.requireNonNull(hostKeyTrust, "hostKeyTrust");
        Objects.requireNonNull(connectTimeout, "connectTimeout");
        Objects.requireNonNull(keepaliveInterval, "keepaliveInterval");
        Objects.requireNonNull(reconnectWait, "reconnectWait");
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("port out of range: " + port);
        }
    }

    /** {@code user@host:port}, for messages. */
    public String address() {
        return user + "@" + host + ":" + port;
    }
}

package dev.dockbridge.bridge.tunnel;

import java.nio.file.Path;
import java.security.KeyPair;
import java.time.Duration;
import java.util.Objects;

/**
 * Where and how to log in: the host, the client identity, and the rule that decides which host keys are
 * trusted. One target is one remote host; a new server is a new target.
 *
 * @param identity    the key to log in with, or null when only the agent's keys are used
 * @param agentSocket an ssh-agent whose keys are offered first (as OpenSSH does), or null
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
        Duration reconnectWait,
        Path agentSocket) {


    public SshTarget {
        Objects.requireNonNull(host, "host");
        Objects.requireNonNull(user, "user");
        if (identity == null && agentSocket == null) {
            throw new IllegalArgumentException("an identity or an agent is needed");
        }
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

package dev.dockbridge.bridge.tunnel;

import java.net.SocketAddress;
import java.security.PublicKey;

import org.apache.sshd.client.session.ClientSession;

/** Decides whether the key a server presents is the server we mean to talk to. */
public interface HostKeyTrust {

    /**
     * @return {@code null} when the key is trusted, otherwise a message for the user that says why the key
     *     was refused and how to fix it if the key is in fact right
     */
    String refusal(ClientSession session, SocketAddress remote, PublicKey key);
}

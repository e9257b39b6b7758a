package dev.dockbridge.bridge.tunnel;

import java.net.SocketAddress;
import java.security.PublicKey;

import org.apache.sshd.client.session.ClientSession;
import org.apache.sshd.common.config.keys.KeyUtils;

/** Trusts exactly one key: the host key DockBridge generated and gave the server at creation. */
public final class PinnedHostKey implements HostKeyTrust {
    private final PublicKey pinned;

    public PinnedHostKey(PublicKey pinned) {
        this.pinned = pinned;
    }

    @Override
    public String refusal(ClientSession session, SocketAddress remote, PublicKey key) {
        if (KeyUtils.compareKeys(pinned, key)) {
            return null;
        }
        return "host key of " + remote + " is " + KnownHostsTrust.describe(key) + ", not the key DockBridge gave this server ("
                + KnownHostsTrust.describe(pinned) + "); refusing to connect";
    }
}

package dev.dockbridge.bridge.tunnel;

import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.file.Path;
import java.security.PublicKey;

import org.apache.sshd.client.config.hosts.KnownHostEntry;
import org.apache.sshd.client.keyverifier.AcceptAllServerKeyVerifier;
import org.apache.sshd.client.keyverifier.KnownHostsServerKeyVerifier;
import org.apache.sshd.client.keyverifier.RejectAllServerKeyVerifier;
import org.apache.sshd.client.session.ClientSession;
import org.apache.sshd.common.AttributeRepository.AttributeKey;
import org.apache.sshd.common.config.keys.KeyUtils;
import org.apache.sshd.common.util.net.SshdSocketAddress;

/**
 * Trusts the keys listed in an OpenSSH {@code known_hosts} file. A changed key is always refused; an unknown
 * key is refused unless {@code acceptNew} (OpenSSH's {@code StrictHostKeyChecking=accept-new}), which then
 * records it in the file.
 */
public final class KnownHostsTrust implements HostKeyTrust {
    private static final AttributeKey<String> REFUSAL = new AttributeKey<>();

    private final Path file;
    private final Verifier verifier;

    public KnownHostsTrust(Path file, boolean acceptNew) {
        this.file = file;
        this.verifier = new Verifier(acceptNew);
    }

    @Override
    public String refusal(ClientSession session, SocketAddress remote, PublicKey key) {
        session.removeAttribute(REFUSAL);
        if (verifier.verifyServerKey(session, remote, key)) {
            return null;
        }
        String why = session.getAttribute(REFUSAL);
        return why != null ? why : "host key " + describe(key) + " of " + Endpoint.of(session).knownHostsName() + " was refused by " + file;
    }

    static String describe(PublicKey key) {
        return KeyUtils.getKeyType(key) + " " + KeyUtils.getFingerPrint(key);
    }

    /** The host and port the session dialled, in the forms known_hosts and ssh-keygen use. */
    private record Endpoint(String host, int port) {
        static Endpoint of(ClientSession session) {
            SocketAddress address = session.getConnectAddress();
            if (address instanceof SshdSocketAddress a) {
                return new Endpoint(a.getHostName(), a.getPort());
            }
            if (address instanceof InetSocketAddress a) {
                return new Endpoint(a.getHostString(), a.getPort());
            }
            return new Endpoint(String.valueOf(address), 22);
        }

        String knownHostsName() {
            return port == 22 ? host : "[" + host + "]:" + port;
        }
    }

    private final class Verifier extends KnownHostsServerKeyVerifier {
        private final boolean acceptNew;

        Verifier(boolean acceptNew) {
            super(acceptNew ? AcceptAllServerKeyVerifier.INSTANCE : RejectAllServerKeyVerifier.INSTANCE, file);
            this.acceptNew = acceptNew;
        }

        @Override
        protected boolean acceptUnknownHostKey(ClientSession session, SocketAddress remote, PublicKey key) {
            if (acceptNew) {
                return super.acceptUnknownHostKey(session, remote, key);
            }
            Endpoint endpoint = Endpoint.of(session);
            session.setAttribute(REFUSAL, "host key of " + endpoint.knownHostsName() + " (" + describe(key) + ") is not in " + file
                    + ". Check the fingerprint with the host's owner, then add it with: ssh-keyscan -p " + endpoint.port()
                    + " -t " + KeyUtils.getKeyType(key) + " " + endpoint.host() + " >> " + file
                    + " (or set ssh.host_key_policy: accept-new to trust it on first connection)");
            return false;
        }

        @Override
        public boolean acceptModifiedServerKey(ClientSession session, SocketAddress remote, KnownHostEntry entry,
                PublicKey expected, PublicKey actual) {
            String name = Endpoint.of(session).knownHostsName();
            session.setAttribute(REFUSAL, "host key of " + name + " CHANGED: it offers " + describe(actual)
                    + " but " + file + " expects " + describe(expected)
                    + ". Someone may be intercepting the connection. If the host was really reinstalled, remove the old key with: ssh-keygen -f "
                    + file + " -R '" + name + "'");
            return false;
        }
    }
}

package dev.dockbridge.bridge.tunnel;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.function.Consumer;

import org.apache.sshd.server.Environment;
import org.apache.sshd.server.ExitCallback;
import org.apache.sshd.server.SshServer;
import org.apache.sshd.server.auth.pubkey.AcceptAllPublickeyAuthenticator;
import org.apache.sshd.server.channel.ChannelSession;
import org.apache.sshd.server.command.Command;
import org.apache.sshd.server.keyprovider.SimpleGeneratorHostKeyProvider;

/** A real SSH server (Apache SSHD) on a loopback port for a test, and the target a tunnel reaches it with. */
public final class InProcessSshServer implements AutoCloseable {
    private final SshServer server;
    private final KeyPair hostKey;

    private InProcessSshServer(SshServer server, KeyPair hostKey) {
        this.server = server;
        this.hostKey = hostKey;
    }

    /** Any public key logs in; {@code configure} adds what the test needs (channel factories, commands, limits). */
    public static InProcessSshServer start(Consumer<SshServer> configure) throws IOException, GeneralSecurityException {
        SshServer server = SshServer.setUpDefaultServer();
        server.setHost("127.0.0.1");
        server.setPort(0);
        server.setKeyPairProvider(new SimpleGeneratorHostKeyProvider());
        server.setPublickeyAuthenticator(AcceptAllPublickeyAuthenticator.INSTANCE);
        configure.accept(server);
        server.start();
        return new InProcessSshServer(server, server.getKeyPairProvider().loadKeys(null).iterator().next());
    }

    /** A target with a fresh client key, this server's host key pinned, {@code connectTimeout} for opens. */
    public SshTarget target(Duration connectTimeout) throws GeneralSecurityException {
        return target(connectTimeout, server.getPort());
    }

    /** The same, reaching this server through {@code port} on loopback (a relay in front of it). */
    public SshTarget target(Duration connectTimeout, int port) throws GeneralSecurityException {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
        generator.initialize(256);
        return new SshTarget("127.0.0.1", port, "test", generator.generateKeyPair(), "a test key",
                new PinnedHostKey(hostKey.getPublic()), connectTimeout, Duration.ofSeconds(30), 3, Duration.ofSeconds(1), null);
    }

    public int port() {
        return server.getPort();
    }

    @Override
    public void close() throws IOException {
        server.stop(true);
    }

    /** A command on the server: its streams and exit callback kept for {@link #start}, nothing done on destroy. */
    public abstract static class ScriptedCommand implements Command {
        protected InputStream in;
        protected OutputStream out;
        protected ExitCallback exit;

        @Override
        public void setInputStream(InputStream in) {
            this.in = in;
        }

        @Override
        public void setOutputStream(OutputStream out) {
            this.out = out;
        }

        @Override
        public void setErrorStream(OutputStream err) {
        }

        @Override
        public void setExitCallback(ExitCallback callback) {
            this.exit = callback;
        }

        @Override
        public void destroy(ChannelSession channel) {
        }
    }

    /** Writes back what it reads (each read at once) until its input ends, then exits 0; reads once {@code go} opens. */
    public static final class Echo extends ScriptedCommand {
        private final CountDownLatch go;
        private Thread copier;

        public Echo() {
            this(new CountDownLatch(0));
        }

        public Echo(CountDownLatch go) {
            this.go = go;
        }

        @Override
        public void start(ChannelSession channel, Environment env) {
            copier = new Thread(() -> {
                try {
                    go.await();
                    byte[] buf = new byte[8192];
                    for (int n; (n = in.read(buf)) >= 0; ) {
                        out.write(buf, 0, n);
                        out.flush();
                    }
                    exit.onExit(0);
                } catch (IOException e) {
                    exit.onExit(1, e.toString());
                } catch (InterruptedException e) {
                    exit.onExit(1, "interrupted");
                }
            });
            copier.start();
        }

        @Override
        public void destroy(ChannelSession channel) {
            copier.interrupt();
        }
    }
}

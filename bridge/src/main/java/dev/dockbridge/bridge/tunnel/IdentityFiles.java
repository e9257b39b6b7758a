package dev.dockbridge.bridge.tunnel;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.util.Iterator;

import org.apache.sshd.common.NamedResource;
import org.apache.sshd.common.util.security.SecurityUtils;
import java.nio.file.AccessDeniedException;
import java.util.Locale;

/** Reads SSH private keys (OpenSSH or PEM format; ed25519, RSA, ECDSA). */
public final class IdentityFiles {
    private IdentityFiles() {
    }

    /** @throws IOException with a message that names the file and says what is wrong with it */
    public static KeyPair load(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            Iterable<KeyPair> pairs = SecurityUtils.loadKeyPairIdentities(null, NamedResource.ofName(file.toString()), in, null);
            Iterator<KeyPair> it = pairs == null ? null : pairs.iterator();
            if (it == null || !it.hasNext()) {
                throw new IOException(file + " holds no private key");
            }
            return it.next();
        } catch (NoSuchFileException e) {
            throw new IOException(file + " does not exist", e);
        } catch (AccessDeniedException e) {
            throw new IOException(file + " cannot be read (permission denied)", e);
        } catch (IOException e) {
            if (e.getMessage() != null && e.getMessage().contains(file.toString())) {
                throw e;
            }
            throw new IOException(file + ": " + e.getMessage(), e);
        } catch (GeneralSecurityException | RuntimeException e) {
            String why = SshTunnel.rootMessage(e);
            if (why.toLowerCase(Locale.ROOT).contains("password") || why.toLowerCase(Locale.ROOT).contains("encrypt")) {
                throw new IOException(file + " is protected by a passphrase, which DockBridge cannot use; give it a key without one", e);
            }
            throw new IOException(file + " is not a usable private key (" + why + ")", e);
        }
    }
}

package dev.dockbridge.bridge.tunnel;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.util.Iterator;
import java.util.Optional;

import org.apache.sshd.common.NamedResource;
import org.apache.sshd.common.config.keys.FilePasswordProvider;
import org.apache.sshd.common.util.security.SecurityUtils;
import java.nio.file.AccessDeniedException;
import java.util.Locale;

/** Reads SSH private keys (OpenSSH or PEM format; ed25519, RSA, ECDSA), with or without a passphrase. */
public final class IdentityFiles {
    private IdentityFiles() {
    }

    /** Asks for the passphrase of a key; empty when there is nobody to ask. */
    @FunctionalInterface
    public interface PassphraseSource {
        PassphraseSource NOBODY = file -> Optional.empty();

        Optional<String> ask(Path file) throws IOException;
    }

    /** The key is protected by a passphrase and nobody could give it. */
    public static final class PassphraseRequired extends IOException {
        PassphraseRequired(Path file) {
            super(file + " is protected by a passphrase");
        }
    }

    /** A key without a passphrase. */
    public static KeyPair load(Path file) throws IOException {
        return load(file, PassphraseSource.NOBODY);
    }

    /**
     * @throws PassphraseRequired when the key has a passphrase and {@code passphrases} gave none
     * @throws IOException        with a message that names the file and says what is wrong with it
     */
    public static KeyPair load(Path file, PassphraseSource passphrases) throws IOException {
        FilePasswordProvider asked = (session, resource, retry) -> {
            if (retry > 0) {
                return null; // asked once: a wrong passphrase is an error, not a loop
            }
            return passphrases.ask(file).orElseThrow(() -> new PassphraseRequired(file));
        };
        try (InputStream in = Files.newInputStream(file)) {
            Iterable<KeyPair> pairs = SecurityUtils.loadKeyPairIdentities(null, NamedResource.ofName(file.toString()), in, asked);
            Iterator<KeyPair> it = pairs == null ? null : pairs.iterator();
            if (it == null || !it.hasNext()) {
                throw new IOException(file + " holds no private key");
            }
            return it.next();
        } catch (NoSuchFileException e) {
            throw new IOException(file + " does not exist", e);
        } catch (AccessDeniedException e) {
            throw new IOException(file + " cannot be read (permission denied)", e);
        } catch (PassphraseRequired e) {
            throw e;
        } catch (IOException e) {
            if (e.getMessage() != null && e.getMessage().contains(file.toString())) {
                throw e;
            }
            throw new IOException(file + ": " + e.getMessage(), e);
        } catch (GeneralSecurityException | RuntimeException e) {
            String why = SshTunnel.rootMessage(e);
            if (why.toLowerCase(Locale.ROOT).contains("password") || why.toLowerCase(Locale.ROOT).contains("encrypt")) {
                throw new IOException(file + ": the passphrase is wrong", e);
            }
            throw new IOException(file + " is not a usable private key (" + why + ")", e);
        }
    }
}

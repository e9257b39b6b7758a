package dev.dockbridge.bridge.host;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyPair;

import org.apache.sshd.common.config.keys.KeyUtils;
import org.apache.sshd.common.config.keys.PublicKeyEntry;
import org.apache.sshd.common.config.keys.writer.openssh.OpenSSHKeyPairResourceWriter;
import org.apache.sshd.common.digest.BuiltinDigests;

import dev.dockbridge.bridge.tunnel.IdentityFiles;
import java.nio.file.StandardCopyOption;

/**
 * An ed25519 key pair kept in the profile's state directory (private key 0600), generated on first use:
 * the client key DockBridge logs in with, or the host key it gives its servers.
 */
public record ProfileKeys(KeyPair pair, String privatePem, String publicLine) {

    public static ProfileKeys loadOrCreate(Path file, String comment) throws IOException {
        if (!Files.exists(file)) {
            create(file, comment);
        }
        KeyPair pair = IdentityFiles.load(file);
        return new ProfileKeys(pair, Files.readString(file), PublicKeyEntry.toString(pair.getPublic()) + " " + comment);
    }

    private static void create(Path file, String comment) throws IOException {
        KeyPair pair;
        try {
            pair = KeyUtils.generateKeyPair("ssh-ed25519", 256);
        } catch (GeneralSecurityException e) {
            throw new IOException("cannot generate an ed25519 key: " + e.getMessage(), e);
        }
        ByteArrayOutputStream pem = new ByteArrayOutputStream();
        try {
            OpenSSHKeyPairResourceWriter.INSTANCE.writePrivateKey(pair, comment, null, pem);
        } catch (GeneralSecurityException e) {
            throw new IOException("cannot encode the key: " + e.getMessage(), e);
        }
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        Files.deleteIfExists(tmp);
        Files.createFile(tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        try (OutputStream out = Files.newOutputStream(tmp, StandardOpenOption.TRUNCATE_EXISTING)) {
            out.write(pem.toByteArray());
        }
        Files.writeString(file.resolveSibling(file.getFileName() + ".pub"),
                PublicKeyEntry.toString(pair.getPublic()) + " " + comment + "\n", StandardCharsets.UTF_8);
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE);
    }

    /** The legacy MD5 fingerprint ({@code aa:bb:…}) by which Hetzner finds keys. */
    public String md5Fingerprint() {
        String fp = KeyUtils.getFingerPrint(BuiltinDigests.md5, pair.getPublic());
        return fp.startsWith("MD5:") ? fp.substring(4) : fp;
    }
}

package dev.dockbridge.bridge.tunnel;

import java.util.concurrent.ThreadLocalRandom;

import org.apache.sshd.common.cipher.BuiltinCiphers;
import org.apache.sshd.common.cipher.Cipher;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs the session's cipher over throw-away packets once, on a low-priority thread, so the JIT compiles it before the
 * first large transfer. Until C2 has compiled the JDK's AES-GCM (one C2 thread on a two-core machine, busy with
 * everything else a fresh daemon runs), it runs in Java instead of the CPU's AES and carry-less multiply instructions:
 * a fresh daemon's first 10-20 s of a forward or a build upload went at a third of the speed it reaches later.
 * Counts matter to the JIT, not bytes, so the packets are small: about 2 MB in all, some 100 ms of one core.
 */
final class CipherWarmup {
    private static final Logger log = LoggerFactory.getLogger(CipherWarmup.class);
    /** Each direction's methods pass the JIT's C2 thresholds (thousands of calls) with room to spare. */
    static final int PACKETS = 6000;
    private static final int PAYLOAD = 240;
    private static final int LENGTH_FIELD = 4;

    private CipherWarmup() {
    }

    /** Starts the warm-up for the negotiated cipher (its SSH name), if sshd-core has it; returns at once. */
    static void start(String negotiated) {
        BuiltinCiphers cipher = negotiated == null ? null : BuiltinCiphers.fromFactoryName(negotiated);
        if (cipher == null || !cipher.isSupported()) {
            return;
        }
        Thread t = new Thread(() -> run(cipher), "cipher-warmup");
        t.setDaemon(true);
        t.setPriority(Thread.MIN_PRIORITY);
        t.start();
    }

    /** Encrypts and decrypts {@link #PACKETS} packets the way sshd-core does; true when every one came back intact. */
    static boolean run(BuiltinCiphers factory) {
        try {
            Cipher encrypt = factory.create();
            Cipher decrypt = factory.create();
            byte[] key = new byte[encrypt.getKdfSize()];
            byte[] iv = new byte[encrypt.getIVSize()];
            ThreadLocalRandom.current().nextBytes(key);
            ThreadLocalRandom.current().nextBytes(iv);
            encrypt.init(Cipher.Mode.Encrypt, key, iv);
            decrypt.init(Cipher.Mode.Decrypt, key, iv);
            int tag = encrypt.getAuthenticationTagSize();
            boolean aead = tag > 0;
            byte[] packet = new byte[LENGTH_FIELD + PAYLOAD + tag];
            for (int i = 0; i < PACKETS; i++) {
                packet[LENGTH_FIELD] = (byte) i;
                if (aead) {
                    encrypt.updateWithAAD(packet, 0, LENGTH_FIELD, PAYLOAD);
                    decrypt.updateWithAAD(packet, 0, LENGTH_FIELD, PAYLOAD);
                } else {
                    encrypt.update(packet, 0, LENGTH_FIELD + PAYLOAD);
                    decrypt.update(packet, 0, LENGTH_FIELD + PAYLOAD);
                }
                if (packet[LENGTH_FIELD] != (byte) i) {
                    return false;
                }
            }
            return true;
        } catch (Exception e) {
            log.debug("cipher warm-up stopped: {}", e.toString()); // costs speed for a few seconds, nothing else
            return false;
        }
    }
}

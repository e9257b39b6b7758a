package dev.dockbridge.bridge.tunnel;

import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;

import org.apache.sshd.common.Factory;
import org.apache.sshd.common.random.AbstractRandom;
import org.apache.sshd.common.random.Random;

/**
 * An SSH session's random bytes (every packet's padding, the key exchange's cookie), from the JDK's DRBG taken 4 KiB at
 * a time. sshd-core's default asks the JDK's {@code NativePRNG} for each packet's 4-19 bytes of padding: a lock, a round
 * of SHA1PRNG and a read of {@code /dev/urandom} every couple of packets, 1.6 % of the daemon's time under an upload
 * and 1.2 % of a forwarded connection's. The DRBG (NIST SP 800-90A, seeded by the OS) is as good a source; taking its
 * output in chunks changes how often it is asked, not what comes out. Keys are not made from this: sshd-core's key
 * exchanges use the JCE's own generators.
 */
final class SessionRandom extends AbstractRandom {
    private static final int CHUNK = 4096;

    private final SecureRandom source;
    private final byte[] chunk = new byte[CHUNK];
    private int used = CHUNK;

    SessionRandom(SecureRandom source) {
        this.source = source;
    }

    /** One per session (sshd-core asks its factory once per session). */
    static Factory<Random> factory() {
        return () -> new SessionRandom(drbg());
    }

    private static SecureRandom drbg() {
        try {
            return SecureRandom.getInstance("DRBG");
        } catch (NoSuchAlgorithmException e) { // every JDK since 9 has it; the platform default is as safe, only slower
            return new SecureRandom();
        }
    }

    @Override
    public String getName() {
        return "drbg-chunked";
    }

    @Override
    public synchronized void fill(byte[] bytes, int start, int len) {
        while (len > 0) {
            if (used == CHUNK) {
                source.nextBytes(chunk);
                used = 0;
            }
            int n = Math.min(len, CHUNK - used);
            System.arraycopy(chunk, used, bytes, start, n);
            used += n;
            start += n;
            len -= n;
        }
    }

    /** Uniform in [0, n), without the modulo's bias (as {@link java.util.Random#nextInt(int)}). */
    @Override
    public synchronized int random(int n) {
        if (n <= 0) {
            throw new IllegalArgumentException("the bound must be positive: " + n);
        }
        byte[] four = new byte[4];
        int bits;
        int value;
        do {
            fill(four, 0, 4);
            bits = ((four[0] & 0x7f) << 24) | ((four[1] & 0xff) << 16) | ((four[2] & 0xff) << 8) | (four[3] & 0xff);
            value = bits % n;
        } while (bits - value + (n - 1) < 0);
        return value;
    }
}

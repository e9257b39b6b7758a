package dev.dockbridge.bridge.tunnel;

import static org.assertj.core.api.Assertions.assertThat;

import org.apache.sshd.common.cipher.BuiltinCiphers;
import org.junit.jupiter.api.Test;

/** The warm-up must run the real cipher both ways, the way sshd-core frames packets (a tag that checks out). */
class CipherWarmupTest {
    @Test
    void everyCipherTheTunnelOffersComesBackIntact() {
        for (BuiltinCiphers c : new BuiltinCiphers[] {BuiltinCiphers.aes128gcm, BuiltinCiphers.aes256gcm, BuiltinCiphers.aes128ctr,
                BuiltinCiphers.aes256ctr}) {
            assertThat(CipherWarmup.run(c)).as(c.getName()).isTrue();
        }
    }
}

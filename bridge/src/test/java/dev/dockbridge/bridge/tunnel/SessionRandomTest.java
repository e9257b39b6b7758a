package dev.dockbridge.bridge.tunnel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.security.SecureRandom;
import java.util.Arrays;

import org.apache.sshd.common.random.Random;
import org.junit.jupiter.api.Test;

class SessionRandomTest {
    private final Random random = SessionRandom.factory().create();

    @Test
    void fillsEveryByteAskedForAcrossItsChunks() {
        int[] counts = new int[256];
        byte[] bytes = new byte[100_003];
        // small pieces as padding asks for them, straddling the 4 KiB chunks, then a large one
        int at = 0;
        for (int len = 1; at + len <= 50_000; len = len % 19 + 1) {
            random.fill(bytes, at, len);
            at += len;
        }
        random.fill(bytes, at, bytes.length - at);

        for (byte b : bytes) {
            counts[b & 0xff]++;
        }
        // about 391 of each value; an unfilled stretch would show as a heap of zeros
        assertThat(Arrays.stream(counts).min().getAsInt()).isGreaterThan(250);
        assertThat(Arrays.stream(counts).max().getAsInt()).isLessThan(550);
    }

    @Test
    void neverHandsOutTheSameBytesTwice() {
        byte[] first = new byte[4096];
        byte[] second = new byte[4096];
        random.fill(first, 0, first.length);
        random.fill(second, 0, second.length);

        assertThat(second).isNotEqualTo(first);
    }

    @Test
    void randomStaysWithinItsBoundAndReachesAllOfIt() {
        boolean[] seen = new boolean[7];
        for (int i = 0; i < 2_000; i++) {
            int r = random.random(7);
            assertThat(r).isBetween(0, 6);
            seen[r] = true;
        }
        for (boolean s : seen) {
            assertThat(s).isTrue();
        }
        assertThat(random.random(1)).isZero();
        assertThatThrownBy(() -> random.random(0)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void asksItsSourceOncePerChunkNotOncePerCall() {
        int[] calls = {0};
        SecureRandom counting = new SecureRandom() {
            @Override
            public void nextBytes(byte[] bytes) {
                calls[0]++;
                super.nextBytes(bytes);
            }
        };
        SessionRandom chunked = new SessionRandom(counting);
        byte[] padding = new byte[16];
        for (int i = 0; i < 256; i++) { // 4 KiB of padding
            chunked.fill(padding, 0, padding.length);
        }

        assertThat(calls[0]).isEqualTo(1);
    }
}

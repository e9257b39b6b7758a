package dev.dockbridge.bridge.tunnel;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class PacketArraysTest {
    private final PacketArrays arrays = new PacketArrays(32 * 1024, 2);

    @Test
    void anArrayGivenBackIsTakenAgainAndHoldsAPacketOfThePayloadWithRoomAroundIt() {
        byte[] first = arrays.take();
        // header 5, command 1, padding up to 19 (16-byte blocks), a MAC up to 64 (or a 16-byte tag), sshd-core's slack 8
        assertThat(first.length).isGreaterThanOrEqualTo(32 * 1024 + 5 + 1 + 19 + 64 + 8);

        arrays.giveBack(first);

        assertThat(arrays.kept()).isEqualTo(1);
        assertThat(arrays.take()).isSameAs(first);
        assertThat(arrays.kept()).isZero();
    }

    @Test
    void keepsNoMoreThanItsBound() {
        byte[] a = arrays.take();
        byte[] b = arrays.take();
        byte[] c = arrays.take();

        arrays.giveBack(a);
        arrays.giveBack(b);
        arrays.giveBack(c);

        assertThat(arrays.kept()).isEqualTo(2);
    }

    @Test
    void anArrayNotOfItsOwnSizeIsNotKept() {
        arrays.giveBack(new byte[100]);

        assertThat(arrays.kept()).isZero();
        assertThat(arrays.take()).hasSize(32 * 1024 + 256);
    }
}

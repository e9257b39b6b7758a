package dev.dockbridge.bridge.tunnel;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class ReconnectBackoffTest {

    @Test
    void doublesFromOneSecondUpToThirtyWithTwentyPercentJitter() {
        assertThat(SshTunnel.backoffMillis(0, 0.5)).isEqualTo(1000);
        assertThat(SshTunnel.backoffMillis(1, 0.5)).isEqualTo(2000);
        assertThat(SshTunnel.backoffMillis(4, 0.5)).isEqualTo(16000);
        assertThat(SshTunnel.backoffMillis(5, 0.5)).as("capped").isEqualTo(30000);
        assertThat(SshTunnel.backoffMillis(1000, 0.5)).as("no overflow after many attempts").isEqualTo(30000);
        assertThat(SshTunnel.backoffMillis(0, 0.0)).isEqualTo(800);
        assertThat(SshTunnel.backoffMillis(0, 0.999999)).isEqualTo(1200);
        assertThat(SshTunnel.backoffMillis(10, 0.0)).isEqualTo(24000);
    }
}

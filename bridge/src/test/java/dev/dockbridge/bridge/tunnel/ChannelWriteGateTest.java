package dev.dockbridge.bridge.tunnel;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.apache.sshd.common.io.IoWriteFuture;
import org.junit.jupiter.api.Test;

class ChannelWriteGateTest {
    private final ChannelWriteGate gate = new ChannelWriteGate();
    private final List<String> wire = new CopyOnWriteArrayList<>();

    @Test
    void nothingFollowsTheServersClose() throws Exception {
        gate.write(this, () -> send("DATA"));
        gate.serverClosed();
        wire.add("CLOSE");
        IoWriteFuture late = gate.write(this, () -> send("DATA"));
        assertThat(gate.eof(() -> send("EOF"))).isNull();
        assertThat(late.isWritten()).isFalse();
        assertThat(late.getException()).hasMessageContaining("being closed");
        assertThat(wire).containsExactly("DATA", "CLOSE");
    }

    @Test
    void theChannelsOwnCloseEndsItsEofButLetsQueuedDataGo() throws Exception {
        gate.closing();
        assertThat(gate.eof(() -> send("EOF"))).isNull();
        gate.write(this, () -> send("DATA")); // sshd-core's graceful close flushes what was queued
        assertThat(wire).containsExactly("DATA");
    }

    /** The server's CLOSE waits for a write under way, so that write is on the wire before the answer. */
    @Test
    void aCloseArrivingDuringAWriteWaitsForIt() throws Exception {
        Thread writer = sendingSlowly("DATA", false);
        gate.serverClosed(); // sshd-core's handleClose, on its I/O thread
        wire.add("CLOSE");
        writer.join(5_000);
        assertThat(wire).containsExactly("DATA", "CLOSE");
    }

    /** The channel's own close waits for an EOF under way, so the EOF is on the wire before the CLOSE that follows. */
    @Test
    void theChannelsOwnCloseDuringAnEofWaitsForIt() throws Exception {
        Thread writer = sendingSlowly("EOF", true);
        gate.closing(); // sshd-core's preClose, then its CLOSE
        wire.add("CLOSE");
        writer.join(5_000);
        assertThat(gate.eof(() -> send("EOF"))).isNull();
        assertThat(wire).containsExactly("EOF", "CLOSE");
    }

    /** A thread that sends {@code packet} through the gate (as an EOF or a write), slowly; returned once it is sending. */
    private Thread sendingSlowly(String packet, boolean eof) throws InterruptedException {
        CountDownLatch sending = new CountDownLatch(1);
        ChannelWriteGate.Write slow = () -> {
            sending.countDown();
            pause();
            return send(packet);
        };
        Thread writer = new Thread(() -> {
            try {
                if (eof) {
                    gate.eof(slow);
                } else {
                    gate.write(this, slow);
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
        writer.start();
        assertThat(sending.await(5, TimeUnit.SECONDS)).isTrue();
        return writer;
    }

    private IoWriteFuture send(String packet) {
        wire.add(packet);
        return null;
    }

    private static void pause() {
        try {
            Thread.sleep(200);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}

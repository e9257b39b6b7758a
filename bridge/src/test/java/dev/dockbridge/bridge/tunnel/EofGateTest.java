package dev.dockbridge.bridge.tunnel;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

class EofGateTest {
    private final EofGate gate = new EofGate();
    private final List<String> wire = new CopyOnWriteArrayList<>();

    @Test
    void anEofBeforeTheCloseGoesOutAndNoneAfterIt() throws Exception {
        gate.send(() -> {
            wire.add("EOF");
            return null;
        });
        gate.closing();
        wire.add("CLOSE");
        gate.send(() -> {
            wire.add("EOF");
            return null;
        });
        assertThat(wire).containsExactly("EOF", "CLOSE");
    }

    /** The close waits for an EOF being written, so the EOF is on the wire first. */
    @Test
    void aCloseArrivingWhileTheEofIsWrittenWaitsForIt() throws Exception {
        CountDownLatch writing = new CountDownLatch(1);
        Thread eof = new Thread(() -> {
            try {
                gate.send(() -> {
                    writing.countDown();
                    pause();
                    wire.add("EOF");
                    return null;
                });
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
        eof.start();
        assertThat(writing.await(5, TimeUnit.SECONDS)).isTrue();
        gate.closing(); // sshd-core's handleClose, on its I/O thread
        wire.add("CLOSE");
        eof.join(5_000);
        assertThat(wire).containsExactly("EOF", "CLOSE");
    }

    /** A slow write: long enough for the close to arrive meanwhile. */
    private static void pause() {
        try {
            Thread.sleep(200);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}

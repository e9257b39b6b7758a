package dev.dockbridge.bridge.tunnel.io;

import java.util.concurrent.ThreadFactory;

import io.netty.util.concurrent.DefaultThreadFactory;
import org.apache.sshd.common.util.threads.ThreadUtils;

/**
 * Makes the network loop's thread one that sshd-core counts as its own. A data packet written during a key exchange
 * from any other thread waits for the exchange to end, and on the loop the exchange can only end once the loop reads
 * the server's reply: such a write would stall every forward and the session until it timed out. sshd-core queues a
 * packet written from its own threads instead, and sends it when the exchange is done.
 */
public final class SshLoopThreads {
    private SshLoopThreads() {
    }

    /** Daemon threads named {@code name-…}, of Netty's fast-thread-local kind, that sshd-core counts as its own. */
    public static ThreadFactory named(String name) {
        ThreadFactory netty = new DefaultThreadFactory(name, true);
        return work -> netty.newThread(() -> {
            try {
                ThreadUtils.runAsInternal(() -> {
                    work.run();
                    return null;
                });
            } catch (RuntimeException | Error e) {
                throw e;
            } catch (Exception e) {
                throw new IllegalStateException(e); // run() throws nothing checked
            }
        });
    }
}

package dev.dockbridge.portforward;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import java.util.Objects;

/**
 * Where the connections of one forward go on the server: straight to the container's address when it has
 * one (Docker's userland proxy behind the published port costs the server more CPU per connection than
 * anything else), else, or once that fails, the published port. The spec is replaced when the container
 * changes (a restart gets a new address); a failed direct address is not tried again until then.
 */
final class ForwardTarget {
    private static final Logger log = LoggerFactory.getLogger(ForwardTarget.class);

    private volatile ForwardSpec spec;
    private volatile boolean directFailed;

    ForwardTarget(ForwardSpec spec) {
        this.spec = spec;
    }

    ForwardSpec spec() {
        return spec;
    }

    void update(ForwardSpec next) {
        ForwardSpec previous = spec;
        spec = next;
        if (!Objects.equals(previous.directHost(), next.directHost()) || previous.directPort() != next.directPort()) {
            directFailed = false;
        }
    }

    CompletableFuture<ChannelOpener.RemoteEnd> open(ChannelOpener opener, ChannelOpener.RemoteSink sink) {
        ForwardSpec s = spec;
        if (!s.hasDirect() || directFailed) {
            return opener.open(s.remoteHost(), s.remotePort(), sink);
        }
        OpenedOnlySink gated = new OpenedOnlySink(sink);
        CompletableFuture<ChannelOpener.RemoteEnd> direct = opener.open(s.directHost(), s.directPort(), gated);
        gated.watch(direct);
        return direct.handle((end, error) -> {
            if (error == null) {
                return CompletableFuture.completedFuture(end);
            }
            if (!directFailed) {
                directFailed = true;
                Throwable cause = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
                log.info("forward {} of {}: the container's address {}:{} cannot be reached from the server ({}); using the published port",
                        s.remotePort(), s.container(), s.directHost(), s.directPort(), cause.getMessage());
            }
            return opener.open(s.remoteHost(), s.remotePort(), sink);
        }).thenCompose(f -> f);
    }

    /**
     * Passes a channel's events on only if it opened: a direct attempt that fails closes its channel, and
     * that close must not end the local connection, which goes on to the published port.
     */
    private static final class OpenedOnlySink implements ChannelOpener.RemoteSink {
        private final ChannelOpener.RemoteSink delegate;
        private volatile CompletableFuture<?> opening;

        OpenedOnlySink(ChannelOpener.RemoteSink delegate) {
            this.delegate = delegate;
        }

        void watch(CompletableFuture<?> future) {
            opening = future;
        }

        @Override
        public void onData(byte[] array, int offset, int length, Runnable delivered) {
            delegate.onData(array, offset, length, delivered);
        }

        @Override
        public void onEof() {
            delegate.onEof();
        }

        @Override
        public void onClose(Throwable cause) {
            CompletableFuture<?> f = opening;
            if (f != null && f.isDone() && !f.isCompletedExceptionally()) {
                delegate.onClose(cause);
            }
        }
    }
}

package dev.dockbridge.bridge.host;

import static dev.dockbridge.bridge.host.HostLifecycle.Event.BRING_UP_FAILED;
import static dev.dockbridge.bridge.host.HostLifecycle.Event.CLOSE;
import static dev.dockbridge.bridge.host.HostLifecycle.Event.DELETE;
import static dev.dockbridge.bridge.host.HostLifecycle.Event.DELETED;
import static dev.dockbridge.bridge.host.HostLifecycle.Event.DELETE_FAILED;
import static dev.dockbridge.bridge.host.HostLifecycle.Event.HOST_GONE;
import static dev.dockbridge.bridge.host.HostLifecycle.Event.IDLE_DELETE;
import static dev.dockbridge.bridge.host.HostLifecycle.Event.PROGRESS;
import static dev.dockbridge.bridge.host.HostLifecycle.Event.QUIESCED;
import static dev.dockbridge.bridge.host.HostLifecycle.Event.RESUMED;
import static dev.dockbridge.bridge.host.HostLifecycle.Event.RETRY_DELETE;
import static dev.dockbridge.bridge.host.HostLifecycle.Event.UP;
import static dev.dockbridge.bridge.host.HostLifecycle.Event.WANT;

import java.io.IOException;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.function.BooleanSupplier;

import dev.dockbridge.bridge.host.HostLifecycle.Event;
import dev.dockbridge.bridge.tunnel.Tunnel;

/** The messages {@link HostLifecycle}'s machine handles: requests from callers and results of its operations. */
final class HostMessages {
    /** Messages that are not the result of an operation apply to whatever epoch is current. */
    static final long ANY_EPOCH = -1;

    private HostMessages() {
    }

    sealed interface Msg {
        Event event();

        default long epoch() {
            return ANY_EPOCH;
        }

        /** The message cannot be carried out: whoever waits for it hears why. */
        default void refuse(String why) {
        }

        /** The operation it reports was overtaken: close what it brought. */
        default void stale() {
            refuse("overtaken");
        }
    }

    record Want(CompletableFuture<Tunnel> waiter) implements Msg {
        public Event event() {
            return WANT;
        }

        public void refuse(String why) {
            waiter.completeExceptionally(new HostUnavailableException(why, null));
        }
    }

    /** A bring-up or deletion step: a new state (or null to keep it), the host in hand (or null to keep it), what it does. */
    record Progress(long epoch, HostState to, ProvisionedHost host, List<ProvisionedHost> others, String step) implements Msg {
        public Event event() {
            return PROGRESS;
        }
    }

    record Up(long epoch, ProvisionedHost host, Tunnel tunnel, Optional<HourlyPrice> price) implements Msg {
        public Event event() {
            return UP;
        }

        public void stale() {
            tunnel.close();
        }
    }

    record BringUpFailed(long epoch, IOException error, boolean createTried) implements Msg {
        public Event event() {
            return BRING_UP_FAILED;
        }
    }

    record IdleDelete(long epoch, BooleanSupplier stillIdle, CompletableFuture<Boolean> done) implements Msg {
        public Event event() {
            return IDLE_DELETE;
        }

        public void refuse(String why) {
            done.complete(false);
        }
    }

    record Delete(CompletableFuture<Optional<ProvisionedHost>> done) implements Msg {
        public Event event() {
            return DELETE;
        }

        public void refuse(String why) {
            done.completeExceptionally(new HostUnavailableException(why, null));
        }
    }

    /** @param refusal why the host must not be deleted (its data volume could not be unmounted), or null */
    record Quiesced(long epoch, String refusal) implements Msg {
        public Event event() {
            return QUIESCED;
        }
    }

    record Resumed(long epoch, IOException error) implements Msg {
        public Event event() {
            return RESUMED;
        }
    }

    record Deleted(long epoch, List<ProvisionedHost> hosts) implements Msg {
        public Event event() {
            return DELETED;
        }
    }

    record DeleteFailed(long epoch, IOException error) implements Msg {
        public Event event() {
            return DELETE_FAILED;
        }
    }

    record RetryDelete(long epoch) implements Msg {
        public Event event() {
            return RETRY_DELETE;
        }
    }

    /** @param deletedAt when the host deleted itself, if it recorded that (its guard) */
    record HostGone(Tunnel tunnel, Optional<Instant> deletedAt, CompletableFuture<Boolean> handled) implements Msg {
        public Event event() {
            return HOST_GONE;
        }

        public void refuse(String why) {
            handled.complete(false);
        }
    }

    record Close(CompletableFuture<Void> done) implements Msg {
        public Event event() {
            return CLOSE;
        }

        public void refuse(String why) {
            done.complete(null);
        }
    }
}

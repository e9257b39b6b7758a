package dev.dockbridge.bridge.host;

import java.io.IOException;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;

/**
 * Where Docker hosts come from: a cloud that creates them, or one existing machine. Reached only through
 * {@link HostLifecycle} (the daemon's, or a short-lived one of a command that holds the profile's lock), so
 * that one owner decides what happens to the server. Queries change nothing.
 */
public interface HostProvider {

    /** For logs and status, e.g. "hetzner cx23 in fsn1". */
    String describe();

    /**
     * Every host this profile owns now, the one to use first (a running one before others, then the newest);
     * hosts being deleted are left out. A pure query: it powers on, creates and deletes nothing.
     */
    List<ProvisionedHost> findExisting() throws IOException;

    /**
     * Makes a found host usable: waits while the provider moves it (starting, stopping, migrating,
     * rebuilding, unknown) and powers it on when it is off. Only the bring-up calls this.
     *
     * @return the host as it is now, {@code booting} if it was not running
     */
    default ProvisionedHost prepare(ProvisionedHost host, Consumer<String> progress) throws IOException {
        return host;
    }

    /**
     * Creates a host and returns once the provider reports it running. On failure it deletes what it
     * created before throwing.
     *
     * @param progress receives one line per step, for the log
     */
    ProvisionedHost create(Consumer<String> progress) throws IOException;

    /** Deletes the host; a host already gone is not an error. */
    void destroy(ProvisionedHost host) throws IOException;

    /** The host's price, when the provider bills by the hour. */
    default Optional<HourlyPrice> price(ProvisionedHost host) throws IOException {
        return Optional.empty();
    }

    /**
     * One read-only call that proves the provider's credentials work (for {@code doctor}); creates,
     * changes and powers on nothing.
     *
     * @return what it found, or empty when the provider has no account to check
     */
    default Optional<String> checkAccess() throws IOException {
        return Optional.empty();
    }

    /**
     * A command run on the host over SSH just before it is deleted, so that data which outlives it (a
     * data volume) is written out and unmounted cleanly rather than cut off by the power-off.
     */
    default Optional<String> beforeDeleteCommand() {
        return Optional.empty();
    }

    /**
     * A command run on the host over SSH each time it becomes ready (created, adopted, reconnected after a deletion
     * was called off): settings that must hold while DockBridge uses it, idempotent. A failure is logged, not fatal.
     */
    default Optional<String> readyCommand() {
        return Optional.empty();
    }

    /**
     * Marks this machine's session as present on the host (run every half minute while it is ready), records when it
     * last used it, and prints how many other machines used it since {@code othersSince}. Empty: the host keeps no count.
     */
    default Optional<String> presenceCommand(String machineId, Instant lastUse, Instant othersSince) {
        return Optional.empty();
    }

    /**
     * A shell script (for {@code sh -s}, secrets inside) that installs a guard on the host which deletes it when no
     * DockBridge session has been present for a while: run once per host, after it is ready. Empty: no guard.
     */
    default Optional<String> guardInstaller(ProvisionedHost host) throws IOException {
        return Optional.empty();
    }

    /**
     * Hosts of this profile that deleted themselves (their guard, while no daemon was there), by id, with when:
     * the cost book closes their entries at that time. Empty where hosts never delete themselves.
     */
    default Map<String, Instant> selfDeletions() throws IOException {
        return Map.of();
    }

    /** Forgets self-deletions the cost book has taken in. */
    default void forgetSelfDeletions(Set<String> hostIds) throws IOException {
    }

    /** Undoes {@link #beforeDeleteCommand()} when the deletion is called off (Docker started again, volume mounted). */
    default Optional<String> cancelledDeleteCommand() {
        return Optional.empty();
    }

    /** The data volume this profile keeps across servers, as last seen (no API call). */
    default Optional<DataVolume> dataVolume() {
        return Optional.empty();
    }

    /**
     * Deletes the data volume and what is on it. Only when no server of the profile exists.
     *
     * @return what was deleted, if anything
     */
    default Optional<DataVolume> purgeDataVolume() throws IOException {
        return Optional.empty();
    }

    /** Whether the host still exists at the provider (false: deleted behind DockBridge's back). */
    default boolean exists(ProvisionedHost host) throws IOException {
        return true;
    }

    /** Whether hosts from this provider may be deleted (an existing machine never is). */
    boolean disposable();
}

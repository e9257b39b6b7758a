package dev.dockbridge.bridge.host;

import java.util.Locale;

/**
 * The states of {@link HostLifecycle}. Status shows the user-facing {@link #label()}: the phases of a
 * deletion all read {@code destroying} (the server still exists and costs money until it is gone), a
 * deletion that is called off reads {@code booting} while Docker comes back.
 */
public enum HostState {
    ABSENT("absent"),
    /** Looking for the profile's server, or creating one. */
    PROVISIONING("provisioning"),
    /** A server exists (created or adopted): waiting for SSH with the pinned key and Docker's {@code /_ping}. */
    BOOTING("booting"),
    READY("ready"),
    /** Deletion decided: Docker is being stopped and its data volume unmounted over the session; a docker command still calls it off. */
    QUIESCING("destroying"),
    /** A deletion called off after the quiesce: Docker and the volume are coming back. */
    RESUMING("booting"),
    /** The API DELETE is under way; docker commands now wait for it and then get a new server. */
    DESTROYING("destroying"),
    /** A DELETE failed; it is retried with backoff until the server is gone. */
    DELETE_RETRYING("destroying"),
    /** The last bring-up failed (with the reason); the next docker command tries again. */
    FAILED("failed"),
    /** The lifecycle was closed (daemon stopping); a ready server keeps running for the next daemon to adopt. */
    CLOSED("absent");

    private final String label;

    HostState(String label) {
        this.label = label;
    }

    /** The lower-case name used in status output and JSON. */
    public String label() {
        return label;
    }

    /** The precise state, for status's {@code phase} and the logs. */
    public String phase() {
        return name().toLowerCase(Locale.ROOT);
    }
}

package dev.dockbridge.bridge.host;

import java.util.Locale;

/** The host lifecycle: absent → provisioning → booting → ready → destroying → absent, or failed (retried on the next use). */
public enum HostState {
    ABSENT, PROVISIONING, BOOTING, READY, DESTROYING, FAILED;

    /** The lower-case name used in status output and JSON. */
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }
}

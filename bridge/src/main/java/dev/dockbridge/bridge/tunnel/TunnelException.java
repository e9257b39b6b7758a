package dev.dockbridge.bridge.tunnel;

import java.io.IOException;

/**
 * The tunnel could not give what was asked. The message is written for the user: it says what happened
 * and, where it can, what to do.
 */
public final class TunnelException extends IOException {
    /** Whether retrying can help (network trouble) or the configuration must change (key refused). */
    public enum Kind { UNREACHABLE, HOST_KEY_REJECTED, AUTH_FAILED, CHANNEL_REFUSED }

    private final Kind kind;

    public TunnelException(Kind kind, String message, Throwable cause) {
        super(message, cause);
        this.kind = kind;
    }

    public Kind kind() {
        return kind;
    }

    /** True when retrying cannot help until the user changes something. */
    public boolean permanent() {
        return kind == Kind.HOST_KEY_REJECTED || kind == Kind.AUTH_FAILED;
    }
}

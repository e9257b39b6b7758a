package dev.dockbridge.bridge.host;

import java.io.IOException;

/**
 * A provider refused or failed an operation. The kind says what the user can do about it; the message says
 * it in words (and never contains a credential).
 */
public final class ProviderException extends IOException {
    /** What went wrong, as far as the caller must tell cases apart. */
    public enum Kind {
        /** The credentials were refused: nothing works until the user fixes them. */
        UNAUTHORIZED,
        /** What was asked for cannot be had now (sold out, location closed). */
        UNAVAILABLE,
        /** The account's limits are reached. */
        QUOTA,
        /** The configuration asks for something that does not exist or cannot work. */
        INVALID_CONFIG,
        /** The thing is not there (any more). */
        NOT_FOUND,
        /** Anything a later attempt may get past: network, 5xx, rate limits, conflicts. */
        TRANSIENT
    }

    private final Kind kind;

    public ProviderException(Kind kind, String message, Throwable cause) {
        super(message, cause);
        this.kind = kind;
    }

    public Kind kind() {
        return kind;
    }

    /** Failures no retry can fix without the user. */
    public boolean permanent() {
        return kind == Kind.UNAUTHORIZED || kind == Kind.INVALID_CONFIG;
    }
}

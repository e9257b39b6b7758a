package dev.dockbridge.hetzner;

/** An action ended with {@code status: error} or did not end in time. */
public final class ActionFailedException extends HetznerApiException {
    public ActionFailedException(String code, String message) {
        super(0, code, message, null, null);
    }
}

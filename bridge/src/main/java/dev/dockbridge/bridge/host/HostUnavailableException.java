package dev.dockbridge.bridge.host;

import java.io.IOException;

/** No host could be made ready; the message says why, for the docker CLI user. */
public final class HostUnavailableException extends IOException {
    public HostUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}

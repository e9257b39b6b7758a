package dev.dockbridge.bridge.tunnel;

import java.io.IOException;

/** The SSH channel closed before the remote side signalled EOF: what was received may be incomplete. */
public final class RemoteStreamAbortedException extends IOException {
    public RemoteStreamAbortedException(String message) {
        super(message);
    }
}

package dev.dockbridge.bridge.docker;

import java.io.IOException;

import dev.dockbridge.bridge.tunnel.RemoteStream;

/** Where the Docker socket proxy sends each local connection: the remote Docker API. */
@FunctionalInterface
public interface DockerUpstream {

    /**
     * Opens one stream to the remote Docker API. May block while the host is being made ready.
     *
     * @throws IOException with a message for the docker CLI user when the engine cannot be reached
     */
    RemoteStream open() throws IOException;

    /**
     * Opens one stream only if the engine is ready now: never brings a host up, never calls a deletion off, never
     * waits for either. For a channel opened ahead of a request that may only look.
     *
     * @return the stream, or null if no host is ready now or the channel did not open ({@link #open()} then says why)
     */
    default RemoteStream openIfReady() throws IOException {
        return open();
    }
}

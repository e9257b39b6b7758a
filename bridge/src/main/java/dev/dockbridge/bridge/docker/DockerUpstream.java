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
}

package dev.dockbridge.bridge.docker;

/** What the proxy reports about its connections (activity tracking, statistics). Called from connection threads. */
interface ConnectionEvents {
    void bytes(int count);

    void closed(DockerConnection connection);
}

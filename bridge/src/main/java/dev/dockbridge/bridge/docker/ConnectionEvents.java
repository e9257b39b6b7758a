package dev.dockbridge.bridge.docker;

/** What the proxy reports about its connections (activity tracking, statistics). Called from connection threads. */
interface ConnectionEvents {
    /** A request started on {@code connection}; {@code previous} is the class of the one before (null: the first). */
    void request(DockerConnection connection, RequestClass previous, RequestClass now);

    /** Bytes moved either way while the connection's current request was of class {@code current} (null: none yet). */
    void bytes(int count, RequestClass current);

    void closed(DockerConnection connection);
}

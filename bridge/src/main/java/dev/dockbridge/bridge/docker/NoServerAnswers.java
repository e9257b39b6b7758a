package dev.dockbridge.bridge.docker;

import java.nio.ByteBuffer;

/** Answers the looks ({@link RequestClass#LOOK}) that arrive while no server is up, so that polling does not bring one back. */
public interface NoServerAnswers {

    /** Whether no server is up now (and none is being brought up): looks are answered here. */
    boolean noServer();

    /** Whether a ready server's {@code /_ping} is answered here, from that engine's own last answer. */
    default boolean pingsHere() {
        return false;
    }

    /**
     * Whether this look can be answered truthfully without an engine; if not, it goes upstream and brings a server up
     * (e.g. {@code /_ping} before any engine was ever seen: the CLI needs its API version).
     */
    boolean canAnswer(String method, String path);

    /** A complete HTTP/1.1 response (keep-alive) to a look, as truthful as DockBridge can be without an engine. */
    ByteBuffer answer(String method, String path);
}

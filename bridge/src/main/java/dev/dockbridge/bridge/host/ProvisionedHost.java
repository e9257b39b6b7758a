package dev.dockbridge.bridge.host;

import java.time.Instant;

import dev.dockbridge.bridge.tunnel.SshTarget;

/**
 * A host DockBridge can reach: how to log in, and what the provider knows of it.
 *
 * @param id       the provider's id (a Hetzner server id), or the address for an existing host
 * @param ssh      where and how to connect, including which host key to trust
 * @param created  when the server was created, if known (billing counts from it)
 * @param booting  true when it was just created or started: SSH may take a while to answer
 * @param status   the provider's word for its state ({@code running}, {@code off}, {@code migrating}, …), null if none
 */
public record ProvisionedHost(String id, String name, SshTarget ssh, Instant created, String type, String location, boolean booting,
                              String status) {

    /** The same host as it is once it runs. */
    public ProvisionedHost running(boolean justStarted) {
        return new ProvisionedHost(id, name, ssh, created, type, location, justStarted, "running");
    }
}

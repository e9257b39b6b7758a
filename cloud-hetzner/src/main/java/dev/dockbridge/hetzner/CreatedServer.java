package dev.dockbridge.hetzner;

import java.util.List;

/**
 * The answer to a create: the server (still initializing) and the actions to wait for. {@code actions} is
 * empty when an ambiguous failure was resolved by finding the server afterwards.
 */
public record CreatedServer(Server server, List<Action> actions) {
}

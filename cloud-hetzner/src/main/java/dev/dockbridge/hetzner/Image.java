package dev.dockbridge.hetzner;

/** A system or app image, built for one architecture. */
public record Image(long id, String name, String type, String architecture) {
}

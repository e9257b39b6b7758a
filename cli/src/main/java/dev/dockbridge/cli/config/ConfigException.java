package dev.dockbridge.cli.config;

/** A configuration problem, with the key (dotted path) or file it concerns in the message. */
public final class ConfigException extends Exception {
    public ConfigException(String message) {
        super(message);
    }

    public ConfigException(String message, Throwable cause) {
        super(message, cause);
    }
}

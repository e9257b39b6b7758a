package dev.dockbridge.hetzner;

/** An asynchronous operation: {@code running}, then {@code success} or {@code error}. */
public record Action(long id, String command, String status, int progress, ActionError error) {

    public record ActionError(String code, String message) {
    }

    public boolean running() {
        return "running".equals(status);
    }

    public boolean failed() {
        return "error".equals(status);
    }
}

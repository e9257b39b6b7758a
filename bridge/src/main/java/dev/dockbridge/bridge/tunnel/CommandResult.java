package dev.dockbridge.bridge.tunnel;

/**
 * How a command run on the host ended.
 *
 * @param exitStatus its exit status, or null when it did not finish in time
 * @param output     the end of what it wrote (standard output and error together), for logs and messages
 */
public record CommandResult(Integer exitStatus, String output) {
    public boolean finished() {
        return exitStatus != null;
    }

    public boolean succeeded() {
        return exitStatus != null && exitStatus == 0;
    }

    /** One line: {@code exit 3: umount: /var/lib/docker: target is busy}. */
    public String describe() {
        String said = output.strip().replaceAll("\\s*\\n\\s*", "; ");
        return (exitStatus == null ? "did not finish in time" : "exit " + exitStatus) + (said.isEmpty() ? "" : ": " + said);
    }
}

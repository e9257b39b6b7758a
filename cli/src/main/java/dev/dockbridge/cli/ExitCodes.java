package dev.dockbridge.cli;

/** The exit codes scripts may rely on. */
public final class ExitCodes {
    public static final int OK = 0;
    /** Something failed: unreachable host, refused key, provisioning error. */
    public static final int FAILURE = 1;
    /** The command line or the configuration is wrong: fix the input and run again. */
    public static final int USAGE = 2;

    private ExitCodes() {
    }
}

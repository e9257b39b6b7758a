package dev.dockbridge.cli;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;

import picocli.CommandLine.IVersionProvider;

/** The version and commit stamped into the jar at build time. */
public final class VersionInfo implements IVersionProvider {
    private static String commit(Properties p) {
        String commit = p.getProperty("commit", "");
        if (commit.isBlank() || commit.startsWith("${")) {
            return "unknown";
        }
        return "true".equals(p.getProperty("dirty")) ? commit + ", with local changes" : commit;
    }

    /** Which Java runs DockBridge, as the launcher found it: its own runtime, JAVA_HOME or the PATH. */
    private static String runtime() {
        String vendor = System.getProperty("java.vendor", "unknown vendor");
        return switch (System.getProperty("dockbridge.runtime", "")) {
            case "bundled" -> "bundled runtime, " + vendor;
            case "JAVA_HOME" -> "JAVA_HOME " + System.getProperty("java.home") + ", " + vendor;
            case "PATH" -> System.getProperty("java.home") + " from the PATH, " + vendor;
            default -> System.getProperty("java.home") + ", " + vendor;
        };
    }

    @Override
    public String[] getVersion() throws IOException {
        Properties p = new Properties();
        try (InputStream in = VersionInfo.class.getResourceAsStream("/dockbridge-version.properties")) {
            if (in != null) {
                p.load(in);
            }
        }
        return new String[] {
            "dockbridge " + p.getProperty("version", "unknown") + " (commit " + commit(p) + ")",
            "java " + System.getProperty("java.version") + " (" + runtime() + ") on " + System.getProperty("os.name") + " "
                    + System.getProperty("os.arch")
        };
    }
}

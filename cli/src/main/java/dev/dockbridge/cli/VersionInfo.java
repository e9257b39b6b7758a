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
            "java " + System.getProperty("java.version") + " on " + System.getProperty("os.name") + " " + System.getProperty("os.arch")
        };
    }
}

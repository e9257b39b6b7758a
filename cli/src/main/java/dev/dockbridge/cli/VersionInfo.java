package dev.dockbridge.cli;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;

import picocli.CommandLine.IVersionProvider;

/** The version and commit stamped into the jar at build time. */
public final class VersionInfo implements IVersionProvider {
    @Override
    public String[] getVersion() throws IOException {
        Properties p = new Properties();
        try (InputStream in = VersionInfo.class.getResourceAsStream("/dockbridge-version.properties")) {
            if (in != null) {
                p.load(in);
            }
        }
        return new String[] {
            "dockbridge " + p.getProperty("version", "unknown") + " (commit " + p.getProperty("commit", "unknown") + ")",
            "java " + System.getProperty("java.version") + " on " + System.getProperty("os.name") + " " + System.getProperty("os.arch")
        };
    }
}

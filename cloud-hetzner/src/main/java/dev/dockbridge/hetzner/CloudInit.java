package dev.dockbridge.hetzner;

/**
 * The cloud-init {@code user_data} of a DockBridge server. It hands the server the host key DockBridge
 * generated (cloud-init's standard {@code ssh_keys:} section), so the first SSH connection can already
 * verify it: no trust on first use. Other images than {@code docker-ce} also get Docker installed.
 */
public final class CloudInit {
    private CloudInit() {
    }

    public static String dockerHost(String hostKeyPrivatePem, String hostKeyPublicLine, boolean installDocker) {
        StringBuilder y = new StringBuilder("#cloud-config\n")
                .append("ssh_deletekeys: true\n")
                .append("ssh_genkeytypes: []\n") // only the given key: a client must not be offered another type
                .append("ssh_keys:\n")
                .append("  ed25519_private: |\n");
        for (String line : hostKeyPrivatePem.strip().split("\n")) {
            y.append("    ").append(line).append('\n');
        }
        y.append("  ed25519_public: ").append(hostKeyPublicLine.strip()).append('\n');
        if (installDocker) {
            y.append("runcmd:\n")
                    .append("  - [sh, -c, 'command -v docker >/dev/null || curl -fsSL https://get.docker.com | sh']\n");
        }
        return y.toString();
    }
}

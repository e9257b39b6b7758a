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
        return dockerHost(hostKeyPrivatePem, hostKeyPublicLine, installDocker, null);
    }

    /**
     * @param dockerVolumeDevice a volume's {@code linux_device} to hold {@code /var/lib/docker}, or null. It is
     *     mounted by {@code bootcmd}, which cloud-init runs in its init stage, before network-online.target and
     *     so before docker.service starts; the fstab entry ({@code mounts:}, {@code nofail}) keeps it across
     *     reboots, and the drop-in makes Docker wait for the mount instead of writing to the root disk.
     */
    public static String dockerHost(String hostKeyPrivatePem, String hostKeyPublicLine, boolean installDocker, String dockerVolumeDevice) {
        StringBuilder y = new StringBuilder("#cloud-config\n")
                .append("ssh_deletekeys: true\n")
                .append("ssh_genkeytypes: []\n") // only the given key: a client must not be offered another type
                .append("ssh_keys:\n")
                .append("  ed25519_private: |\n");
        for (String line : hostKeyPrivatePem.strip().split("\n")) {
            y.append("    ").append(line).append('\n');
        }
        y.append("  ed25519_public: ").append(hostKeyPublicLine.strip()).append('\n');
        if (dockerVolumeDevice != null) {
            String device = dockerVolumeDevice.replace("'", "");
            y.append("bootcmd:\n")
                    .append("  - [sh, -c, 'mkdir -p /var/lib/docker && (mountpoint -q /var/lib/docker || mount -o discard,defaults ")
                    .append(device).append(" /var/lib/docker)']\n")
                    .append("mounts:\n")
                    .append("  - ['").append(device).append("', /var/lib/docker, ext4, 'discard,nofail,defaults', '0', '2']\n")
                    .append("write_files:\n")
                    .append("  - path: /etc/systemd/system/docker.service.d/dockbridge-volume.conf\n")
                    .append("    content: |\n")
                    .append("      [Unit]\n")
                    .append("      RequiresMountsFor=/var/lib/docker\n");
        }
        if (installDocker) {
            y.append("runcmd:\n")
                    .append("  - [sh, -c, 'command -v docker >/dev/null || curl -fsSL https://get.docker.com | sh']\n");
        }
        return y.toString();
    }
}

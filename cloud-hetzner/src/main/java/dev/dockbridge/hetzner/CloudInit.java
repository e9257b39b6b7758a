package dev.dockbridge.hetzner;

import java.util.ArrayList;
import java.util.List;

/**
 * The cloud-init {@code user_data} of a DockBridge server. It hands the server the host key DockBridge
 * generated for it (cloud-init's standard {@code ssh_keys:} section), so the first SSH connection can already
 * verify it: no trust on first use. Other images than {@code docker-ce} also get Docker installed.
 *
 * <p>The metadata service ({@code 169.254.169.254}) serves this text, host key included, to anything on the
 * server that asks; containers are kept from it by a {@code DOCKER-USER} rule, set before Docker starts.
 */
public final class CloudInit {
    /**
     * Containers may not reach the metadata service: a rule in Docker's own chain for users, which Docker keeps
     * (it creates the chain only when it is missing). Idempotent; processes on the host itself still reach it.
     */
    public static final String BLOCK_CONTAINER_METADATA = "iptables -N DOCKER-USER 2>/dev/null; "
            + "iptables -C DOCKER-USER -d 169.254.169.254/32 -j REJECT 2>/dev/null || iptables -I DOCKER-USER -d 169.254.169.254/32 -j REJECT";
    private static final String METADATA_UNIT = "/etc/systemd/system/dockbridge-metadata-block.service";

    private CloudInit() {
    }

    /**
     * @param dockerVolumeDevice     a volume's {@code linux_device} to hold {@code /var/lib/docker}, or null. It is
     *     mounted by {@code bootcmd}, which cloud-init runs in its init stage, before network-online.target and so
     *     before docker.service starts; the fstab entry ({@code mounts:}, {@code nofail}) keeps it across reboots,
     *     and the drop-in makes Docker wait for the mount instead of writing to the root disk.
     * @param blockContainerMetadata keep containers from the metadata service: {@code bootcmd} on the first boot
     *     (before Docker starts), a unit ordered before docker.service on every later one
     */
    public static String dockerHost(String hostKeyPrivatePem, String hostKeyPublicLine, boolean installDocker, String dockerVolumeDevice,
                                    boolean blockContainerMetadata) {
        StringBuilder y = new StringBuilder("#cloud-config\n")
                .append("ssh_deletekeys: true\n")
                .append("ssh_genkeytypes: []\n") // only the given key: a client must not be offered another type
                .append("ssh_keys:\n")
                .append("  ed25519_private: |\n");
        for (String line : hostKeyPrivatePem.strip().split("\n")) {
            y.append("    ").append(line).append('\n');
        }
        y.append("  ed25519_public: ").append(hostKeyPublicLine.strip()).append('\n');
        List<String> bootcmd = new ArrayList<>();
        List<String> writeFiles = new ArrayList<>();
        List<String> runcmd = new ArrayList<>();
        if (blockContainerMetadata) {
            bootcmd.add("  - [sh, -c, '" + BLOCK_CONTAINER_METADATA + "']\n");
            writeFiles.add("  - path: " + METADATA_UNIT + "\n"
                    + "    content: |\n"
                    + "      [Unit]\n"
                    + "      Description=DockBridge: containers may not reach the metadata service\n"
                    + "      Before=docker.service\n"
                    + "      [Service]\n"
                    + "      Type=oneshot\n"
                    + "      RemainAfterExit=yes\n"
                    + "      ExecStart=/bin/sh -c '" + BLOCK_CONTAINER_METADATA + "'\n"
                    + "      [Install]\n"
                    + "      WantedBy=multi-user.target\n");
            runcmd.add("  - [systemctl, enable, dockbridge-metadata-block.service]\n");
        }
        String mounts = "";
        if (dockerVolumeDevice != null) {
            String device = dockerVolumeDevice.replace("'", "");
            bootcmd.add("  - [sh, -c, 'mkdir -p /var/lib/docker && (mountpoint -q /var/lib/docker || mount -o discard,defaults "
                    + device + " /var/lib/docker)']\n");
            mounts = "mounts:\n  - ['" + device + "', /var/lib/docker, ext4, 'discard,nofail,defaults', '0', '2']\n";
            writeFiles.add("  - path: /etc/systemd/system/docker.service.d/dockbridge-volume.conf\n"
                    + "    content: |\n"
                    + "      [Unit]\n"
                    + "      RequiresMountsFor=/var/lib/docker\n");
        }
        if (installDocker) {
            runcmd.add("  - [sh, -c, 'command -v docker >/dev/null || curl -fsSL https://get.docker.com | sh']\n");
        }
        // the copies of local folders are watched with it (without, the server lists each copy four times a second)
        y.append("packages:\n  - inotify-tools\n");
        section(y, "bootcmd", bootcmd);
        y.append(mounts);
        section(y, "write_files", writeFiles);
        section(y, "runcmd", runcmd);
        return y.toString();
    }

    private static void section(StringBuilder y, String name, List<String> items) {
        if (!items.isEmpty()) {
            y.append(name).append(":\n");
            items.forEach(y::append);
        }
    }
}

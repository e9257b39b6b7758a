package dev.dockbridge.hetzner;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;

class CloudInitTest {
    private static final String PEM = "-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\nBBBB\n-----END OPENSSH PRIVATE KEY-----\n";
    private static final String PUB = "ssh-ed25519 AAAAC3Nza host";

    @Test
    void pinsTheHostKeyAndInstallsOnlyTheFolderWatcherWithoutAVolume() throws Exception {
        String text = CloudInit.dockerHost(PEM, PUB, false, null, false);
        assertThat(text).startsWith("#cloud-config\n");
        JsonNode y = new YAMLMapper().readTree(text);
        assertThat(y.path("ssh_keys").path("ed25519_private").asText()).isEqualTo(PEM);
        assertThat(y.path("ssh_keys").path("ed25519_public").asText()).isEqualTo(PUB);
        assertThat(y.path("ssh_genkeytypes")).isEmpty();
        assertThat(y.has("bootcmd")).isFalse();
        assertThat(y.has("runcmd")).isFalse();
        assertThat(y.path("packages").get(0).asText()).as("the watcher of local folders' copies").isEqualTo("inotify-tools");
    }

    @Test
    void mountsTheVolumeAtVarLibDockerBeforeDockerStarts() throws Exception {
        String device = "/dev/disk/by-id/scsi-0HC_Volume_4711";
        JsonNode y = new YAMLMapper().readTree(CloudInit.dockerHost(PEM, PUB, false, device, false));
        List<String> boot = new YAMLMapper().convertValue(y.path("bootcmd").get(0), List.class);
        assertThat(String.join(" ", boot)).contains("mount -o discard,defaults " + device + " /var/lib/docker")
                .contains("mountpoint -q /var/lib/docker");
        assertThat(y.path("mounts").get(0).get(0).asText()).isEqualTo(device);
        assertThat(y.path("mounts").get(0).get(1).asText()).isEqualTo("/var/lib/docker");
        assertThat(y.path("mounts").get(0).get(3).asText()).contains("nofail");
        JsonNode dropIn = y.path("write_files").get(0);
        assertThat(dropIn.path("path").asText()).isEqualTo("/etc/systemd/system/docker.service.d/dockbridge-volume.conf");
        assertThat(dropIn.path("content").asText()).contains("RequiresMountsFor=/var/lib/docker");
        assertThat(new YAMLMapper().convertValue(y, Map.class)).doesNotContainKey("runcmd");
    }

    @Test
    void keepsContainersFromTheMetadataServiceBeforeDockerStartsAndAfterEveryReboot() throws Exception {
        String device = "/dev/disk/by-id/scsi-0HC_Volume_4711";
        JsonNode y = new YAMLMapper().readTree(CloudInit.dockerHost(PEM, PUB, false, device, true));
        List<String> first = new YAMLMapper().convertValue(y.path("bootcmd").get(0), List.class);
        assertThat(first).containsExactly("sh", "-c", CloudInit.BLOCK_CONTAINER_METADATA);
        assertThat(CloudInit.BLOCK_CONTAINER_METADATA).contains("DOCKER-USER -d 169.254.169.254/32 -j REJECT");
        assertThat(String.join(" ", new YAMLMapper().convertValue(y.path("bootcmd").get(1), List.class))).contains(device);
        JsonNode unit = y.path("write_files").get(0);
        assertThat(unit.path("path").asText()).isEqualTo("/etc/systemd/system/dockbridge-metadata-block.service");
        assertThat(unit.path("content").asText()).contains("Before=docker.service").contains("ExecStart=/bin/sh -c '"
                + CloudInit.BLOCK_CONTAINER_METADATA + "'").contains("WantedBy=multi-user.target");
        assertThat(y.path("write_files").get(1).path("path").asText()).endsWith("dockbridge-volume.conf");
        assertThat(new YAMLMapper().convertValue(y.path("runcmd").get(0), List.class))
                .containsExactly("systemctl", "enable", "dockbridge-metadata-block.service");
    }
}

package dev.dockbridge.cli.command;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;

import com.fasterxml.jackson.databind.JsonNode;

import dev.dockbridge.bridge.host.ProfileKeys;
import dev.dockbridge.cli.CliContext;
import dev.dockbridge.cli.ControlClient;
import dev.dockbridge.cli.DaemonAssembly;
import dev.dockbridge.cli.ExitCodes;
import dev.dockbridge.cli.Profile;
import dev.dockbridge.cli.Terminal;
import dev.dockbridge.cli.UserException;
import dev.dockbridge.cli.config.DockBridgeConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

@Command(name = "ssh", mixinStandardHelpOptions = true, description = {
        "Open a shell on the profile's server, or run COMMAND there: dockbridge ssh -- docker info",
        "With the profile's own key and the pinned host key, so nothing goes into ~/.ssh (provider ssh: the configured "
                + "host, key and known_hosts). Runs OpenSSH's ssh, with a terminal when there is one."})
public final class SshCommand implements Callable<Integer> {
    private final CliContext ctx;

    @Mixin
    ProfileOptions profileOptions;

    @Parameters(arity = "0..*", paramLabel = "COMMAND", description = "What to run on the server (after --); a shell when none.")
    List<String> command = new ArrayList<>();

    public SshCommand(CliContext ctx) {
        this.ctx = ctx;
    }

    @Override
    public Integer call() throws InterruptedException {
        Profile profile = profileOptions.resolve(ctx);
        DockBridgeConfig config = ProfileOptions.load(profile);
        List<String> ssh = new ArrayList<>(List.of("ssh", "-o", "IdentitiesOnly=yes"));
        if (config.provider() == DockBridgeConfig.Provider.SSH) {
            var s = config.ssh();
            ssh.addAll(List.of("-i", DaemonAssembly.identityFile(ctx, s.identityFile()).toString(),
                    "-o", "UserKnownHostsFile=" + ctx.expand(s.knownHosts()),
                    "-o", "StrictHostKeyChecking=" + (s.hostKeyPolicy() == DockBridgeConfig.HostKeyPolicy.ACCEPT_NEW ? "accept-new" : "yes"),
                    "-p", Integer.toString(s.port()), s.user() + "@" + s.host()));
        } else {
            ssh.addAll(hetznerTarget(profile));
        }
        if (Terminal.interactive() && !command.isEmpty()) {
            ssh.add(1, "-t"); // a terminal for an interactive command, as for the shell
        }
        if (!command.isEmpty()) {
            ssh.add("--");
            ssh.addAll(command);
        }
        try {
            return new ProcessBuilder(ssh).inheritIO().start().waitFor();
        } catch (IOException e) {
            throw new UserException(ExitCodes.FAILURE, "cannot run OpenSSH's ssh (" + e.getMessage() + "): install it (Debian: apt install "
                    + "openssh-client)", e);
        }
    }

    /** The running daemon's ready server, its pinned host key in a known_hosts file of the profile's, and the profile's key. */
    private List<String> hetznerTarget(Profile profile) {
        JsonNode server = ControlClient.ask(profile, "status").path("server");
        String flag = profile.name().equals("default") ? "" : " --profile " + profile.name();
        if (!"ready".equals(server.path("state").asText())) {
            throw new UserException(ExitCodes.FAILURE, "the server of profile " + profile.name() + " is " + server.path("state").asText("absent")
                    + ", not ready: run a docker command or 'dockbridge server create" + flag + "' first");
        }
        Path clientKey = profile.stateDir().resolve("id_ed25519");
        String name = server.path("name").asText();
        String ip = server.path("ip").asText();
        Path knownHosts = profile.stateDir().resolve("ssh_known_hosts");
        try {
            Optional<ProfileKeys> hostKey = DaemonAssembly.serverHostKeys(profile).of(name);
            if (hostKey.isEmpty() || !Files.exists(clientKey)) {
                throw new UserException(ExitCodes.FAILURE, "the keys of server " + name + " (profile " + profile.name() + ") are missing from "
                        + profile.stateDir());
            }
            String[] key = hostKey.get().publicLine().split(" ");
            Files.writeString(knownHosts, ip + " " + key[0] + " " + key[1] + "\n");
            Files.setPosixFilePermissions(knownHosts, PosixFilePermissions.fromString("rw-------"));
        } catch (IOException e) {
            throw new UserException(ExitCodes.FAILURE, "cannot write " + knownHosts + ": " + e.getMessage(), e);
        }
        // the user's ~/.ssh/config has no say over a server DockBridge made
        return List.of("-F", "/dev/null", "-i", clientKey.toString(), "-o", "UserKnownHostsFile=" + knownHosts,
                "-o", "GlobalKnownHostsFile=/dev/null", "-o", "StrictHostKeyChecking=yes", "root@" + ip);
    }
}

package dev.dockbridge.bridge.host;

import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Consumer;

import dev.dockbridge.bridge.tunnel.PinnedHostKey;
import dev.dockbridge.bridge.tunnel.SshTarget;
import dev.dockbridge.hetzner.CloudInit;
import dev.dockbridge.hetzner.Action;
import dev.dockbridge.hetzner.Volume;
import dev.dockbridge.hetzner.VolumePrice;
import dev.dockbridge.hetzner.CreateServerRequest;
import dev.dockbridge.hetzner.CreatedServer;
import dev.dockbridge.hetzner.Firewall;
import dev.dockbridge.hetzner.HetznerApiException;
import dev.dockbridge.hetzner.HetznerClient;
import dev.dockbridge.hetzner.Image;
import dev.dockbridge.hetzner.Server;
import dev.dockbridge.hetzner.ServerType;
import dev.dockbridge.hetzner.SshKey;

/**
 * Hetzner Cloud servers, owned by labels ({@code managed-by=dockbridge}, {@code dockbridge/profile=P}):
 * servers without them are never touched. Creates the client key upload and the SSH-only firewall once
 * (found again by fingerprint and label), pins the server's host key through cloud-init, and deletes a
 * server whose start failed.
 */
public final class HetznerHostProvider implements HostProvider {
    public static final String MANAGED_BY = "managed-by";
    public static final String PROFILE_LABEL = "dockbridge/profile";
    private static final Set<String> ADOPTABLE = Set.of("running", "initializing", "starting", "off");

    /** What to create, and how to reach it. */
    public record Settings(String profile, String serverType, String location, String image, boolean firewall, int volumeSizeGb,
                           Duration actionTimeout, Duration connectTimeout, Duration keepaliveInterval, int keepaliveMaxMisses,
                           Duration reconnectWait) {
    }

    /** Stop Docker so it writes everything out, then unmount: the volume is detached by the deletion that follows. */
    private static final String RELEASE_VOLUME = "systemctl stop docker.socket docker.service containerd.service 2>/dev/null; sync; "
            + "umount /var/lib/docker 2>/dev/null; sync";

    private final HetznerClient api;
    private final Settings settings;
    private final ProfileKeys clientKey;
    private final ProfileKeys hostKey;

    public HetznerHostProvider(HetznerClient api, Settings settings, ProfileKeys clientKey, ProfileKeys hostKey) {
        this.api = api;
        this.settings = settings;
        this.clientKey = clientKey;
        this.hostKey = hostKey;
    }

    public Map<String, String> labels() {
        return Map.of(MANAGED_BY, "dockbridge", PROFILE_LABEL, settings.profile());
    }

    public String labelSelector() {
        return MANAGED_BY + "=dockbridge," + PROFILE_LABEL + "=" + settings.profile();
    }

    @Override
    public String describe() {
        return "hetzner " + settings.serverType() + " in " + settings.location();
    }

    @Override
    public Optional<String> checkAccess() throws IOException {
        List<Server> servers = api.listServers(labelSelector());
        return Optional.of("token accepted; " + servers.size() + " server(s) of profile " + settings.profile());
    }

    @Override
    public Optional<ProvisionedHost> findExisting() throws IOException {
        if (settings.volumeSizeGb() > 0) {
            volume = api.listVolumes(labelSelector()).stream().findFirst().orElse(null);
            if (volumePrice == null) {
                volumePrice = api.volumePrice().orElse(null);
            }
        }
        Optional<Server> found = api.listServers(labelSelector()).stream()
                .filter(s -> ADOPTABLE.contains(s.status()))
                .max(Comparator.comparing(Server::created, Comparator.nullsFirst(Comparator.naturalOrder())));
        if (found.isEmpty()) {
            return Optional.empty();
        }
        Server s = found.get();
        boolean booting = !"running".equals(s.status());
        if ("off".equals(s.status())) {
            api.waitForActions(List.of(api.powerOn(s.id())), Duration.ofMillis(500), settings.actionTimeout());
        }
        return Optional.of(toHost(s, booting));
    }

    @Override
    public ProvisionedHost create(Consumer<String> progress) throws IOException {
        Volume volume = null;
        boolean volumeCreated = false;
        if (settings.volumeSizeGb() > 0) {
            Optional<Volume> existing = findVolume();
            volumeCreated = existing.isEmpty();
            volume = existing.isPresent() ? existing.get() : createVolume();
            progress.accept("data volume " + volume.name() + " (" + volume.id() + ", " + volume.size() + " GB) "
                    + (volumeCreated ? "created" : "reused") + " for /var/lib/docker");
        }
        try {
            return createServer(progress, volume);
        } catch (IOException | RuntimeException e) {
            if (volumeCreated) {
                // a volume made for this attempt holds nothing yet, but costs money every month
                api.deleteVolume(volume.id());
                this.volume = null;
            }
            throw e;
        }
    }

    private ProvisionedHost createServer(Consumer<String> progress, Volume volume) throws IOException {
        SshKey key = ensureSshKey();
        progress.accept("ssh key " + key.name() + " (" + key.id() + ")");
        List<Long> firewalls = settings.firewall() ? List.of(ensureFirewall().id()) : List.of();
        ServerType type = api.getServerType(settings.serverType()).orElseThrow(() -> new HetznerApiException(0, "invalid_input",
                "hetzner.server_type: Hetzner has no server type '" + settings.serverType() + "'", null, null));
        if (!type.orderableIn(settings.location())) {
            throw new HetznerApiException(412, "resource_unavailable", "resource_unavailable: server type " + type.name()
                    + " cannot be ordered in " + settings.location() + " now; choose another hetzner.location or hetzner.server_type", null, null);
        }
        Image image = api.findImage(settings.image(), type.architecture()).orElseThrow(() -> new HetznerApiException(0, "invalid_input",
                "hetzner.image: no image '" + settings.image() + "' for " + type.architecture() + " (server type " + type.name() + ")", null, null));
        String name = "dockbridge-" + settings.profile().replace('_', '-') + "-" + HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextInt()).substring(0, 6);
        String userData = CloudInit.dockerHost(hostKey.privatePem(), hostKey.publicLine(), !"docker-ce".equals(settings.image()),
                volume == null ? null : volume.linuxDevice());
        CreatedServer created = api.createServer(new CreateServerRequest(name, type.name(), image.id(), settings.location(),
                List.of(key.id()), firewalls, labels(), userData, volume == null ? List.of() : List.of(volume.id())));
        progress.accept("server " + name + " (" + created.server().id() + ") created, waiting for it to start");
        try {
            api.waitForActions(created.actions(), Duration.ofMillis(500), settings.actionTimeout());
            Server running = api.getServer(created.server().id()).orElseThrow(() -> new HetznerApiException(404, "not_found",
                    "server " + name + " disappeared while starting", null, null));
            progress.accept("server running at " + running.ipv4());
            if (volume != null) {
                this.volume = api.getVolume(volume.id()).orElse(null); // now attached
            }
            return toHost(running, true);
        } catch (IOException | RuntimeException e) {
            boolean interrupted = Thread.interrupted(); // cancelled (daemon stopping): the server is still deleted
            try {
                Optional<Action> deleting = api.deleteServer(created.server().id());
                progress.accept("server " + name + " deleted again (" + e.getMessage() + ")");
                if (volume != null && deleting.isPresent()) {
                    api.waitForActions(List.of(deleting.get()), Duration.ofMillis(500), settings.actionTimeout()); // detaches the volume
                }
            } finally {
                if (interrupted) {
                    Thread.currentThread().interrupt();
                }
            }
            throw e;
        }
    }

    /** The profile's volume in the configured location; refreshes what status shows. */
    private Optional<Volume> findVolume() throws IOException {
        List<Volume> mine = api.listVolumes(labelSelector());
        Optional<Volume> here = mine.stream().filter(v -> v.location() != null && settings.location().equals(v.location().name())).findFirst();
        if (here.isEmpty() && !mine.isEmpty()) {
            Volume elsewhere = mine.get(0);
            throw new HetznerApiException(0, "invalid_input", "hetzner.location: the data volume " + elsewhere.name() + " of profile "
                    + settings.profile() + " is in " + elsewhere.location().name() + ", and a volume can only be attached in its location; set "
                    + "hetzner.location: " + elsewhere.location().name() + ", or delete it with 'dockbridge stop --destroy --purge-volume'", null, null);
        }
        if (here.isPresent() && here.get().server() != null && api.getServer(here.get().server()).isPresent()) {
            throw new HetznerApiException(409, "volume_already_attached", "the data volume " + here.get().name() + " is attached to server "
                    + here.get().server() + ", which is not this profile's; detach it in the Cloud Console", null, null);
        }
        volume = here.orElse(null);
        if (volumePrice == null) {
            volumePrice = api.volumePrice().orElse(null);
        }
        return here;
    }

    private Volume createVolume() throws IOException {
        String name = "dockbridge-" + settings.profile().replace('_', '-') + "-docker";
        Map.Entry<Volume, Optional<Action>> created;
        try {
            created = api.createVolume(name, settings.volumeSizeGb(), settings.location(), labels());
        } catch (HetznerApiException e) {
            if (!e.ambiguous()) {
                throw e;
            }
            // the create may have happened: never make a second volume
            Optional<Volume> made = findVolume();
            if (made.isEmpty()) {
                throw e;
            }
            return made.get();
        }
        if (created.getValue().isPresent()) {
            api.waitForActions(List.of(created.getValue().get()), Duration.ofMillis(500), settings.actionTimeout());
        }
        volume = created.getKey();
        return created.getKey();
    }

    @Override
    public boolean exists(ProvisionedHost host) throws IOException {
        return api.getServer(Long.parseLong(host.id())).isPresent();
    }

    @Override
    public Optional<String> beforeDeleteCommand() {
        return settings.volumeSizeGb() > 0 ? Optional.of(RELEASE_VOLUME) : Optional.empty();
    }

    @Override
    public Optional<DataVolume> dataVolume() {
        Volume v = volume;
        if (v == null) {
            return Optional.empty();
        }
        VolumePrice p = volumePrice;
        return Optional.of(new DataVolume(v.id(), v.name(), v.size(), p == null ? null : p.monthly(v.size()), p == null ? null : p.currency(),
                v.server()));
    }

    @Override
    public Optional<DataVolume> purgeDataVolume() throws IOException {
        Optional<DataVolume> purged = Optional.empty();
        for (Volume v : api.listVolumes(labelSelector())) {
            if (v.server() != null && api.getServer(v.server()).isPresent()) {
                throw new HetznerApiException(409, "volume_attached", "the data volume " + v.name() + " is still attached to server " + v.server()
                        + "; delete the server first ('dockbridge stop --destroy --purge-volume' does both)", null, null);
            }
            api.deleteVolume(v.id());
            purged = Optional.of(new DataVolume(v.id(), v.name(), v.size(), null, null, null));
        }
        volume = null;
        return purged;
    }

    @Override
    public void destroy(ProvisionedHost host) throws IOException {
        Optional<Action> deleting = api.deleteServer(Long.parseLong(host.id()));
        if (settings.volumeSizeGb() > 0) {
            // the deletion detaches the volume; the next server can only attach it once that is done
            if (deleting.isPresent()) {
                api.waitForActions(List.of(deleting.get()), Duration.ofMillis(500), settings.actionTimeout());
            }
            Volume v = volume;
            if (v != null) {
                volume = api.getVolume(v.id()).orElse(null);
            }
        }
    }

    @Override
    public Optional<dev.dockbridge.hetzner.Price> price(ProvisionedHost host) throws IOException {
        dev.dockbridge.hetzner.Price cached = priceCache;
        if (cached == null && host.type() != null && host.location() != null) {
            cached = api.serverPrice(host.type(), host.location()).orElse(null);
            priceCache = cached; // prices change rarely; one lookup per daemon
        }
        return Optional.ofNullable(cached);
    }

    private volatile dev.dockbridge.hetzner.Price priceCache;
    /** As last seen; status reads it without an API call. */
    private volatile Volume volume;
    private volatile VolumePrice volumePrice;

    @Override
    public boolean disposable() {
        return true;
    }

    private SshKey ensureSshKey() throws IOException {
        Optional<SshKey> existing = api.findSshKey(clientKey.md5Fingerprint());
        if (existing.isPresent()) {
            return existing.get();
        }
        String name = "dockbridge-" + settings.profile() + "-" + clientKey.md5Fingerprint().replace(":", "").substring(0, 8);
        return api.createSshKey(name, clientKey.publicLine(), clientKey.md5Fingerprint(), labels());
    }

    private Firewall ensureFirewall() throws IOException {
        List<Firewall> existing = api.listFirewalls(labelSelector());
        if (!existing.isEmpty()) {
            return existing.get(0);
        }
        return api.createFirewall("dockbridge-" + settings.profile(), labels(), List.of(
                new Firewall.Rule("in", "tcp", "22", List.of("0.0.0.0/0", "::/0"), "ssh for dockbridge")));
    }

    private ProvisionedHost toHost(Server s, boolean booting) throws HetznerApiException {
        if (s.ipv4() == null) {
            throw new HetznerApiException(0, "invalid_response", "server " + s.name() + " has no public IPv4 address", null, null);
        }
        SshTarget target = new SshTarget(s.ipv4(), 22, "root", clientKey.pair(), "the DockBridge key of profile " + settings.profile(),
                new PinnedHostKey(hostKey.pair().getPublic()), settings.connectTimeout(), settings.keepaliveInterval(),
                settings.keepaliveMaxMisses(), settings.reconnectWait());
        Instant created = s.created() == null ? null : java.time.OffsetDateTime.parse(s.created()).toInstant();
        return new ProvisionedHost(String.valueOf(s.id()), s.name(), target, created, s.typeName(), s.locationName(), booting);
    }
}

package dev.dockbridge.bridge.host.hetzner;

import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Consumer;

import dev.dockbridge.bridge.host.DataVolume;
import dev.dockbridge.bridge.host.HostProvider;
import dev.dockbridge.bridge.host.HourlyPrice;
import dev.dockbridge.bridge.host.ProfileKeys;
import dev.dockbridge.bridge.host.ProviderException;
import dev.dockbridge.bridge.host.ProviderException.Kind;
import dev.dockbridge.bridge.host.ProvisionedHost;
import dev.dockbridge.bridge.tunnel.HostKeyTrust;
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
import java.time.OffsetDateTime;
import java.util.ArrayList;

/**
 * Hetzner Cloud servers, owned by labels ({@code managed-by=dockbridge}, {@code dockbridge/profile=P}):
 * servers without them are never touched. Creates the client key upload and the SSH-only firewall once
 * (found again by fingerprint and label), pins the server's host key through cloud-init, and deletes a
 * server whose start failed.
 */
public final class HetznerHostProvider implements HostProvider {
    public static final String MANAGED_BY = "managed-by";
    public static final String PROFILE_LABEL = "dockbridge/profile";
    /** States in which Hetzner is moving the server: wait until it is running or off. */
    private static final Set<String> MOVING = Set.of("initializing", "starting", "stopping", "migrating", "rebuilding", "unknown");
    private static final Duration STATUS_POLL = Duration.ofSeconds(1);

    /**
     * What to create, and how to reach it. {@code serverTypes} and {@code locations} are in order of preference:
     * each type is tried in every location before the next type, since locations differ little and types in price.
     */
    public record Settings(String profile, List<String> serverTypes, List<String> locations, String image, boolean firewall,
                           int volumeSizeGb, boolean containerMetadata, Duration actionTimeout, Duration connectTimeout, Duration keepaliveInterval,
                           int keepaliveMaxMisses, Duration reconnectWait) {
        public Settings {
            serverTypes = List.copyOf(serverTypes);
            locations = List.copyOf(locations);
        }
    }

    /**
     * Stop the containers (each by its own stop timeout, all within 5 min), then Docker, so everything is written
     * out, then unmount: the volume is detached by the deletion that follows. Exits non-zero, saying what holds the
     * volume, when it cannot be unmounted; the server is then not deleted.
     */
    private static final String RELEASE_VOLUME = "docker ps -q 2>/dev/null | timeout 300 xargs -r -P 16 -n 1 docker stop >/dev/null; "
            + "systemctl stop docker.socket docker.service containerd.service; sync; "
            + "if mountpoint -q /var/lib/docker; then umount /var/lib/docker || { fuser -vm /var/lib/docker 2>&1 | head -n 6; exit 3; }; fi; sync";
    /** A deletion called off after the release: mount the volume again (fstab knows it), then Docker. */
    private static final String REGAIN_VOLUME = "mountpoint -q /var/lib/docker || mount /var/lib/docker; "
            + "systemctl start containerd.service docker.socket docker.service";

    private final HetznerClient api;
    private final Settings settings;
    private final ProfileKeys clientKey;
    private final ServerHostKeys hostKeys;
    private final ServerGuard guard;

    /** @param guard what a server does when no DockBridge session is there (null: nothing, it waits for a daemon) */
    public HetznerHostProvider(HetznerClient api, Settings settings, ProfileKeys clientKey, ServerHostKeys hostKeys, ServerGuard guard) {
        this.api = api;
        this.settings = settings;
        this.clientKey = clientKey;
        this.hostKeys = hostKeys;
        this.guard = guard;
    }

    public Map<String, String> labels() {
        return Map.of(MANAGED_BY, "dockbridge", PROFILE_LABEL, settings.profile());
    }

    public String labelSelector() {
        return MANAGED_BY + "=dockbridge," + PROFILE_LABEL + "=" + settings.profile();
    }

    @Override
    public String describe() {
        return "hetzner " + alternatives(settings.serverTypes()) + " in " + alternatives(settings.locations());
    }

    private static String alternatives(List<String> names) {
        return names.size() == 1 ? names.get(0) : names.get(0) + " (else " + String.join(", ", names.subList(1, names.size())) + ")";
    }

    @Override
    public Optional<String> checkAccess() throws IOException {
        List<Server> servers = call(() -> api.listServers(labelSelector()));
        return Optional.of("token accepted; " + servers.size() + " server(s) of profile " + settings.profile());
    }

    @Override
    public List<ProvisionedHost> findExisting() throws IOException {
        return call(() -> {
            if (settings.volumeSizeGb() > 0) {
                volume = api.listVolumes(labelSelector()).stream().findFirst().orElse(null);
                if (volumePrice == null) {
                    volumePrice = api.volumePrice().orElse(null);
                }
            }
            List<ProvisionedHost> found = new ArrayList<>();
            for (Server s : api.listServers(labelSelector()).stream()
                    .filter(s -> !"deleting".equals(s.status()))
                    .sorted(Comparator.comparing((Server s) -> !"running".equals(s.status()))
                            .thenComparing(Server::created, Comparator.nullsLast(Comparator.reverseOrder())))
                    .toList()) {
                found.add(toHost(s, !"running".equals(s.status())));
            }
            return found;
        });
    }

    @Override
    public ProvisionedHost prepare(ProvisionedHost host, Consumer<String> progress) throws IOException {
        return call(() -> {
            long id = Long.parseLong(host.id());
            long deadline = System.nanoTime() + settings.actionTimeout().toNanos();
            String logged = null;
            while (true) {
                Server s = api.getServer(id).orElseThrow(() -> new ProviderException(Kind.NOT_FOUND,
                        "server " + host.name() + " (" + id + ") disappeared while DockBridge was adopting it", null));
                if ("running".equals(s.status())) {
                    return toHost(s, host.booting());
                }
                if ("off".equals(s.status())) {
                    progress.accept("server " + s.name() + " is off: powering it on");
                    api.waitForActions(List.of(api.powerOn(id)), Duration.ofMillis(500), settings.actionTimeout());
                    continue;
                }
                if (!MOVING.contains(s.status())) {
                    throw new ProviderException(Kind.UNAVAILABLE, "server " + s.name() + " (" + id + ") is '" + s.status()
                            + "', which DockBridge cannot use; delete it with 'dockbridge server destroy'", null);
                }
                if (!s.status().equals(logged)) {
                    progress.accept("server " + s.name() + " is " + s.status() + ": waiting until it runs");
                    logged = s.status();
                }
                if (System.nanoTime() > deadline) {
                    throw new ProviderException(Kind.UNAVAILABLE, "server " + s.name() + " (" + id + ") stayed '" + s.status()
                            + "' for " + settings.actionTimeout().toSeconds() + " s", null);
                }
                sleep(STATUS_POLL);
            }
        });
    }

    private static void sleep(Duration d) throws ProviderException {
        try {
            Thread.sleep(d.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ProviderException(Kind.TRANSIENT, "interrupted while waiting for the server", e);
        }
    }

    @Override
    public ProvisionedHost create(Consumer<String> progress) throws IOException {
        return call(() -> createWithVolume(progress));
    }

    /**
     * Tries each server type in each location, in order, until Hetzner takes a create: a refusal as unavailable
     * (sold out, a location closed to new servers) moves on to the next; any other error ends the attempt. A data
     * volume can only attach in its own location, so an existing one decides the location.
     */
    private ProvisionedHost createWithVolume(Consumer<String> progress) throws IOException {
        Optional<Volume> existing = settings.volumeSizeGb() > 0 ? findVolume() : Optional.empty();
        List<String> locations = existing.map(v -> List.of(v.location().name())).orElse(settings.locations());
        SshKey key = ensureSshKey();
        progress.accept("ssh key " + key.name() + " (" + key.id() + ")");
        List<Long> firewalls = settings.firewall() ? List.of(ensureFirewall().id()) : List.of();
        List<String> refused = new ArrayList<>();
        for (String typeName : settings.serverTypes()) {
            ServerType type = api.getServerType(typeName).orElseThrow(() -> new ProviderException(Kind.INVALID_CONFIG,
                    "hetzner.server_types: Hetzner has no server type '" + typeName + "'", null));
            Image image = api.findImage(settings.image(), type.architecture()).orElseThrow(() -> new ProviderException(Kind.INVALID_CONFIG,
                    "hetzner.image: no image '" + settings.image() + "' for " + type.architecture() + " (server type " + type.name() + ")", null));
            for (String location : locations) {
                if (!type.orderableIn(location)) {
                    refused.add(type.name() + " in " + location + " (not orderable there now)");
                    progress.accept(type.name() + " cannot be ordered in " + location + " now");
                    continue;
                }
                Optional<ProvisionedHost> host = createIn(progress, key, firewalls, type, image, location, existing.orElse(null), refused);
                if (host.isPresent()) {
                    if (!refused.isEmpty()) {
                        progress.accept("took " + type.name() + " in " + location + " (" + refused.size() + " unavailable before it)");
                    }
                    return host.get();
                }
            }
        }
        throw new ProviderException(Kind.UNAVAILABLE, "resource_unavailable: no server could be had: " + String.join("; ", refused) + ". "
                + (existing.isPresent() ? "The data volume " + existing.get().name() + " holds /var/lib/docker in " + locations.get(0)
                        + " and can only attach there: try again later, or move by deleting it ('dockbridge stop --destroy "
                        + "--purge-volume', which loses its images and volumes) and listing the locations you want in hetzner.locations"
                        : "Try again later, or add locations (hetzner.locations) or server types (hetzner.server_types)"), null);
    }

    /** Empty when Hetzner refused this type in this location as unavailable (noted in {@code refused}). */
    private Optional<ProvisionedHost> createIn(Consumer<String> progress, SshKey key, List<Long> firewalls, ServerType type, Image image,
                                               String location, Volume existingVolume, List<String> refused) throws IOException {
        Volume volume = existingVolume;
        if (settings.volumeSizeGb() > 0 && volume == null) {
            volume = createVolume(location);
            progress.accept("data volume " + volume.name() + " (" + volume.id() + ", " + volume.size() + " GB) created in " + location
                    + " for /var/lib/docker");
        } else if (volume != null) {
            progress.accept("data volume " + volume.name() + " (" + volume.id() + ", " + volume.size() + " GB) reused for /var/lib/docker");
        }
        try {
            Optional<ProvisionedHost> host = createServer(progress, key, firewalls, type, image, location, volume, refused);
            if (host.isEmpty() && existingVolume == null && volume != null) {
                deleteUnusedVolume(volume);
            }
            return host;
        } catch (IOException | RuntimeException e) {
            if (existingVolume == null && volume != null) {
                deleteUnusedVolume(volume);
            }
            throw e;
        }
    }

    /** A volume made for this attempt holds nothing yet, but costs money every month. */
    private void deleteUnusedVolume(Volume v) throws IOException {
        api.deleteVolume(v.id());
        this.volume = null;
    }

    private Optional<ProvisionedHost> createServer(Consumer<String> progress, SshKey key, List<Long> firewalls, ServerType type, Image image,
                                                   String location, Volume volume, List<String> refused) throws IOException {
        String name = "dockbridge-" + settings.profile().replace('_', '-') + "-" + HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextInt()).substring(0, 6);
        ProfileKeys hostKey = hostKeys.create(name); // kept before the create: a crash right after it still adopts the server
        String userData = CloudInit.dockerHost(hostKey.privatePem(), hostKey.publicLine(), !"docker-ce".equals(settings.image()),
                volume == null ? null : volume.linuxDevice(), !settings.containerMetadata());
        CreatedServer created;
        try {
            created = api.createServer(new CreateServerRequest(name, type.name(), image.id(), location,
                    List.of(key.id()), firewalls, labels(), userData, volume == null ? List.of() : List.of(volume.id())));
        } catch (HetznerApiException e) {
            if (!e.ambiguous()) {
                hostKeys.forget(name); // refused: no server has this key
            }
            if (translate(e).kind() != Kind.UNAVAILABLE) {
                throw e;
            }
            refused.add(type.name() + " in " + location + " (" + e.apiError() + ")");
            progress.accept(type.name() + " in " + location + " refused: " + e.apiError());
            return Optional.empty();
        }
        progress.accept("server " + name + " (" + created.server().id() + ", " + type.name() + " in " + location + ") created, waiting for it to start");
        try {
            api.waitForActions(created.actions(), Duration.ofMillis(500), settings.actionTimeout());
            Server running = api.getServer(created.server().id()).orElseThrow(() -> new ProviderException(Kind.NOT_FOUND,
                    "server " + name + " disappeared while starting", null));
            progress.accept("server running at " + running.ipv4());
            if (volume != null) {
                this.volume = api.getVolume(volume.id()).orElse(null); // now attached
            }
            return Optional.of(toHost(running, true));
        } catch (IOException | RuntimeException e) {
            boolean interrupted = Thread.interrupted(); // cancelled (daemon stopping): the server is still deleted
            try {
                Optional<Action> deleting = api.deleteServer(created.server().id());
                hostKeys.forget(name);
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

    /** The profile's volume, wherever it is (its location decides the server's); refreshes what status shows. */
    private Optional<Volume> findVolume() throws IOException {
        Optional<Volume> mine = api.listVolumes(labelSelector()).stream().filter(v -> v.location() != null).findFirst();
        if (mine.isPresent() && mine.get().server() != null && api.getServer(mine.get().server()).isPresent()) {
            throw new ProviderException(Kind.INVALID_CONFIG, "the data volume " + mine.get().name() + " is attached to server "
                    + mine.get().server() + ", which is not this profile's; detach it in the Cloud Console", null);
        }
        volume = mine.orElse(null);
        if (volumePrice == null) {
            volumePrice = api.volumePrice().orElse(null);
        }
        return mine;
    }

    private Volume createVolume(String location) throws IOException {
        String name = "dockbridge-" + settings.profile().replace('_', '-') + "-docker";
        Map.Entry<Volume, Optional<Action>> created;
        try {
            created = api.createVolume(name, settings.volumeSizeGb(), location, labels());
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
        return call(() -> api.getServer(Long.parseLong(host.id())).isPresent());
    }

    @Override
    public Optional<String> beforeDeleteCommand() {
        return settings.volumeSizeGb() > 0 ? Optional.of(RELEASE_VOLUME) : Optional.empty();
    }

    @Override
    public Optional<String> presenceCommand(String machineId, Instant lastUse, Instant othersSince) {
        return Optional.of(ServerGuard.presenceCommand(machineId, lastUse, othersSince));
    }

    /** The guard records its deletion on the profile's SSH key, which outlives the server, so the cost book can close it. */
    @Override
    public Optional<String> guardInstaller(ProvisionedHost host) throws IOException {
        if (guard == null) {
            return Optional.empty();
        }
        Optional<SshKey> key = ownSshKey();
        return Optional.of(guard.installer(Long.parseLong(host.id()), host.created(), key.map(SshKey::id).orElse(0L),
                key.map(SshKey::labels).orElse(Map.of())));
    }

    @Override
    public Map<String, Instant> selfDeletions() throws IOException {
        Map<String, Instant> deletions = new LinkedHashMap<>();
        ownSshKey().ifPresent(k -> k.labels().forEach((name, value) -> {
            if (name.startsWith(ServerGuard.DELETED_LABEL) && value.matches("\\d{1,12}")) {
                deletions.put(name.substring(ServerGuard.DELETED_LABEL.length()), Instant.ofEpochSecond(Long.parseLong(value)));
            }
        }));
        return deletions;
    }

    @Override
    public void forgetSelfDeletions(Set<String> hostIds) throws IOException {
        Optional<SshKey> key = hostIds.isEmpty() ? Optional.empty() : ownSshKey();
        if (key.isEmpty()) {
            return;
        }
        Map<String, String> kept = new LinkedHashMap<>(key.get().labels());
        if (kept.keySet().removeIf(name -> name.startsWith(ServerGuard.DELETED_LABEL)
                && hostIds.contains(name.substring(ServerGuard.DELETED_LABEL.length())))) {
            call(() -> api.updateSshKeyLabels(key.get().id(), kept));
        }
    }

    /** The profile's key in the project, if DockBridge uploaded it (a key the user uploaded is never relabelled). */
    private Optional<SshKey> ownSshKey() throws IOException {
        return call(() -> api.findSshKey(clientKey.md5Fingerprint()))
                .filter(k -> k.labels() != null && "dockbridge".equals(k.labels().get(MANAGED_BY)));
    }

    @Override
    public Optional<String> readyCommand() {
        return settings.containerMetadata() ? Optional.empty() : Optional.of(CloudInit.BLOCK_CONTAINER_METADATA);
    }

    @Override
    public Optional<String> cancelledDeleteCommand() {
        return settings.volumeSizeGb() > 0 ? Optional.of(REGAIN_VOLUME) : Optional.empty();
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
        return call(this::purge);
    }

    private Optional<DataVolume> purge() throws IOException {
        Optional<DataVolume> purged = Optional.empty();
        for (Volume v : api.listVolumes(labelSelector())) {
            if (v.server() != null && api.getServer(v.server()).isPresent()) {
                throw new ProviderException(Kind.INVALID_CONFIG, "the data volume " + v.name() + " is still attached to server " + v.server()
                        + "; delete the server first ('dockbridge stop --destroy --purge-volume' does both)", null);
            }
            api.deleteVolume(v.id());
            purged = Optional.of(new DataVolume(v.id(), v.name(), v.size(), null, null, null));
        }
        volume = null;
        return purged;
    }

    @Override
    public void destroy(ProvisionedHost host) throws IOException {
        call(() -> {
            delete(host);
            return null;
        });
    }

    private void delete(ProvisionedHost host) throws IOException {
        Optional<Action> deleting = api.deleteServer(Long.parseLong(host.id()));
        hostKeys.forget(host.name());
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
    public Optional<HourlyPrice> price(ProvisionedHost host) throws IOException {
        if (host.type() == null || host.location() == null) {
            return Optional.empty();
        }
        String key = host.type() + " in " + host.location();
        HourlyPrice cached = prices.get(key);
        if (cached == null) {
            cached = call(() -> api.serverPrice(host.type(), host.location()))
                    .map(p -> new HourlyPrice(p.hourlyGross(), p.currency())).orElse(null);
            if (cached != null) {
                prices.put(key, cached); // prices change rarely; one lookup per type and location a daemon uses
            }
        }
        return Optional.ofNullable(cached);
    }

    private final Map<String, HourlyPrice> prices = new ConcurrentHashMap<>();
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

    private ProvisionedHost toHost(Server s, boolean booting) throws ProviderException {
        if (s.ipv4() == null) {
            throw new ProviderException(Kind.UNAVAILABLE, "server " + s.name() + " has no public IPv4 address", null);
        }
        HostKeyTrust trust;
        try {
            trust = hostKeys.of(s.name()).<HostKeyTrust>map(k -> new PinnedHostKey(k.pair().getPublic()))
                    .orElse((session, remote, key) -> "the host key of server " + s.name() + " is not known here: it was not created "
                            + "by DockBridge on this machine; delete it with 'dockbridge server destroy' and let DockBridge make a new one");
        } catch (IOException e) {
            throw new ProviderException(Kind.INVALID_CONFIG, "cannot read the host key of server " + s.name() + ": " + e.getMessage(), e);
        }
        SshTarget target = new SshTarget(s.ipv4(), 22, "root", clientKey.pair(), "the DockBridge key of profile " + settings.profile(),
                trust, settings.connectTimeout(), settings.keepaliveInterval(),
                settings.keepaliveMaxMisses(), settings.reconnectWait(), null);
        Instant created = s.created() == null ? null : OffsetDateTime.parse(s.created()).toInstant();
        return new ProvisionedHost(String.valueOf(s.id()), s.name(), target, created, s.typeName(), s.locationName(), booting, s.status());
    }

    private interface ApiCall<T> {
        T call() throws IOException;
    }

    /** The core speaks {@link ProviderException}: Hetzner's errors are translated at this boundary. */
    private static <T> T call(ApiCall<T> call) throws IOException {
        try {
            return call.call();
        } catch (HetznerApiException e) {
            throw translate(e);
        }
    }

    static ProviderException translate(HetznerApiException e) {
        String code = e.code() == null ? "" : e.code();
        Kind kind;
        if (e.unauthorized() || e.status() == 403 || code.equals("forbidden")) {
            kind = Kind.UNAUTHORIZED;
        } else if (e.notFound()) {
            kind = Kind.NOT_FOUND;
        } else if (code.equals("resource_unavailable") || code.equals("placement_error") || code.equals("server_location_disabled")) {
            kind = Kind.UNAVAILABLE;
        } else if (code.equals("resource_limit_exceeded") || code.equals("limit_exceeded")) {
            kind = Kind.QUOTA;
        } else if (code.equals("invalid_input") || code.equals("uniqueness_error") || code.equals("json_error")) {
            kind = Kind.INVALID_CONFIG;
        } else {
            kind = Kind.TRANSIENT;
        }
        return new ProviderException(kind, e.getMessage(), e);
    }
}

package dev.dockbridge.cli.config;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * The configuration file's schema ({@code config.yaml}); field names map to snake_case keys. Absent
 * sections and keys take the documented defaults; {@code profiles} holds per-profile overrides of the
 * same keys.
 */
public record DockBridgeConfig(
        Provider provider,
        Local local,
        Ssh ssh,
        Remote remote,
        Hetzner hetzner,
        Idle idle,
        Forward forward,
        Mounts mounts,
        Map<String, DockBridgeConfig> profiles) {

    public DockBridgeConfig {
        provider = provider == null ? Provider.HETZNER : provider;
        local = local == null ? new Local(null, null, null, null, null) : local;
        ssh = ssh == null ? new Ssh(null, null, null, null, null, null, null, null, null, null) : ssh;
        remote = remote == null ? new Remote(null) : remote;
        hetzner = hetzner == null ? new Hetzner(null, null, null, null, null, null, null, null, null, null) : hetzner;
        idle = idle == null ? new Idle(null, null, null, null) : idle;
        forward = forward == null ? new Forward(null, null, null, null) : forward;
        mounts = mounts == null ? new Mounts(null, null, null) : mounts;
        profiles = profiles == null ? Map.of() : profiles;
    }

    public enum Provider {
        @JsonProperty("hetzner") HETZNER,
        @JsonProperty("ssh") SSH
    }

    public enum HostKeyPolicy {
        /** Only keys already in known_hosts. */
        @JsonProperty("strict") STRICT,
        /** Unknown keys are added to known_hosts; changed keys are still refused. */
        @JsonProperty("accept-new") ACCEPT_NEW
    }

    /**
     * {@code socket}: null means {@code $DOCKBRIDGE_HOME/<profile>/docker.sock}. The limits protect the daemon
     * from runaway or hostile local clients. {@code warmup}: run the request path through once the first engine is
     * ready, so that the first commands are as fast as later ones.
     */
    public record Local(String socket, Integer maxConnections, Integer acceptsPerSecond, Duration firstByteTimeout, Boolean warmup) {
        public Local {
            warmup = warmup == null ? Boolean.TRUE : warmup;
            maxConnections = maxConnections == null ? 1024 : maxConnections;
            acceptsPerSecond = acceptsPerSecond == null ? 500 : acceptsPerSecond;
            firstByteTimeout = firstByteTimeout == null ? Duration.ofSeconds(30) : firstByteTimeout;
        }
    }

    public record Ssh(String host, Integer port, String user, String identityFile, String knownHosts,
                      HostKeyPolicy hostKeyPolicy, Duration keepaliveInterval, Integer keepaliveMaxMisses,
                      Duration connectTimeout, Duration reconnectWait) {
        public Ssh {
            port = port == null ? 22 : port;
            user = user == null ? "root" : user;
            knownHosts = knownHosts == null ? "~/.ssh/known_hosts" : knownHosts;
            hostKeyPolicy = hostKeyPolicy == null ? HostKeyPolicy.STRICT : hostKeyPolicy;
            keepaliveInterval = keepaliveInterval == null ? Duration.ofSeconds(15) : keepaliveInterval;
            keepaliveMaxMisses = keepaliveMaxMisses == null ? 3 : keepaliveMaxMisses;
            connectTimeout = connectTimeout == null ? Duration.ofSeconds(10) : connectTimeout;
            reconnectWait = reconnectWait == null ? Duration.ofSeconds(20) : reconnectWait;
        }
    }

    public record Remote(String dockerSocket) {
        public Remote {
            dockerSocket = dockerSocket == null ? "/var/run/docker.sock" : dockerSocket;
        }
    }

    /**
     * {@code boot_timeout}: from the create call until Docker answers; past it the server is deleted.
     * {@code locations} and {@code server_types}: tried in order when a create is refused as unavailable (a sold-out
     * type, a location closed to new servers); the singular keys name a list of one. {@code container_metadata}: let
     * containers reach the metadata service (which serves the server's {@code user_data}, host key included).
     */
    public record Hetzner(String endpoint, String serverType, List<String> serverTypes, String location, List<String> locations,
                          String image, Boolean firewall, Integer volumeSizeGb, Duration bootTimeout, Boolean containerMetadata) {
        public static final List<String> DEFAULT_LOCATIONS = List.of("nbg1", "fsn1", "hel1");

        public Hetzner {
            bootTimeout = bootTimeout == null ? Duration.ofMinutes(10) : bootTimeout;
            endpoint = endpoint == null ? "https://api.hetzner.cloud/v1" : endpoint;
            serverTypes = serverTypes != null ? List.copyOf(serverTypes) : List.of(serverType == null ? "cx23" : serverType);
            locations = locations != null ? List.copyOf(locations) : location != null ? List.of(location) : DEFAULT_LOCATIONS;
            image = image == null ? "docker-ce" : image;
            firewall = firewall == null ? Boolean.TRUE : firewall;
            volumeSizeGb = volumeSizeGb == null ? 0 : volumeSizeGb;
            containerMetadata = containerMetadata == null ? Boolean.FALSE : containerMetadata;
        }
    }

    /**
     * {@code working_cpu_percent}: a container above this (percent of one core, last minute) is working and keeps the server.
     * {@code unattended_timeout}: the server deletes itself after this long without any DockBridge session (0: never).
     */
    public record Idle(Duration timeout, Boolean billingAware, Double workingCpuPercent, Duration unattendedTimeout) {
        public Idle {
            unattendedTimeout = unattendedTimeout == null ? Duration.ofMinutes(30) : unattendedTimeout;
            billingAware = billingAware == null ? Boolean.TRUE : billingAware;
            // billing-aware, a server goes only at the end of a paid hour, so the timeout only says how long it must have been
            // idle there: 5 min reaches the fewest hours on a workday (bench/idle-cost.sh), 15 min pays two more for fewer waits
            timeout = timeout == null ? Duration.ofMinutes(billingAware ? 5 : 15) : timeout;
            workingCpuPercent = workingCpuPercent == null ? 5.0 : workingCpuPercent;
        }
    }

    /**
     * {@code max_connections}: per forward; more are closed at once. {@code direct_to_container}: connect to the
     * container's address on the server rather than through Docker's userland proxy on the published port.
     */
    public record Forward(Boolean enabled, List<String> bind, Integer maxConnections, Boolean directToContainer) {
        public Forward {
            directToContainer = directToContainer == null ? Boolean.TRUE : directToContainer;
            enabled = enabled == null ? Boolean.TRUE : enabled;
            maxConnections = maxConnections == null ? 512 : maxConnections;
            bind = bind == null ? List.of("127.0.0.1", "::1") : List.copyOf(bind);
        }
    }

    /**
     * Local folders in containers: a bind whose source exists here under one of {@code roots} (default: the home
     * directory) is provided to the server and kept in step both ways; {@code ignore}: patterns not carried
     * ({@code node_modules}, {@code build/tmp/**}).
     */
    public record Mounts(Boolean enabled, List<String> roots, List<String> ignore) {
        public Mounts {
            enabled = enabled == null ? Boolean.TRUE : enabled;
            roots = roots == null ? List.of("~") : List.copyOf(roots);
            ignore = ignore == null ? List.of() : List.copyOf(ignore);
        }
    }
}

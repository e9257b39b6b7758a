package dev.dockbridge.bridge.forward;

import java.io.Closeable;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.core.DefaultDockerClientConfig;
import com.github.dockerjava.core.DockerClientImpl;
import com.github.dockerjava.httpclient5.ApacheDockerHttpClient;

import dev.dockbridge.bridge.docker.DockerSocketProxy;
import dev.dockbridge.bridge.host.HostLifecycle;
import java.net.URI;

/**
 * A docker-java client of the remote engine for the daemon's own use (events, stats). It talks to a private local
 * socket of its own that relays to the engine over the current tunnel: docker-java speaks to sockets, not to SSH
 * channels, and the user's socket must not count the daemon's calls as use. Owns both; {@link #close()} ends both.
 */
public final class RemoteDockerClient implements Closeable {
    private final DockerSocketProxy privateSocket;
    private final int maxConnections;
    private final Duration responseTimeout;
    private boolean started; // owner's thread only
    private DockerClient docker; // owner's thread only

    /** @param responseTimeout null for none (a long-lived events stream) */
    public RemoteDockerClient(HostLifecycle lifecycle, Path socketPath, int maxConnections, Duration responseTimeout) {
        this.privateSocket = new DockerSocketProxy(socketPath,
                () -> lifecycle.currentTunnel().openUnixSocket(lifecycle.remoteSocket()), DockerSocketProxy.ProxyListener.NONE);
        this.maxConnections = maxConnections;
        this.responseTimeout = responseTimeout;
    }

    /** Opens the private socket; the client itself is made on first use. */
    public void start() throws IOException {
        if (!started) {
            privateSocket.start();
            started = true;
        }
    }

    public DockerClient docker() {
        if (docker == null) {
            String host = "unix://" + privateSocket.socketPath();
            DefaultDockerClientConfig config = DefaultDockerClientConfig.createDefaultConfigBuilder()
                    .withDockerHost(host).withDockerTlsVerify(false).build();
            ApacheDockerHttpClient.Builder http = new ApacheDockerHttpClient.Builder().dockerHost(URI.create(host))
                    .maxConnections(maxConnections).connectionTimeout(Duration.ofSeconds(10));
            if (responseTimeout != null) {
                http.responseTimeout(responseTimeout);
            }
            docker = DockerClientImpl.getInstance(config, http.build());
        }
        return docker;
    }

    @Override
    public void close() {
        if (docker != null) {
            try {
                docker.close();
            } catch (IOException ignored) {
                // closing anyway
            }
        }
        privateSocket.close();
    }
}

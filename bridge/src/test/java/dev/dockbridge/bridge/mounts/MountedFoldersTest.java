package dev.dockbridge.bridge.mounts;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.dockbridge.bridge.testing.MutableClock;
import dev.dockbridge.bridge.tunnel.Tunnel;

/** Which folders are kept in step: the ones a container on the server names, and a new one for a minute. */
class MountedFoldersTest {
    private final MutableClock clock = new MutableClock();
    private final FakeSources sources = new FakeSources();
    private MountedFolders folders;

    @TempDir
    Path home;

    /** The server's side is out of reach here: only what is kept, not what is copied, is under test. */
    private final FolderSync.Server noServer = new FolderSync.Server() {
        @Override
        public Tunnel tunnel() throws IOException {
            throw new IOException("no server in this test");
        }

        @Override
        public String id() {
            return "s1";
        }
    };

    private static final class FakeSources implements BindSources {
        volatile Set<String> inUse;

        @Override
        public Set<String> get() {
            return inUse;
        }

        @Override
        public void start() {
        }

        @Override
        public void close() {
        }
    }

    private MountedFolders folders(boolean enabled) {
        folders = new MountedFolders(new MountSettings(enabled, List.of(home), List.of(), home.resolve("conflicts")), noServer, sources, clock);
        return folders;
    }

    @AfterEach
    void close() {
        if (folders != null) {
            folders.close();
        }
    }

    private List<Path> kept() {
        return folders.statuses().stream().map(FolderSync.Status::local).toList();
    }

    @Test
    void aFolderIsKeptWhileAContainerNamesItsCopyAndStopsAMinuteAfterNoneDoes() throws IOException {
        Path app = Files.createDirectories(home.resolve("app"));
        MountedFolders f = folders(true);
        FolderSync sync = f.provide(app);
        assertThat(sync).isNotNull();

        sources.inUse = Set.of(RemoteFolder.serverPath(app));
        clock.advance(Duration.ofMinutes(5));
        f.keep();
        assertThat(kept()).containsExactly(app);
        assertThat(sync.stopped()).isFalse();

        sources.inUse = Set.of(); // the container is gone (or being made again, as compose does)
        clock.advance(Duration.ofSeconds(30));
        f.keep();
        assertThat(kept()).containsExactly(app);
        clock.advance(Duration.ofSeconds(31));
        f.keep();
        assertThat(kept()).isEmpty();
        assertThat(sync.stopped()).isTrue();
    }

    @Test
    void aNewFolderIsKeptForAMinuteBeforeItsContainerExists() throws IOException {
        Path app = Files.createDirectories(home.resolve("app"));
        MountedFolders f = folders(true);
        f.provide(app);
        sources.inUse = Set.of(); // the create call is still on its way

        clock.advance(Duration.ofSeconds(50));
        f.keep();
        assertThat(kept()).containsExactly(app);

        clock.advance(Duration.ofSeconds(20));
        f.keep();
        assertThat(kept()).isEmpty();
    }

    @Test
    void aContainerNamingACopyGetsItProvidedAfterARestartButOnlyWithMountsOn() throws IOException {
        Path app = Files.createDirectories(home.resolve("app"));
        sources.inUse = Set.of(RemoteFolder.serverPath(app), "/var/run/docker.sock");

        MountedFolders off = folders(false);
        off.keep();
        assertThat(kept()).isEmpty();
        off.close();

        MountedFolders on = folders(true); // a daemon started again finds the container
        on.keep();
        assertThat(kept()).containsExactly(app);
    }

    @Test
    void withNoServerReadyNothingIsEnded() throws IOException {
        Path app = Files.createDirectories(home.resolve("app"));
        MountedFolders f = folders(true);
        f.provide(app);
        sources.inUse = null; // reconnecting, or no server: nothing to tell from
        clock.advance(Duration.ofMinutes(10));
        f.keep();
        assertThat(kept()).containsExactly(app);
    }

    @Test
    void pathsThatAreNotTheUsersAreNotProvided() throws IOException {
        MountedFolders f = folders(true);
        assertThat(f.provide(home.resolve("missing"))).isNull();
        assertThat(f.provide(Path.of("/etc"))).isNull();
        assertThat(kept()).isEmpty();
    }
}

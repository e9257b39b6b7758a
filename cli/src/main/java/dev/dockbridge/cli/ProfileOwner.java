package dev.dockbridge.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.util.Optional;

import dev.dockbridge.bridge.daemon.DaemonLock;

/**
 * Who may act on a profile's server right now: its running daemon, or (when none runs) this command, holding
 * the profile's lock so that no daemon starts meanwhile. The OS lock decides, not the files a {@code kill -9}
 * leaves behind: a stale {@code control.sock} is recognised as stale and removed.
 */
public final class ProfileOwner {
    private ProfileOwner() {
    }

    /**
     * @return the profile's lock, held, when no daemon runs (close it when done); empty when a daemon runs and
     *         must be asked instead
     */
    public static Optional<DaemonLock> lockUnlessDaemonRuns(Profile profile) {
        try {
            profile.ensureStateDir();
            DaemonLock lock = DaemonLock.acquire(profile.stateDir());
            Files.deleteIfExists(profile.stateDir().resolve("control.sock")); // left by a daemon that was killed
            return Optional.of(lock);
        } catch (DaemonLock.AlreadyRunningException e) {
            return Optional.empty();
        } catch (IOException e) {
            throw new UserException(ExitCodes.FAILURE, "cannot lock " + profile.stateDir() + ": " + e.getMessage(), e);
        }
    }

    public static void release(DaemonLock lock) {
        try {
            lock.close();
        } catch (IOException e) {
            // the OS drops the lock with the process anyway
        }
    }
}

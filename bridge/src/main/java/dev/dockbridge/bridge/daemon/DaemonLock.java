package dev.dockbridge.bridge.daemon;

import java.io.Closeable;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.FileAlreadyExistsException;

/**
 * One daemon per profile: an OS lock on {@code daemon.lock} in the profile's state directory, plus
 * {@code daemon.pid} for messages. The OS drops the lock when a daemon dies, even by {@code kill -9}, so a
 * stale pid file never blocks a start.
 */
public final class DaemonLock implements Closeable {
    private final FileChannel channel;
    private final FileLock lock;
    private final Path pidFile;

    private DaemonLock(FileChannel channel, FileLock lock, Path pidFile) {
        this.channel = channel;
        this.lock = lock;
        this.pidFile = pidFile;
    }

    /** @throws AlreadyRunningException with the running daemon's pid when the profile is taken */
    public static DaemonLock acquire(Path stateDir) throws IOException {
        Path lockFile = stateDir.resolve("daemon.lock");
        if (!Files.exists(lockFile)) {
            try {
                Files.createFile(lockFile, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            } catch (FileAlreadyExistsException e) {
                // another start raced us: the lock below decides
            }
        }
        FileChannel channel = FileChannel.open(lockFile, StandardOpenOption.WRITE);
        FileLock lock = channel.tryLock();
        Path pidFile = stateDir.resolve("daemon.pid");
        if (lock == null) {
            channel.close();
            String pid = Files.exists(pidFile) ? Files.readString(pidFile).strip() : "unknown";
            throw new AlreadyRunningException(pid);
        }
        Files.writeString(pidFile, ProcessHandle.current().pid() + "\n");
        return new DaemonLock(channel, lock, pidFile);
    }

    /** Another daemon holds the profile. */
    public static final class AlreadyRunningException extends IOException {
        private final String pid;

        AlreadyRunningException(String pid) {
            super("already running (pid " + pid + ")");
            this.pid = pid;
        }

        public String pid() {
            return pid;
        }
    }

    @Override
    public void close() throws IOException {
        Files.deleteIfExists(pidFile);
        lock.release();
        channel.close();
    }
}

package dev.dockbridge.bridge.mounts;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TarFilesTest {

    /**
     * GNU tar on the server exits at the two zero blocks that end an archive, and its channel closes: a byte written
     * after them (a record's padding) is a write to a closed channel, which failed whole pushes.
     */
    @Test
    void theArchiveEndsAtItsEndOfArchiveBlocks(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("a.txt"), "x");
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        TarFiles.write(dir, List.of("a.txt"), out, (p, e) -> { });
        byte[] tar = out.toByteArray();

        assertThat(tar.length % 512).isZero();
        assertThat(Arrays.copyOfRange(tar, tar.length - 1024, tar.length)).containsOnly(0);
        byte[] lastData = Arrays.copyOfRange(tar, tar.length - 1536, tar.length - 1024);
        assertThat(lastData[0]).as("the block before the end is a.txt's data, not padding").isEqualTo((byte) 'x');
    }

    @Test
    void nothingToWriteIsJustTheEnd(@TempDir Path dir) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        TarFiles.write(dir, List.of(), out, (p, e) -> { });
        assertThat(out.toByteArray()).hasSize(1024).containsOnly(0);
    }

    @Test
    void whatIsWrittenReadsBackWithModeAndTime(@TempDir Path dir) throws Exception {
        Path from = Files.createDirectories(dir.resolve("from/sub"));
        Files.writeString(from.resolve("f.txt"), "hello", StandardCharsets.UTF_8);
        Files.setPosixFilePermissions(from.resolve("f.txt"), PosixFilePermissions.fromString("rwxr-x---"));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        TarFiles.write(dir.resolve("from"), List.of("sub", "sub/f.txt"), out, (p, e) -> { });

        Path into = Files.createDirectories(dir.resolve("into"));
        List<String> read = new ArrayList<>();
        TarFiles.read(new ByteArrayInputStream(out.toByteArray()), into, p -> true, (p, e) -> read.add(p));
        assertThat(read).contains("sub/f.txt");
        assertThat(Files.readString(into.resolve("sub/f.txt"))).isEqualTo("hello");
        assertThat(MountEntry.of(into.resolve("sub/f.txt")).mode()).isEqualTo(MountEntry.of(from.resolve("f.txt")).mode());
        assertThat(MountEntry.of(into.resolve("sub/f.txt")).mtimeMicros()).isEqualTo(MountEntry.of(from.resolve("f.txt")).mtimeMicros());
    }
}

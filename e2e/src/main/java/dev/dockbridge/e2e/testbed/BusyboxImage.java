package dev.dockbridge.e2e.testbed;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/** A build context for a tiny image without a registry: {@code FROM scratch} plus Debian's static busybox. */
public final class BusyboxImage {
    public static final String BUSYBOX = "/bin/busybox";

    private BusyboxImage() {
    }

    /** Writes the Dockerfile and busybox into {@code dir} and returns it. */
    public static Path context(Path dir) throws IOException {
        Files.createDirectories(dir);
        Files.copy(Path.of(BUSYBOX), dir.resolve("busybox"), StandardCopyOption.REPLACE_EXISTING);
        Files.writeString(dir.resolve("Dockerfile"), """
                FROM scratch
                COPY busybox /bin/busybox
                RUN ["/bin/busybox", "--install", "-s", "/bin"]
                RUN mkdir -p /www && echo 'hello from dockbridge' > /www/index.html
                CMD ["sh"]
                """);
        return dir;
    }
}

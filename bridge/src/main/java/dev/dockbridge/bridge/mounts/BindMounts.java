package dev.dockbridge.bridge.mounts;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;

import dev.dockbridge.bridge.docker.RequestClass;
import dev.dockbridge.bridge.docker.RequestRewriter;

/**
 * Gives a container the user's folders: in {@code POST /containers/create}, each bind ({@code HostConfig.Binds},
 * {@code HostConfig.Mounts} of type bind) whose source is one of the user's local folders or files is provided to the
 * server and named by its copy there; the call goes on only once the copy is complete. Other binds (the server's own
 * paths, {@code /var/run/docker.sock}) pass unchanged, as with any remote engine.
 */
public final class BindMounts implements RequestRewriter {
    private static final Duration FIRST_COPY_WAIT = Duration.ofMinutes(30);

    private final MountedFolders folders;
    private final ObjectMapper json = new ObjectMapper().enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS);

    public BindMounts(MountedFolders folders) {
        this.folders = folders;
    }

    @Override
    public boolean wants(String method, String path) {
        return "POST".equals(method) && RequestClass.normalize(path).equals("/containers/create");
    }

    @Override
    public byte[] rewrite(String method, String path, byte[] body) throws Refused {
        if (!folders.settings().enabled()) {
            return null;
        }
        JsonNode root;
        try {
            root = json.readTree(body);
        } catch (IOException e) {
            return null; // the engine answers a malformed body itself
        }
        if (!(root instanceof ObjectNode) || !(root.get("HostConfig") instanceof ObjectNode host)) {
            return null;
        }
        List<FolderSync> needed = new ArrayList<>();
        boolean changed = false;
        if (host.get("Binds") instanceof ArrayNode binds) {
            for (int i = 0; i < binds.size(); i++) {
                String bind = binds.get(i).asText();
                int colon = bind.indexOf(':');
                if (colon <= 0) {
                    continue;
                }
                String source = bind.substring(0, colon);
                String copy = provide(source, needed);
                if (copy != null) {
                    binds.set(i, TextNode.valueOf(copy + bind.substring(colon)));
                    changed = true;
                }
            }
        }
        if (host.get("Mounts") instanceof ArrayNode mounts) {
            for (JsonNode m : mounts) {
                if (m instanceof ObjectNode mount && "bind".equals(mount.path("Type").asText()) && mount.hasNonNull("Source")) {
                    String copy = provide(mount.get("Source").asText(), needed);
                    if (copy != null) {
                        mount.put("Source", copy);
                        changed = true;
                    }
                }
            }
        }
        if (!changed) {
            return null;
        }
        String server = folders.currentServer();
        for (FolderSync s : needed) {
            try {
                s.copiedTo(server).get(FIRST_COPY_WAIT.toSeconds(), TimeUnit.SECONDS);
            } catch (ExecutionException e) {
                throw new Refused(500, "dockbridge: " + MountedFolders.failure(e).getMessage()
                        + " (the container was not created; 'mounts.enabled: false' turns providing local folders off)");
            } catch (TimeoutException e) {
                throw new Refused(500, "dockbridge: the first copy of " + s.root() + " to the server did not finish within "
                        + FIRST_COPY_WAIT.toMinutes() + " min (see 'dockbridge status'; 'mounts.ignore' leaves large folders out)");
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new Refused(500, "dockbridge: interrupted while copying " + s.root());
            }
        }
        try {
            return json.writeValueAsBytes(root);
        } catch (IOException e) {
            throw new Refused(500, "dockbridge: cannot write the create call again: " + e.getMessage());
        }
    }

    /** The server path to bind instead of local {@code source}; null if it is not the user's to provide. */
    private String provide(String source, List<FolderSync> needed) {
        if (!source.startsWith("/")) {
            return null; // a named volume
        }
        Path local = Path.of(source).normalize();
        FolderSync s = folders.provide(local);
        if (s == null) {
            return null;
        }
        needed.add(s);
        return RemoteFolder.serverPath(local);
    }
}

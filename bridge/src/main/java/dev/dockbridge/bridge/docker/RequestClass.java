package dev.dockbridge.bridge.docker;

import java.util.Arrays;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * Whether a Docker API request is a person's (or a script's) use of the engine, or a look at it. Looks do not
 * keep an idle server, and while no server runs they are answered without bringing one up: an IDE's Docker
 * view, a dashboard or {@code watch docker ps} polls forever. A pure function of the method and the path.
 */
public enum RequestClass {
    /** {@code /_ping}, {@code /version}, {@code /info}, {@code /events}, {@code /system/df}, GET of lists and inspects. */
    LOOK,
    /** Anything that changes state or streams to the user: create, start, stop, rm, exec, attach, logs, build, pull, push, cp, … */
    USE;

    private static final Pattern VERSION = Pattern.compile("^/v[0-9]+(\\.[0-9]+)?(?=/)");
    private static final String ID = "[^/]+";
    /** GET/HEAD paths that are looks; everything else is use. One alternation: it runs on every request. */
    private static final Pattern LOOKS = alternation(
            "/_ping",
            "/version",
            "/info",
            "/events",
            "/system/df",
            "/containers/json",
            "/containers/" + ID + "/(json|top|changes|stats)",
            "/exec/" + ID + "/json",
            "/images/json",
            "/images/search",
            "/images/.+/(json|history)",
            "/networks(/" + ID + ")?",
            "/volumes(/" + ID + ")?",
            "/plugins(/" + ID + "/json)?",
            "/(services|tasks|nodes|secrets|configs)(/" + ID + ")?",
            "/swarm",
            "/distribution/.+/json");

    public static RequestClass of(String method, String rawPath) {
        if (!"GET".equals(method) && !"HEAD".equals(method)) {
            return USE;
        }
        String path = normalize(rawPath);
        return LOOKS.matcher(path).matches() ? LOOK : USE; // logs, archive (cp), export, images/get (save), attach/ws, anything unknown
    }

    /** The path without its query and without the API version prefix ({@code /v1.41/containers/json} → {@code /containers/json}). */
    public static String normalize(String rawPath) {
        int q = rawPath.indexOf('?');
        String path = q >= 0 ? rawPath.substring(0, q) : rawPath;
        return VERSION.matcher(path).replaceFirst("");
    }

    private static Pattern alternation(String... paths) {
        return Pattern.compile(Arrays.stream(paths).map(p -> "(?:" + p + ")").collect(Collectors.joining("|")));
    }
}

package dev.dockbridge.bridge.docker;

import java.util.List;
import java.util.regex.Pattern;

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
    /** GET/HEAD paths that are looks; everything else is use. */
    private static final List<Pattern> LOOKS = List.of(
            Pattern.compile("/_ping"),
            Pattern.compile("/version"),
            Pattern.compile("/info"),
            Pattern.compile("/events"),
            Pattern.compile("/system/df"),
            Pattern.compile("/containers/json"),
            Pattern.compile("/containers/" + ID + "/(json|top|changes|stats)"),
            Pattern.compile("/exec/" + ID + "/json"),
            Pattern.compile("/images/json"),
            Pattern.compile("/images/search"),
            Pattern.compile("/images/.+/(json|history)"),
            Pattern.compile("/networks(/" + ID + ")?"),
            Pattern.compile("/volumes(/" + ID + ")?"),
            Pattern.compile("/plugins(/" + ID + "/json)?"),
            Pattern.compile("/(services|tasks|nodes|secrets|configs)(/" + ID + ")?"),
            Pattern.compile("/swarm"),
            Pattern.compile("/distribution/.+/json"));

    public static RequestClass of(String method, String rawPath) {
        if (!"GET".equals(method) && !"HEAD".equals(method)) {
            return USE;
        }
        String path = normalize(rawPath);
        for (Pattern p : LOOKS) {
            if (p.matcher(path).matches()) {
                return LOOK;
            }
        }
        return USE; // logs, archive (cp), export, images/get (save), attach/ws, anything unknown
    }

    /** The path without its query and without the API version prefix ({@code /v1.41/containers/json} → {@code /containers/json}). */
    public static String normalize(String rawPath) {
        int q = rawPath.indexOf('?');
        String path = q >= 0 ? rawPath.substring(0, q) : rawPath;
        return VERSION.matcher(path).replaceFirst("");
    }
}

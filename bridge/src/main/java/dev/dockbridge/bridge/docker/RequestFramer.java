package dev.dockbridge.bridge.docker;

import java.nio.ByteBuffer;
import java.util.Locale;
import java.util.function.BiPredicate;
import java.util.regex.Pattern;

/**
 * Follows the client's side of one Docker API connection and says where each request starts, without
 * holding or copying the bytes it is shown (only the request line and a few header values are kept while a
 * head is being read). HTTP/1.1 keep-alive, {@code Content-Length} and chunked bodies are followed; after a
 * hijack or upgrade (attach, exec, BuildKit's {@code /session} and {@code /grpc}) the connection carries raw
 * bytes and nothing more is parsed. Anything it cannot follow also turns it raw: the bytes flow on untouched
 * either way.
 *
 * <p>One thread feeds it (the connection's local-to-remote direction).
 */
public final class RequestFramer {
    /** A request's head longer than this is not an API call DockBridge needs to understand: raw from then on. */
    static final int MAX_HEAD = 64 * 1024;
    private static final int MAX_LINE = 8 * 1024;
    private static final Pattern HIJACKED = Pattern.compile("/containers/[^/]+/attach|/exec/[^/]+/start");

    /** Told once each request's head is complete. Offsets count the connection's bytes from 0. */
    public interface Listener {
        /**
         * @param start   where the request's first byte is
         * @param headEnd just after the blank line that ends its head (its body, if any, follows)
         * @param hasBody whether a body follows the head
         */
        void request(String method, String path, long start, long headEnd, boolean hasBody);

        /** The request last told of ends just before {@code end} (after its body, if any). */
        default void requestEnd(long end) {
        }
    }

    private enum State { HEAD, BODY, CHUNK_SIZE, CHUNK_DATA, CHUNK_CRLF, TRAILERS, RAW }

    private final Listener listener;
    private final StringBuilder line = new StringBuilder();
    private State state = State.HEAD;
    private long fed; // bytes seen before the current chunk
    private int headBytes;
    private boolean inRequest; // the current head's first byte was seen
    private boolean requestLineSeen;
    private long start;
    private String method;
    private String path;
    private long contentLength;
    private boolean chunked;
    private boolean upgrade;
    private long remaining;

    public RequestFramer(Listener listener) {
        this.listener = listener;
    }

    /** Whether the connection has turned into a raw byte stream (hijacked, upgraded, or not HTTP). */
    public boolean raw() {
        return state == State.RAW;
    }

    /** How many bytes it has been shown. */
    public long fed() {
        return fed;
    }

    /**
     * Where a request whose head is not complete yet starts, if it may be one that {@code wanted} (method, path) would
     * hold: its request line is not complete, or it names such a request. -1 otherwise.
     */
    public long partialHead(BiPredicate<String, String> wanted) {
        if (state != State.HEAD || !inRequest) {
            return -1;
        }
        return !requestLineSeen || wanted.test(method, path) ? start : -1;
    }

    /** Looks at {@code chunk}'s remaining bytes; its position and limit are left as they were. */
    public void feed(ByteBuffer chunk) {
        int pos = chunk.position();
        int limit = chunk.limit();
        int i = pos;
        while (i < limit && state != State.RAW) {
            if (state == State.BODY || state == State.CHUNK_DATA) {
                int n = (int) Math.min(remaining, limit - i);
                i += n;
                remaining -= n;
                if (remaining == 0) {
                    if (state == State.BODY) {
                        state = State.HEAD;
                        listener.requestEnd(fed + (i - pos));
                    } else {
                        state = State.CHUNK_CRLF;
                    }
                }
                continue;
            }
            byte b = chunk.get(i);
            if (state == State.HEAD && !inRequest) {
                if (b == '\r' || b == '\n') { // stray line ends between requests are allowed (RFC 9112 2.2)
                    i++;
                    continue;
                }
                inRequest = true;
                start = fed + (i - pos);
            }
            i++;
            if (state == State.HEAD && ++headBytes > MAX_HEAD) {
                state = State.RAW;
                break;
            }
            if (b == '\n') {
                int end = line.length() > 0 && line.charAt(line.length() - 1) == '\r' ? line.length() - 1 : line.length();
                String text = line.substring(0, end);
                line.setLength(0);
                onLine(text, fed + (i - pos));
            } else if (line.length() < MAX_LINE) {
                line.append((char) (b & 0xff));
            } else {
                state = State.RAW;
            }
        }
        fed += limit - pos;
    }

    private void onLine(String text, long after) {
        switch (state) {
            case HEAD -> onHeadLine(text, after);
            case CHUNK_SIZE -> {
                int semi = text.indexOf(';');
                try {
                    remaining = Long.parseLong((semi >= 0 ? text.substring(0, semi) : text).trim(), 16);
                } catch (NumberFormatException e) {
                    state = State.RAW;
                    return;
                }
                state = remaining == 0 ? State.TRAILERS : State.CHUNK_DATA;
            }
            case CHUNK_CRLF -> state = text.isEmpty() ? State.CHUNK_SIZE : State.RAW;
            case TRAILERS -> {
                if (text.isEmpty()) {
                    state = State.HEAD;
                    listener.requestEnd(after);
                }
            }
            default -> {
                // raw: nothing to follow
            }
        }
    }

    private void onHeadLine(String text, long after) {
        if (!requestLineSeen) {
            String[] parts = text.split(" ");
            if (parts.length != 3 || !parts[2].startsWith("HTTP/1.")) {
                state = State.RAW; // not HTTP/1.x: pass it on untouched
                return;
            }
            requestLineSeen = true;
            method = parts[0];
            path = parts[1];
            contentLength = 0;
            chunked = false;
            upgrade = false;
            return;
        }
        if (!text.isEmpty()) {
            header(text);
            return;
        }
        // the blank line: the request is known
        boolean hasBody = chunked || contentLength > 0;
        headBytes = 0;
        requestLineSeen = false;
        inRequest = false;
        if (upgrade || isHijack(method, path)) {
            state = State.RAW; // the body (if any) is sent, then both sides speak raw: not ours to parse
        } else if (chunked) {
            state = State.CHUNK_SIZE;
        } else if (contentLength > 0) {
            remaining = contentLength;
            state = State.BODY;
        }
        listener.request(method, path, start, after, hasBody);
        if (!hasBody && state == State.HEAD) {
            listener.requestEnd(after);
        }
    }

    private void header(String text) {
        int colon = text.indexOf(':');
        if (colon <= 0) {
            return;
        }
        String name = text.substring(0, colon).trim().toLowerCase(Locale.ROOT);
        String value = text.substring(colon + 1).trim().toLowerCase(Locale.ROOT);
        switch (name) {
            case "content-length" -> {
                try {
                    contentLength = Long.parseLong(value);
                } catch (NumberFormatException e) {
                    state = State.RAW;
                }
            }
            case "transfer-encoding" -> chunked = value.contains("chunked");
            case "upgrade" -> upgrade = true;
            case "connection" -> upgrade |= value.contains("upgrade");
            default -> {
                // not needed for framing
            }
        }
    }

    /** Endpoints whose connection the engine hijacks even without an {@code Upgrade} header (older clients). */
    static boolean isHijack(String method, String rawPath) {
        String p = RequestClass.normalize(rawPath);
        return "POST".equals(method) && (p.equals("/session") || p.startsWith("/grpc") || HIJACKED.matcher(p).matches());
    }
}

package dev.dockbridge.bridge.docker;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Locale;

/**
 * One whole HTTP/1.1 request as the client sent it, taken apart and put together again with a new body: the same
 * request line and headers, the body's framing replaced by a {@code Content-Length}.
 */
final class HeldRequest {
    private HeldRequest() {
    }

    /** The bytes to send for {@code request}: as it came if {@code rewriter} leaves its body alone. */
    static byte[] rewrite(byte[] request, RequestRewriter rewriter, String method, String path) throws RequestRewriter.Refused {
        int headEnd = headEnd(request);
        if (headEnd < 0) {
            return request;
        }
        String head = new String(request, 0, headEnd, StandardCharsets.ISO_8859_1);
        boolean chunked = false;
        for (String line : head.split("\r\n")) {
            int colon = line.indexOf(':');
            if (colon > 0 && line.substring(0, colon).trim().equalsIgnoreCase("transfer-encoding")
                    && line.substring(colon + 1).toLowerCase(Locale.ROOT).contains("chunked")) {
                chunked = true;
            }
        }
        byte[] body = chunked ? dechunk(request, headEnd) : Arrays.copyOfRange(request, headEnd, request.length);
        if (body == null) {
            return request; // not a framing we follow: the engine judges it
        }
        byte[] replacement = rewriter.rewrite(method, path, body);
        if (replacement == null) {
            return request;
        }
        StringBuilder newHead = new StringBuilder();
        for (String line : head.substring(0, head.length() - 4).split("\r\n", -1)) {
            int colon = line.indexOf(':');
            String name = colon > 0 ? line.substring(0, colon).trim().toLowerCase(Locale.ROOT) : "";
            if (!name.equals("content-length") && !name.equals("transfer-encoding")) {
                newHead.append(line).append("\r\n");
            }
        }
        newHead.append("Content-Length: ").append(replacement.length).append("\r\n\r\n");
        ByteArrayOutputStream out = new ByteArrayOutputStream(newHead.length() + replacement.length);
        out.writeBytes(newHead.toString().getBytes(StandardCharsets.ISO_8859_1));
        out.writeBytes(replacement);
        return out.toByteArray();
    }

    /** Just after the blank line that ends the head; -1 if there is none. */
    private static int headEnd(byte[] b) {
        for (int i = 3; i < b.length; i++) {
            if (b[i] == '\n' && b[i - 1] == '\r' && b[i - 2] == '\n' && b[i - 3] == '\r') {
                return i + 1;
            }
        }
        return -1;
    }

    private static byte[] dechunk(byte[] b, int from) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int i = from;
        while (true) {
            int lineEnd = indexOfCrlf(b, i);
            if (lineEnd < 0) {
                return null;
            }
            String size = new String(b, i, lineEnd - i, StandardCharsets.ISO_8859_1);
            int semi = size.indexOf(';');
            int n;
            try {
                n = Integer.parseInt((semi >= 0 ? size.substring(0, semi) : size).trim(), 16);
            } catch (NumberFormatException e) {
                return null;
            }
            i = lineEnd + 2;
            if (n == 0) {
                return out.toByteArray();
            }
            if (i + n > b.length) {
                return null;
            }
            out.write(b, i, n);
            i += n + 2;
        }
    }

    private static int indexOfCrlf(byte[] b, int from) {
        for (int i = from; i + 1 < b.length; i++) {
            if (b[i] == '\r' && b[i + 1] == '\n') {
                return i;
            }
        }
        return -1;
    }
}

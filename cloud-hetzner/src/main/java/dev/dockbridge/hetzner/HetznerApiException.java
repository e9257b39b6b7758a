package dev.dockbridge.hetzner;

import java.io.IOException;

/**
 * The API answered with an error (or not at all). The message quotes the API's code and message and never
 * the token. {@code status} is 0 when no HTTP answer came (timeout, connection failure).
 */
public class HetznerApiException extends IOException {
    private final int status;
    private final String code;
    private final String correlationId;
    private final String apiMessage;

    public HetznerApiException(int status, String code, String message, String correlationId, Throwable cause) {
        this(status, code, message, null, correlationId, cause);
    }

    public HetznerApiException(int status, String code, String message, String apiMessage, String correlationId, Throwable cause) {
        super(message, cause);
        this.status = status;
        this.code = code;
        this.apiMessage = apiMessage;
        this.correlationId = correlationId;
    }

    /** The API's code and its own message ({@code resource_unavailable: server location disabled}), without the call's name. */
    public String apiError() {
        return code == null ? getMessage() : apiMessage == null ? code : code + ": " + apiMessage;
    }

    public int status() {
        return status;
    }

    /** The API's error code ({@code unauthorized}, {@code resource_unavailable}, …), or null. */
    public String code() {
        return code;
    }

    public String correlationId() {
        return correlationId;
    }

    public boolean unauthorized() {
        return status == 401;
    }

    public boolean notFound() {
        return status == 404;
    }

    /** No HTTP answer or a server error: a create may or may not have happened. */
    public boolean ambiguous() {
        return status == 0 || status >= 500;
    }
}

package dev.dockbridge.bridge.host.hetzner;

import java.time.Duration;
import java.time.Instant;
import java.util.Map;

/**
 * The guard a DockBridge server keeps against being forgotten: a laptop asleep, a daemon killed or stopped
 * without {@code --destroy}. Every daemon using the server touches {@code /run/dockbridge/sessions/<machine>}
 * every half minute over its session; when none did for {@code unattended} and no container is working, the
 * guard deletes the server through the Hetzner API (billing-aware: just before the paid hour ends, as the daemon
 * would). Its token arrives over SSH on standard input and is kept root-only (0600) in {@code /var/lib/dockbridge};
 * it never appears in {@code user_data} or on a command line. A systemd unit keeps the guard across reboots.
 *
 * @param endpoint   the API as the server reaches it
 * @param token      the API token (a dedicated project limits what it can do)
 * @param unattended how long without any DockBridge session before the server deletes itself
 * @param margin     how long before the paid hour ends a billing-aware deletion happens
 */
public record ServerGuard(String endpoint, String token, Duration unattended, boolean billingAware, Duration margin,
                          double workingCpuPercent) {
    static final String SESSIONS = "/run/dockbridge/sessions";
    static final String USES = "/run/dockbridge/uses";
    /** The label (plus the server's id) the guard puts on the profile's SSH key, its value the deletion's epoch second. */
    static final String DELETED_LABEL = "dockbridge/deleted-";
    private static final Duration EVERY = Duration.ofSeconds(10);

    /**
     * Touches this machine's session mark (the guard reads those), sets its use mark to its last use, and counts the
     * other machines whose use marks are newer than {@code othersSince}.
     */
    static String presenceCommand(String machineId, Instant lastUse, Instant othersSince) {
        String me = machineId.replaceAll("[^a-zA-Z0-9-]", "");
        return "mkdir -p " + SESSIONS + " " + USES + " && touch " + SESSIONS + "/" + me
                + " && touch -d @" + lastUse.getEpochSecond() + " " + USES + "/" + me
                + " && touch -d @" + othersSince.getEpochSecond() + " /run/dockbridge/since-" + me
                + " && find " + USES + " -type f ! -name " + me + " -newer /run/dockbridge/since-" + me + " | wc -l";
    }

    /**
     * @param keyId     the profile's SSH key in the project, where the guard records its deletion (0: nowhere)
     * @param keyLabels that key's labels now: a PUT replaces the whole set, so the guard sends them back with its own
     */
    String installer(long serverId, Instant created, long keyId, Map<String, String> keyLabels) {
        StringBuilder labels = new StringBuilder();
        keyLabels.forEach((name, value) -> {
            if (!name.equals(DELETED_LABEL + serverId)) {
                labels.append('"').append(labelSafe(name)).append("\":\"").append(labelSafe(value)).append("\",");
            }
        });
        String env = "SERVER_ID=" + serverId + "\n"
                + "KEY_ID=" + keyId + "\n"
                + "KEY_LABELS='" + labels + "'\n"
                + "ENDPOINT='" + endpoint.replace("'", "") + "'\n"
                + "UNATTENDED=" + unattended.toSeconds() + "\n"
                + "BILLING_AWARE=" + (billingAware ? 1 : 0) + "\n"
                + "MARGIN=" + margin.toSeconds() + "\n"
                + "CREATED=" + (created == null ? 0 : created.getEpochSecond()) + "\n"
                + "WORKING_CPU=" + workingCpuPercent + "\n"
                + "EVERY=" + EVERY.toSeconds() + "\n";
        return "set -e\n"
                + "umask 077\n"
                + "mkdir -p /var/lib/dockbridge " + SESSIONS + "\n"
                + "cat > /var/lib/dockbridge/guard.env <<'DOCKBRIDGE_EOF'\n" + env + "DOCKBRIDGE_EOF\n"
                + "cat > /var/lib/dockbridge/auth-header <<'DOCKBRIDGE_EOF'\nAuthorization: Bearer " + token.replaceAll("[^A-Za-z0-9._-]", "")
                + "\nDOCKBRIDGE_EOF\n"
                + "cat > /var/lib/dockbridge/guard <<'DOCKBRIDGE_EOF'\n" + GUARD + "DOCKBRIDGE_EOF\n"
                + "chmod 700 /var/lib/dockbridge/guard\n"
                + "if [ -d /run/systemd/system ]; then\n"
                + "  cat > /etc/systemd/system/dockbridge-guard.service <<'DOCKBRIDGE_EOF'\n" + UNIT + "DOCKBRIDGE_EOF\n"
                + "  systemctl daemon-reload && systemctl enable dockbridge-guard.service && systemctl restart dockbridge-guard.service\n"
                + "else\n"
                + "  [ -f /run/dockbridge/guard.pid ] && kill \"$(cat /run/dockbridge/guard.pid)\" 2>/dev/null || true\n"
                + "  nohup setsid /var/lib/dockbridge/guard >>/run/dockbridge/guard.log 2>&1 </dev/null &\n"
                + "  echo $! > /run/dockbridge/guard.pid\n"
                + "fi\n"
                + "echo guard installed\n";
    }

    /** Hetzner allows only these in label names and values; anything else could break the guard's JSON or shell. */
    private static String labelSafe(String s) {
        return s.replaceAll("[^A-Za-z0-9._/-]", "");
    }

    private static final String UNIT = """
            [Unit]
            Description=DockBridge guard: deletes this server when no DockBridge session is connected
            After=docker.service
            [Service]
            ExecStart=/var/lib/dockbridge/guard
            Restart=always
            RestartSec=10
            [Install]
            WantedBy=multi-user.target
            """;

    /** POSIX sh; a container counts as working above WORKING_CPU percent of one core. */
    private static final String GUARD = """
            #!/bin/sh
            # DockBridge's guard: deletes this server when no DockBridge session has been here for UNATTENDED seconds
            # and no container is working. Written by DockBridge; see its README ("The server deletes itself").
            set -u
            . /var/lib/dockbridge/guard.env
            last=$(date +%s)
            while :; do
              now=$(date +%s)
              for f in /run/dockbridge/sessions/*; do
                [ -f "$f" ] || continue
                seen=$(stat -c %Y "$f")
                [ "$seen" -gt "$last" ] && last=$seen
              done
              if timeout 20 docker stats --no-stream --format '{{.CPUPerc}}' 2>/dev/null \\
                  | awk -v t="$WORKING_CPU" '{ sub("%", "", $1); if ($1 + 0 > t) busy = 1 } END { exit busy ? 0 : 1 }'; then
                last=$now
              fi
              if [ $((now - last)) -ge "$UNATTENDED" ]; then
                due=1
                if [ "$BILLING_AWARE" = 1 ] && [ "$CREATED" -gt 0 ] && [ $(( (now - CREATED) % 3600 )) -lt $((3600 - MARGIN - 2 * EVERY)) ]; then
                  due=0
                fi
                if [ "$due" = 1 ]; then
                  echo "$(date -u +%FT%TZ) no DockBridge session for $((now - last)) s and no container working: deleting server $SERVER_ID"
                  if [ "$KEY_ID" -gt 0 ]; then
                    # the key outlives the server: the next daemon closes the server's cost at this time
                    code=$(curl -sS -o /dev/null -w '%{http_code}' --max-time 30 -X PUT -H @/var/lib/dockbridge/auth-header \\
                        -H 'Content-Type: application/json' -d "{\\"labels\\":{$KEY_LABELS\\"dockbridge/deleted-$SERVER_ID\\":\\"$now\\"}}" \\
                        "$ENDPOINT/ssh_keys/$KEY_ID" || true)
                    echo "deletion time recorded on ssh key $KEY_ID (HTTP $code)"
                  fi
                  code=$(curl -sS -o /dev/null -w '%{http_code}' --max-time 30 -X DELETE -H @/var/lib/dockbridge/auth-header \\
                      "$ENDPOINT/servers/$SERVER_ID" || true)
                  case $code in
                    2??|404) echo "deleted (HTTP $code)"; exit 0 ;;
                    *) echo "the delete failed (HTTP $code); trying again" ;;
                  esac
                fi
              fi
              sleep "$EVERY"
            done
            """;
}

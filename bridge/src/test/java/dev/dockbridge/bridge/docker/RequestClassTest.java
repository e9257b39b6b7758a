package dev.dockbridge.bridge.docker;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.assertj.core.groups.Tuple;

/**
 * The classifier over requests recorded through DockBridge from the real clients of this machine (docker CLI
 * 28.2 and Debian's 20.10, Debian's docker-compose 1.29, BuildKit through DOCKER_BUILDKIT=1, and docker-java in
 * the daemon's own watcher), and the framer over the shapes those requests come in.
 */
class RequestClassTest {
    /** method, path, class: recorded by /tmp/record.sh-style runs (see docs/benchmarks.md, "request classes"). */
    private static final String[][] RECORDED = {
            {"DELETE", "/v1.41/containers/4c1d9e0f3a2b", "USE"},
            {"DELETE", "/v1.41/containers/4c1d9e0f3a2b?v=False&link=False&force=False", "USE"},
            {"DELETE", "/v1.41/networks/compose_default", "USE"},
            {"GET", "/containers/json", "LOOK"},
            {"GET", "/events?filters=%7B%22type%22%3A%5B%22container%22%5D%7D", "LOOK"},
            {"GET", "/v1.41/containers/4c1d9e0f3a2b/archive?path=%2Ftmp%2Fc", "USE"},
            {"GET", "/v1.41/containers/4c1d9e0f3a2b/json", "LOOK"},
            {"GET", "/v1.41/containers/4c1d9e0f3a2b/logs?stderr=1&stdout=1&tail=all", "USE"},
            {"GET", "/v1.41/containers/4c1d9e0f3a2b/top", "LOOK"},
            {"GET", "/v1.41/containers/cd3d35442822/stats?stream=0", "LOOK"},
            {"GET", "/v1.41/containers/json", "LOOK"},
            {"GET", "/v1.41/containers/json?limit=-1&all=0&size=0&trunc_cmd=0&filters=%7B%22label%22%3A+%5B%22com.docker.compose.project%3Dcompose%22%2C+%22com.docker.compose.oneoff%3DFalse%22%5D%7D", "LOOK"},
            {"GET", "/v1.41/containers/json?limit=-1&all=0&size=0&trunc_cmd=0&filters=%7B%22label%22%3A+%5B%22com.docker.compose.project%3Dcompose%22%2C+%22com.docker.compose.oneoff%3DTrue%22%5D%7D", "LOOK"},
            {"GET", "/v1.41/containers/json?limit=-1&all=0&size=0&trunc_cmd=0&filters=%7B%22label%22%3A+%5B%22com.docker.compose.project%3Dcompose%22%5D%7D", "LOOK"},
            {"GET", "/v1.41/containers/json?limit=-1&all=1&size=0&trunc_cmd=0&filters=%7B%22label%22%3A+%5B%22com.docker.compose.project%3Dcompose%22%2C+%22com.docker.compose.oneoff%3DFalse%22%5D%7D", "LOOK"},
            {"GET", "/v1.41/containers/json?limit=-1&all=1&size=0&trunc_cmd=0&filters=%7B%22label%22%3A+%5B%22com.docker.compose.project%3Dcompose%22%2C+%22com.docker.compose.service%3Da%22%2C+%22com.docker.compose.oneoff%3DFalse%22%5D%7D", "LOOK"},
            {"GET", "/v1.41/containers/json?limit=-1&all=1&size=0&trunc_cmd=0&filters=%7B%22label%22%3A+%5B%22com.docker.compose.project%3Dcompose%22%2C+%22com.docker.compose.service%3Db%22%2C+%22com.docker.compose.oneoff%3DFalse%22%5D%7D", "LOOK"},
            {"GET", "/v1.41/containers/json?limit=-1&all=1&size=0&trunc_cmd=0&filters=%7B%22label%22%3A+%5B%22com.docker.compose.project%3Dcompose%22%5D%7D", "LOOK"},
            {"GET", "/v1.41/events", "LOOK"},
            {"GET", "/v1.41/events?filters=%7B%22type%22%3A%7B%22container%22%3Atrue%7D%7D", "LOOK"},
            {"GET", "/v1.41/exec/4c1d9e0f3a2b/json", "LOOK"},
            {"GET", "/v1.41/images/json", "LOOK"},
            {"GET", "/v1.41/images/rec:1/json", "LOOK"},
            {"GET", "/v1.41/info", "LOOK"},
            {"GET", "/v1.41/networks", "LOOK"},
            {"GET", "/v1.41/networks/compose_default", "LOOK"},
            {"GET", "/v1.41/system/df", "LOOK"},
            {"GET", "/v1.41/version", "LOOK"},
            {"GET", "/v1.41/volumes", "LOOK"},
            {"GET", "/version", "LOOK"},
            {"HEAD", "/_ping", "LOOK"},
            {"HEAD", "/v1.41/containers/4c1d9e0f3a2b/archive?path=%2Ftmp%2Fc", "USE"},
            {"POST", "/session", "USE"},
            {"POST", "/v1.41/build?buildargs=%7B%7D&buildid=4c1d9e0f3a2b&cachefrom=%5B%5D&cgroupparent=&cpuperiod=0&cpuquota=0&cpusetcpus=&cpusetmems=&cpushares=0&dockerfile=&labels=%7B%7D&memory=0&memswap=0&networkmode=default&q=1&remote=client-session&rm=1&session=gi6pf94tfs1i1yq7bw9v3onhd&shmsize=0&t=rec%3A2&target=&ulimits=null&version=2", "USE"},
            {"POST", "/v1.41/build?dockerfile=Dockerfile&q=1&t=rec%3A1&version=1", "USE"},
            {"POST", "/v1.41/containers/4c1d9e0f3a2b/attach?stderr=1&stdin=1&stdout=1&stream=1", "USE"},
            {"POST", "/v1.41/containers/4c1d9e0f3a2b/attach?stderr=1&stdout=1&stream=1", "USE"},
            {"POST", "/v1.41/containers/4c1d9e0f3a2b/exec", "USE"},
            {"POST", "/v1.41/containers/4c1d9e0f3a2b/start", "USE"},
            {"POST", "/v1.41/containers/4c1d9e0f3a2b/stop?t=1", "USE"},
            {"POST", "/v1.41/containers/4c1d9e0f3a2b/wait?condition=next-exit", "USE"},
            {"POST", "/v1.41/containers/4c1d9e0f3a2b/wait?condition=removed", "USE"},
            {"POST", "/v1.41/containers/create", "USE"},
            {"POST", "/v1.41/containers/create?name=compose_a_1", "USE"},
            {"POST", "/v1.41/containers/create?name=compose_b_1", "USE"},
            {"POST", "/v1.41/exec/4c1d9e0f3a2b/start", "USE"},
            {"POST", "/v1.41/networks/compose_default/connect", "USE"},
            {"POST", "/v1.41/networks/compose_default/disconnect", "USE"},
            {"POST", "/v1.41/networks/create", "USE"},
            {"PUT", "/v1.41/containers/4c1d9e0f3a2b/archive?noOverwriteDirNonDir=true&path=%2Ftmp", "USE"},
    };

    @Test
    void everyRecordedRequestHasItsClass() {
        for (String[] r : RECORDED) {
            assertThat(RequestClass.of(r[0], r[1])).as(r[0] + " " + r[1]).isEqualTo(RequestClass.valueOf(r[2]));
        }
        assertThat(RECORDED.length).isGreaterThan(40);
    }

    @Test
    void whatAPersonDoesIsUseAndWhatAPollerDoesIsALook() {
        assertThat(RequestClass.of("GET", "/v1.44/containers/abc/logs?follow=1&stdout=1")).isEqualTo(RequestClass.USE);
        assertThat(RequestClass.of("POST", "/v1.44/images/create?fromImage=alpine")).as("pull").isEqualTo(RequestClass.USE);
        assertThat(RequestClass.of("POST", "/v1.44/images/alpine/push")).isEqualTo(RequestClass.USE);
        assertThat(RequestClass.of("POST", "/v1.44/commit?container=abc")).isEqualTo(RequestClass.USE);
        assertThat(RequestClass.of("GET", "/v1.44/images/get?names=alpine")).as("save").isEqualTo(RequestClass.USE);
        assertThat(RequestClass.of("GET", "/v1.44/containers/abc/export")).isEqualTo(RequestClass.USE);
        assertThat(RequestClass.of("GET", "/_ping")).isEqualTo(RequestClass.LOOK);
        assertThat(RequestClass.of("GET", "/v1.44/images/ghcr.io/org/app:1/json")).isEqualTo(RequestClass.LOOK);
        assertThat(RequestClass.of("GET", "/v1.44/something/new")).as("unknown: use, to be safe").isEqualTo(RequestClass.USE);
        assertThat(RequestClass.normalize("/v1.41/containers/json?all=1")).isEqualTo("/containers/json");
        assertThat(RequestClass.normalize("/_ping")).isEqualTo("/_ping");
    }

    private record Seen(String method, String path, long start, long end, boolean body) {
    }

    private static List<Seen> frame(byte[] stream, int chunk) {
        List<Seen> seen = new ArrayList<>();
        RequestFramer f = new RequestFramer((m, p, s, e, b) -> seen.add(new Seen(m, p, s, e, b)));
        for (int i = 0; i < stream.length; i += chunk) {
            ByteBuffer part = ByteBuffer.wrap(stream, i, Math.min(chunk, stream.length - i));
            int before = part.position();
            f.feed(part);
            assertThat(part.position()).as("the framer never moves the buffer").isEqualTo(before);
        }
        return seen;
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.ISO_8859_1);
    }

    @Test
    void keepAliveLengthAndChunkedBodiesAreFollowedAcrossAnySplit() {
        String ping = "HEAD /_ping HTTP/1.1\r\nHost: api.moby.localhost\r\nUser-Agent: Docker-Client/28.2.2 (linux)\r\n\r\n";
        String create = "POST /v1.41/containers/create HTTP/1.1\r\nHost: docker\r\nContent-Length: 12\r\nContent-Type: application/json\r\n\r\n"
                + "{\"Image\":1}\n";
        String build = "POST /v1.41/build?t=x HTTP/1.1\r\nHost: docker\r\nTransfer-Encoding: chunked\r\n\r\n"
                + "5\r\nhello\r\n3;ext=1\r\nabc\r\n0\r\nTrailer: x\r\n\r\n";
        String list = "GET /v1.41/containers/json HTTP/1.1\r\nHost: docker\r\n\r\n";
        byte[] stream = ascii(ping + create + build + list);
        for (int chunk = 1; chunk <= stream.length; chunk++) {
            List<Seen> seen = frame(stream, chunk);
            assertThat(seen).as("chunk " + chunk).extracting(Seen::method, Seen::path).containsExactly(
                    Tuple.tuple("HEAD", "/_ping"),
                    Tuple.tuple("POST", "/v1.41/containers/create"),
                    Tuple.tuple("POST", "/v1.41/build?t=x"),
                    Tuple.tuple("GET", "/v1.41/containers/json"));
            assertThat(seen.get(0).start()).isZero();
            assertThat(seen.get(0).end()).isEqualTo(ping.length());
            assertThat(seen.get(1).start()).isEqualTo(ping.length());
            assertThat(seen.get(1).body()).isTrue();
            assertThat(seen.get(3).start()).isEqualTo(ping.length() + create.length() + build.length());
            assertThat(seen.get(3).body()).isFalse();
        }
    }

    @Test
    void afterAHijackOrUpgradeTheStreamIsRaw() {
        String attach = "POST /v1.41/containers/abc/attach?stream=1&stdin=1 HTTP/1.1\r\nHost: docker\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n";
        String stdin = "GET /not-a-request HTTP/1.1\r\n\r\n"; // the user's bytes, which only look like HTTP
        List<Seen> seen = frame(ascii(attach + stdin), 7);
        assertThat(seen).extracting(Seen::path).containsExactly("/v1.41/containers/abc/attach?stream=1&stdin=1");
        List<Seen> session = frame(ascii("POST /session HTTP/1.1\r\nHost: docker\r\n\r\n" + stdin), 5);
        assertThat(session).extracting(Seen::path).containsExactly("/session");
        assertThat(frame(ascii("\u0016\u0003\u0001 not http at all\r\n" + stdin), 3)).as("not HTTP: raw at once").isEmpty();
    }
}

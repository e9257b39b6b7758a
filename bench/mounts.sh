#!/usr/bin/env bash
# Local folders in containers (issue 12), side by side in one run on the local test bed, through a relay that
# holds each chunk RTT/2 each way in front of the host's sshd (bench/delay-relay.py; RTT=20 by default):
#   bind          docker run -v LOCAL_DIR:/app through DockBridge (its copy on the server, kept in step both ways)
#   named volume  docker run -v VOLUME:/app, the files put there with tar through DockBridge's socket (the speed limit)
# Work: a local edit until the server's copy has it (what the container reads); a file written on the server (as
# the container writes it) until it is here; find | xargs stat over 10,000 files inside a container; a job writing
# 5,000 small files and 100 MiB until all of it is here; the first run of a container on a fresh 200 MiB tree.
# Prints medians; x = bind / named volume. Run as root on Debian.
set -euo pipefail
cd "$(dirname "$0")/.."
rtt=${RTT:-20}
runs=${RUNS:-3}
edits=${EDITS:-20}
bash scripts/install-deps.sh python3 >/dev/null
[ -f e2e/target/classpath.txt ] && [ -x cli/target/dockbridge/dockbridge/bin/dockbridge ] || ./mvnw -q -B -ntp -DskipTests install

. scripts/testbed.sh
# shellcheck source=bench/lib.sh
. bench/lib.sh
dir=/tmp/dbmounts
on_exit="testbed dbmnt down $dir"
testbed dbmnt down "$dir" >/dev/null 2>&1 || true
rm -rf "$dir/local"
testbed dbmnt up "$dir" >/dev/null
host=198.18.1.2
remote_sock=$dir/h1/docker.sock
relay_port=22221
local=$dir/local   # the test bed hides it from the host: only DockBridge's copy brings it there

busybox_image mnt-busybox
relay_config "$dir/mounts.yaml" "mounts:
  roots: [$local]"
python3 bench/delay-relay.py "$relay_port" "$host" 22 "$(python3 -c "print($rtt / 2)")" &
track $!
for _ in $(seq 50); do ss -Hltn "sport = :$relay_port" | grep -q . && break; sleep 0.1; done
export DOCKBRIDGE_HOME=$dir/home DOCKER_CONFIG=$dir/docker-config
mkdir -p "$DOCKER_CONFIG"
cli/target/dockbridge/dockbridge/bin/dockbridge start --config "$dir/mounts.yaml" >"$dir/daemon.log" 2>&1 &
track $!
export DOCKER_HOST=unix://$DOCKBRIDGE_HOME/default/docker.sock
for _ in $(seq 300); do [ -S "${DOCKER_HOST#unix://}" ] && break; sleep 0.1; done

python3 - "$local" "$dir/h1/server-disk" "$runs" "$edits" "$rtt" <<'PY'
import os, random, re, shutil, statistics, subprocess, sys, time
local, disk, runs, edits, rtt = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
img = "mnt-busybox"

def docker(*args, stdin=None):
    return subprocess.run(["docker", *args], input=stdin, capture_output=True, check=True).stdout.decode()

def server(path):  # the server's copy of a local path: what a container binding it reads and writes
    return disk + path

def wait(cond, timeout=120):
    end = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > end:
            raise SystemExit("timed out")
        time.sleep(0.002)

def read(p):
    try:
        with open(p) as f:
            return f.read()
    except OSError:
        return None

def tree(path, files=10_000, total=200 << 20):
    os.makedirs(path)
    size = total // files
    for i in range(files):
        d = os.path.join(path, f"d{i % 100}")
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, f"f{i}"), "wb") as f:
            f.write(random.randbytes(size))

def inside_seconds(mount):
    out = subprocess.run(["docker", "run", "--rm", "-v", mount, img, "sh", "-c", "time sh -c 'find /app -type f | xargs stat >/dev/null'"],
                         capture_output=True, check=True).stderr.decode()
    m = re.search(r"real\s+(\d+)m\s*([\d.]+)s", out)
    return int(m.group(1)) * 60 + float(m.group(2))

rows = []

# edits both ways, with a container on the bind
edit = os.path.join(local, "edit")
os.makedirs(edit)
with open(os.path.join(edit, "probe.txt"), "w") as f:
    f.write("start\n")
cid = docker("run", "-d", "-v", f"{edit}:/app", img, "sleep", "3600").strip()
here_to_there, there_to_here = [], []
for i in range(edits):
    token = f"here {i}\n"
    t = time.monotonic()
    with open(os.path.join(edit, "probe.txt"), "w") as f:
        f.write(token)
    wait(lambda: read(server(os.path.join(edit, "probe.txt"))) == token)
    here_to_there.append(time.monotonic() - t)
    time.sleep(0.2)
    token = f"there {i}\n"
    t = time.monotonic()
    with open(server(os.path.join(edit, f"out{i}.txt")), "w") as f:
        f.write(token)
    wait(lambda: read(os.path.join(edit, f"out{i}.txt")) == token)
    there_to_here.append(time.monotonic() - t)
    time.sleep(0.2)
docker("rm", "-f", cid)
rows.append(("local edit visible in the container (s)", statistics.median(here_to_there), None))
rows.append(("container write visible here (s)", statistics.median(there_to_here), None))

# a 10,000-file tree of 200 MiB: first run, then stat inside
first_bind, first_vol, stat_bind, stat_vol = [], [], [], []
random.seed(12)
base = os.path.join(local, "tree-base")
tree(base)
for r in range(runs):
    fresh = os.path.join(local, f"tree{r}")
    shutil.copytree(base, fresh)
    t = time.monotonic()
    docker("run", "--rm", "-v", f"{fresh}:/app", img, "true")
    first_bind.append(time.monotonic() - t)
    t = time.monotonic()
    tar = subprocess.run(["tar", "-C", fresh, "-c", "."], capture_output=True, check=True).stdout
    docker("run", "-i", "--rm", "-v", f"mnt-tree{r}:/app", img, "tar", "-x", "-C", "/app", stdin=tar)
    first_vol.append(time.monotonic() - t)
    stat_bind.append(inside_seconds(f"{fresh}:/app"))
    stat_vol.append(inside_seconds(f"mnt-tree{r}:/app"))
rows.append(("first run on a fresh 200 MiB tree (s)", statistics.median(first_bind), statistics.median(first_vol)))
rows.append(("find | xargs stat, 10,000 files, inside (s)", statistics.median(stat_bind), statistics.median(stat_vol)))

# a job writing 5,000 small files and 100 MiB, until all of it is here
job = "mkdir -p /app/out && i=0 && while [ $i -lt 5000 ]; do echo $i > /app/out/f$i; i=$((i+1)); done && head -c 104857600 /dev/urandom > /app/out/big"
job_bind, job_vol = [], []
for r in range(runs):
    d = os.path.join(local, f"job{r}")
    os.makedirs(d)
    t = time.monotonic()
    docker("run", "--rm", "-v", f"{d}:/app", img, "sh", "-c", job)
    out = os.path.join(d, "out")
    wait(lambda: os.path.isdir(out) and len(os.listdir(out)) >= 5001 and os.path.exists(os.path.join(out, "big"))
         and os.path.getsize(os.path.join(out, "big")) == 104857600 and all(not n.startswith(".~") for n in os.listdir(out)), 300)
    job_bind.append(time.monotonic() - t)
    t = time.monotonic()
    docker("run", "--rm", "-v", f"mnt-job{r}:/app", img, "sh", "-c", job)
    job_vol.append(time.monotonic() - t)
rows.append(("job: 5,000 files + 100 MiB, until all is here (s)", statistics.median(job_bind), statistics.median(job_vol)))

print(f"Bind mounts of local folders at RTT {rtt} ms, medians ({edits} edits each way, {runs} runs of the rest); x = bind / named volume\n")
print("| work | bind (DockBridge) | named volume | x |")
print("|---|---|---|---|")
for name, b, v in rows:
    print(f"| {name} | {b:.3f} | {'n/a' if v is None else f'{v:.3f}'} | {'n/a' if v is None else f'{b / v:.2f}'} |")
PY
for v in $(docker volume ls -q | grep '^mnt-'); do docker volume rm "$v" >/dev/null 2>&1 || true; done

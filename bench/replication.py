#!/usr/bin/python3
"""Replication benchmark: `skopeo sync` against Berth's replication, side by side in one
run, on the same image sets held by the same source CNCF registry (docker-registry 2.8).

What runs, per image set:
  skopeo      `skopeo sync --src yaml --dest docker` from registry A to registry B (one
              process, every repository of the set), then the same command again when
              everything is already there (the no-op run).
  berth pull  a pull policy in Berth with A as a docker-registry endpoint: A → Berth's
              own storage; then the same execution again (no-op).
  berth push  a push policy from Berth (holding the set after the pull) to registry C, a
              third docker-registry started like B; then again (no-op).

No-op runs are timed --noop-runs times (5) per side after the dirty pages of the cold copy
are written back, and the median is reported: one run of a few milliseconds measures the
writeback and the scheduler as much as the replication.

Berth replicates between itself and one remote, never remote to remote, so the closest
comparison to skopeo's A → B is Berth's pull A → Berth (the ratios use it); its push
Berth → C is reported beside it. Either way one side of Berth's copy is Berth's own store.

Image sets (pick with --sets; the figures for skopeo in the project notes use these):
  many   20 repositories × 3 tags × 3 layers × 10 MiB (1.8 GiB, every layer distinct)
  tiny   100 repositories × 5 tags × 2 layers × 4 KiB (500 images)
  big    one image with one 1 GiB layer
Layers are random bytes in gzip streams of stored blocks (a client recompresses any
layer that is not gzip, which would change digests and measure its compressor).

Also measured, in the same run: the machine's limits (loopback TCP, disk write with
fdatasync, SHA-256 on one core) and Berth's peak RSS (VmHWM) after every phase.
Targets (issue 4): Berth ≥ 2× skopeo on many and tiny; the 1 GiB layer at ≥ 90 % of the
machine's limit (the slowest of loopback, disk and SHA-256); no-op runs ≥ 10× faster than
skopeo's; peak RSS ≤ 64 MiB.
"""
from __future__ import annotations

import argparse
import base64
import hashlib
import http.client
import json
import os
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "e2e"))
from harness import servers  # noqa: E402
from harness.harbor import Admin  # noqa: E402
from harness.replication import ReplicationApi  # noqa: E402
from imagegen import MIB, OCI_MANIFEST, Pusher  # noqa: E402


def log(msg: str) -> None:
    print(f"# {msg}", file=sys.stderr, flush=True)


# ---- image sets ------------------------------------------------------------------------

class ImageSet:
    def __init__(self, name: str, repos: int, tags: int, layers: int, layer_size: int):
        self.name, self.repos, self.tags = name, repos, tags
        self.layers, self.layer_size = layers, layer_size

    @property
    def images(self) -> int:
        return self.repos * self.tags

    @property
    def bytes(self) -> int:
        return self.images * self.layers * self.layer_size

    def repo(self, i: int) -> str:
        return f"{self.name}/r{i:03d}"

    def describe(self) -> str:
        size = self.layer_size
        unit = f"{size // MIB} MiB" if size >= MIB else f"{size // 1024} KiB"
        return (f"{self.repos} repos × {self.tags} tags × {self.layers} layers × {unit} "
                f"({self.bytes / MIB:.0f} MiB)")


def sets_for(args) -> dict[str, ImageSet]:
    if args.quick:
        return {"many": ImageSet("many", 5, 3, 3, 10 * MIB),
                "tiny": ImageSet("tiny", 20, 5, 2, 4096),
                "big": ImageSet("big", 1, 1, 1, 256 * MIB)}
    return {"many": ImageSet("many", 20, 3, 3, 10 * MIB),
            "tiny": ImageSet("tiny", 100, 5, 2, 4096),
            "big": ImageSet("big", 1, 1, 1, args.big_mib * MIB)}


def populate(server: servers.Server, s: ImageSet) -> dict[tuple[str, str], str]:
    """Pushes the set to `server`; returns {(repo, tag): manifest digest}."""
    pusher = Pusher(server.port, fill="fast", timeout=300)
    jobs = [(s.repo(i), f"v{t}") for i in range(s.repos) for t in range(s.tags)]
    with ThreadPoolExecutor(4) as pool:
        images = pool.map(lambda j: pusher.image(j[0], j[1], [s.layer_size] * s.layers), jobs)
        return {j: image.digest for j, image in zip(jobs, images)}


def verify(server: servers.Server, auth, expected: dict[tuple[str, str], str],
           prefix: str = "") -> int:
    """HEADs every manifest; returns how many are missing or differ."""
    import requests
    sess = requests.Session()
    sess.auth = auth
    bad = 0
    for (repo, tag), digest in expected.items():
        r = sess.head(f"{server.url}/v2/{prefix}{repo}/manifests/{tag}",
                      headers={"Accept": OCI_MANIFEST}, timeout=30)
        if r.status_code != 200 or r.headers.get("Docker-Content-Digest") != digest:
            bad += 1
    return bad


# ---- the contenders --------------------------------------------------------------------

def skopeo_sync(src: servers.Server, dst: servers.Server, s: ImageSet, work: Path) -> dict:
    # skopeo names the destination DEST/<last path component>: DEST is B/<set name>, so
    # the repositories keep their names.
    yml = work / f"sync-{s.name}.yml"
    yml.write_text(f"{src.host}:\n  tls-verify: false\n  images:\n" + "".join(
        f"    {s.repo(i)}: []\n" for i in range(s.repos)))
    cmd = ["skopeo", "--insecure-policy", "sync", "--src", "yaml", "--dest", "docker",
           "--dest-tls-verify=false", str(yml), f"{dst.host}/{s.name}"]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    p = subprocess.run(cmd, capture_output=True, text=True)
    dt = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if p.returncode != 0:
        raise RuntimeError(f"skopeo sync failed:\n{p.stderr[-2000:]}")
    return {"s": dt, "cpu": (after.ru_utime - before.ru_utime)
            + (after.ru_stime - before.ru_stime),
            "rss": after.ru_maxrss / 1024, "cmd": " ".join(cmd)}


def settle() -> None:
    """Writes dirty pages back and waits a moment, so that a run timed in milliseconds does
    not share the disk and the cores with the writeback of the copy before it."""
    os.sync()
    time.sleep(0.5)


def noop_median(run, runs: int) -> dict:
    """The run with the median time of `runs` settled runs (all times under "all s")."""
    settle()
    results = [run() for _ in range(max(1, runs))]
    times = [x["s"] for x in results]
    median = sorted(results, key=lambda x: x["s"])[len(results) // 2]
    return {**median, "all s": times}


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class ExecutionWatch:
    """Starts executions and polls them over one kept-alive connection with a ready-made
    Authorization header: a `requests` call costs about 1 ms of CPU, which the two cores
    here take from the servers being measured; this costs a fraction of that."""

    def __init__(self, berth: servers.Berth):
        url = urllib.parse.urlsplit(berth.url)
        self.conn = http.client.HTTPConnection(url.hostname, url.port, timeout=60)
        self.conn.connect()  # before any clock starts
        user, password = berth.admin
        token = base64.b64encode(f"{user}:{password}".encode()).decode()
        self.headers = {"Authorization": f"Basic {token}", "Content-Type": "application/json"}

    def _call(self, method: str, path: str, body: bytes | None = None):
        self.conn.request(method, "/api/v2.0" + path, body=body, headers=self.headers)
        r = self.conn.getresponse()
        return r, r.read()

    def start(self, policy_id: int) -> int:
        r, body = self._call("POST", "/replication/executions",
                             json.dumps({"policy_id": policy_id}).encode())
        if r.status != 201:
            raise RuntimeError(f"starting policy {policy_id}: {r.status} {body[:300]!r}")
        return int(r.getheader("Location").rsplit("/", 1)[1])

    def execution(self, execution_id: int) -> dict:
        r, body = self._call("GET", f"/replication/executions/{execution_id}")
        if r.status != 200:
            raise RuntimeError(f"execution {execution_id}: {r.status} {body[:300]!r}")
        return json.loads(body)


def berth_run(api: ReplicationApi, berth: servers.Berth, policy_id: int) -> dict:
    watch = ExecutionWatch(berth)
    c0 = cpu_seconds(berth.pid)
    t = time.perf_counter()
    eid = watch.start(policy_id)
    # A no-op run takes milliseconds, so a coarse poll would measure its own interval;
    # a fast one takes CPU from the servers. Poll every 1 ms for the first 20 ms, every
    # 5 ms up to a second, then every 20 ms.
    while True:
        e = watch.execution(eid)
        if e["status"] in ("Succeed", "Failed", "Stopped"):
            break
        elapsed = time.perf_counter() - t
        time.sleep(0.001 if elapsed < 0.02 else 0.005 if elapsed < 1 else 0.02)
    dt = time.perf_counter() - t
    watch.conn.close()
    if e["status"] != "Succeed":
        raise RuntimeError(f"execution {eid} ended {e['status']}: {e}\n"
                           + api.logs(eid)[-3000:])
    return {"s": dt, "cpu": cpu_seconds(berth.pid) - c0,
            "rss": (berth.peak_rss_kib() or 0) / 1024}


# ---- machine limits ----------------------------------------------------------------------

def limit_loopback(total: int) -> float:
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(1)
    got = [0]

    def sink():
        c, _ = srv.accept()
        buf = bytearray(4 * MIB)
        while n := c.recv_into(buf):
            got[0] += n
        c.close()

    th = threading.Thread(target=sink)
    th.start()
    cli = socket.create_connection(srv.getsockname())
    block = memoryview(os.urandom(4 * MIB))
    t = time.perf_counter()
    for _ in range(total // (4 * MIB)):
        cli.sendall(block)
    cli.close()
    th.join()
    srv.close()
    return got[0] / (time.perf_counter() - t) / 1e6


def limit_disk(path: Path, total: int) -> float:
    block = os.urandom(4 * MIB)
    t = time.perf_counter()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        for _ in range(total // len(block)):
            os.write(fd, block)
        os.fdatasync(fd)
    finally:
        os.close(fd)
    dt = time.perf_counter() - t
    path.unlink()
    return total / dt / 1e6


def limit_sha256(total: int) -> float:
    block = os.urandom(4 * MIB)
    h = hashlib.sha256()
    t = time.perf_counter()
    for _ in range(total // len(block)):
        h.update(block)
    return total / (time.perf_counter() - t) / 1e6


# ---- main ----------------------------------------------------------------------------------

def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sets", default="many,tiny,big", help="comma list of: many, tiny, big")
    ap.add_argument("--sides", default="skopeo,pull,push",
                    help="comma list of: skopeo, pull (Berth A→Berth), push (Berth→C)")
    ap.add_argument("--quick", action="store_true",
                    help="small sets: 5 repos of many, 20 of tiny, a 256 MiB layer")
    ap.add_argument("--big-mib", type=int, default=1024, help="size of the big layer")
    ap.add_argument("--no-limits", action="store_true", help="skip the machine limits")
    ap.add_argument("--workdir", help="where data goes (default: a temp dir, removed)")
    ap.add_argument("--json", help="also write the results as JSON to this file")
    ap.add_argument("--noop-runs", type=int, default=5,
                    help="no-op runs per side; the median is reported (default 5)")
    args = ap.parse_args()
    chosen = [x for x in args.sets.split(",") if x]
    sides = set(args.sides.split(","))
    all_sets = sets_for(args)
    work = Path(args.workdir or tempfile.mkdtemp(prefix="berth-repl-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    results: dict = {"sets": {}, "limits": {}, "commands": {}}
    started: list[servers.Server] = []
    try:
        if not args.no_limits:
            n = (256 if args.quick else 1024) * MIB
            log("machine limits: loopback, disk, SHA-256")
            results["limits"] = {"loopback MB/s": limit_loopback(2 * n),
                                 "disk write MB/s": limit_disk(work / "disk.bin", n),
                                 "sha256 MB/s": limit_sha256(n)}
        a = servers.CncfRegistry(work / "a-data").start()
        started.append(a)
        b = c = berth = api = None
        if "skopeo" in sides:
            b = servers.CncfRegistry(work / "b-data").start()
            started.append(b)
        if sides & {"pull", "push"}:
            berth = servers.Berth(work / "berth-data").start()
            started.append(berth)
            api = ReplicationApi(berth)
            if not api.available():
                raise SystemExit("Berth answers 404 for /api/v2.0/replication/policies")
            a_id = api.add_endpoint("bench-a", a.url)
            if "push" in sides:
                c = servers.CncfRegistry(work / "c-data").start()
                started.append(c)
                c_id = api.add_endpoint("bench-c", c.url)
        for name in chosen:
            s = all_sets[name]
            log(f"{name}: pushing {s.describe()} to registry A")
            t = time.perf_counter()
            expected = populate(a, s)
            log(f"{name}: populated in {time.perf_counter() - t:.1f}s")
            r: dict = {"describe": s.describe(), "bytes": s.bytes, "images": s.images}
            if b is not None:
                log(f"{name}: skopeo sync A→B, cold then no-op")
                r["skopeo"] = skopeo_sync(a, b, s, work)
                r["skopeo noop"] = noop_median(lambda: skopeo_sync(a, b, s, work),
                                               args.noop_runs)
                results["commands"]["skopeo"] = r["skopeo"].pop("cmd")
                r["skopeo noop"].pop("cmd")
                r["skopeo bad"] = verify(b, None, expected)
            if berth is not None:
                Admin(berth.url, berth.admin).create_project(s.name)
                pull = api.create_policy(api.policy(
                    f"bench-pull-{name}", src=a_id,
                    filters=[{"type": "name", "value": f"{name}/**"}]))
                log(f"{name}: Berth pull A→Berth, cold then no-op")
                r["berth pull"] = berth_run(api, berth, pull)
                r["berth pull noop"] = noop_median(lambda: berth_run(api, berth, pull),
                                                   args.noop_runs)
                r["berth pull bad"] = verify(berth, berth.admin, expected)
                if c is not None:
                    push = api.create_policy(api.policy(
                        f"bench-push-{name}", dest=c_id,
                        filters=[{"type": "name", "value": f"{name}/**"}]))
                    log(f"{name}: Berth push Berth→C, cold then no-op")
                    r["berth push"] = berth_run(api, berth, push)
                    r["berth push noop"] = noop_median(
                        lambda: berth_run(api, berth, push), args.noop_runs)
                    r["berth push bad"] = verify(c, None, expected)
            results["sets"][name] = r
        if berth is not None:
            results["berth peak RSS MiB"] = (berth.peak_rss_kib() or 0) / 1024
    finally:
        for srv in started:
            srv.stop()
        if not args.workdir:
            shutil.rmtree(work, ignore_errors=True)
    report(results)
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))
    return 0


def report(res: dict) -> None:
    lim = res["limits"]
    if lim:
        print("machine limits: " + ", ".join(f"{k} {v:.0f}" for k, v in lim.items()))
    machine = min(lim.values()) if lim else None
    cols = ["skopeo", "skopeo noop", "berth pull", "berth pull noop", "berth push",
            "berth push noop"]
    print(f"\n{'set':<6}{'run':<17}{'seconds':>9}{'MB/s':>9}{'img/s':>9}{'cpu s':>8}"
          f"{'peak RSS':>10}   (skopeo: largest child so far; Berth: VmHWM)")
    for name, r in res["sets"].items():
        print(f"-- {name}: {r['describe']}")
        for col in cols:
            if col not in r:
                continue
            x = r[col]
            mbps = f"{r['bytes'] / x['s'] / 1e6:.0f}" if "noop" not in col else "-"
            ips = r["images"] / x["s"]
            print(f"{'':<6}{col:<17}{x['s']:>9.2f}{mbps:>9}{ips:>9.1f}{x['cpu']:>8.1f}"
                  f"{x['rss']:>9.0f}M")
        for side in ("skopeo", "berth pull", "berth push"):
            if f"{side} bad" in r and r[f"{side} bad"]:
                print(f"{'':<6}!! {side}: {r[f'{side} bad']} manifests missing or differ")
    print("\nratios (Berth pull A→Berth against skopeo sync A→B; push Berth→C beside it)")
    checks = []
    for name, r in res["sets"].items():
        for side in ("skopeo", "berth pull", "berth push"):
            if f"{side} bad" in r:
                checks.append((f"{name} {side} copied every manifest", r[f"{side} bad"] == 0))
        for side in ("berth pull", "berth push"):
            if "skopeo" in r and side in r:
                speed = r["skopeo"]["s"] / r[side]["s"]
                noop = r["skopeo noop"]["s"] / r[f"{side} noop"]["s"]
                line = f"  {name:<5} {side:<11} cold {speed:6.2f}× skopeo   no-op {noop:7.1f}×"
                if name in ("many", "tiny") and side == "berth pull":
                    checks.append((f"{name} cold ≥ 2× skopeo", speed >= 2))
                if side == "berth pull":
                    checks.append((f"{name} no-op ≥ 10× skopeo", noop >= 10))
                print(line)
            if name == "big" and side in r and machine:
                frac = r["bytes"] / r[side]["s"] / 1e6 / machine
                print(f"  big   {side:<11} {frac * 100:5.0f} % of the machine's limit "
                      f"({machine:.0f} MB/s)")
                if side == "berth pull":
                    checks.append(("1 GiB layer ≥ 90 % of the machine", frac >= 0.9))
    if "berth peak RSS MiB" in res:
        rss = res["berth peak RSS MiB"]
        print(f"  Berth peak RSS {rss:.0f} MiB")
        checks.append(("peak RSS ≤ 64 MiB", rss <= 64))
    if checks:
        print("\ntargets: " + "; ".join(f"{k}: {'met' if ok else 'NOT met'}"
                                        for k, ok in checks))
    if "skopeo" in res["commands"]:
        print(f"\nskopeo command: {res['commands']['skopeo']}")


if __name__ == "__main__":
    sys.exit(main())

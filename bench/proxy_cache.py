#!/usr/bin/python3
"""Proxy-cache benchmark: the CNCF registry (docker-registry 2.8) in pull-through mode
against a Berth proxy-cache project, side by side in one run, in front of the same
upstream CNCF registry, pulled by two clients (--clients, default both):
  skopeo  `skopeo copy docker://... dir:...`, a real client: it writes every blob to disk
          and hashes it, which bounds warm pulls (a direct pull from the upstream takes
          about as long as one through either proxy);
  curl    what a pull does at the HTTP level with a light client: GET the manifest by tag
          (Accept: OCI/Docker manifests and indexes), then the config and every layer in
          one `curl -L --parallel --parallel-max 6` invocation writing to /dev/null; every
          answer must be 200 with the descriptor's size. Berth is given the admin's
          credentials as in bench/run.py (--curl-auth: a Bearer token from
          /service/token fetched before the clock starts, or Basic on every request).

The upstream holds two images (layers are random bytes in gzip streams of stored blocks,
so nothing compresses and no client recompresses):
  multi  10 layers of mixed sizes, 48 MiB down to 256 KiB (≈ 147 MiB)
  big    one layer of --big-mib MiB (1024; 256 with --quick)

In front of it:
  cncf   `docker-registry` with `proxy: {remoteurl: <upstream>}`, pulled anonymously as
         `<proxy>/<repo>` (it proxies one upstream and keeps names as they are);
  berth  a proxy-cache project on a `docker-registry` endpoint for the upstream (Berth
         runs with BERTH_PROXY_CACHE_PROVIDERS extended by it), pulled as
         `<proxy>/<project>/<repo>` by the admin user.

Per run and client, both proxies start with fresh data directories; then, per image and
side, a cold pull (empty cache) and a warm pull (the same image again), each timed as a
whole, with the manifest checked against the upstream's. The order of the sides
alternates between runs. Figures are medians over --runs, one table per client; the ratio
is cncf/berth (higher: Berth faster). A direct pull from the upstream with the same client
is reported as the floor. Peak RSS (VmHWM) is the largest any proxy instance of that side
reached.

Concurrency check: a fresh image (multi's shape, new bytes) is pulled by --concurrency
(20) skopeo processes at once through a fresh instance of each proxy, each behind its own
counting HTTP forwarder in front of the upstream. Upstream blob GETs are counted per
digest. Berth must fetch every blob exactly once: otherwise the script exits with 1 (as
it does when a pull fails or gives the wrong manifest). The CNCF counts are for
comparison only.
"""
from __future__ import annotations

import argparse
import base64
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT / "tests" / "e2e"))
from harness import servers  # noqa: E402
from harness.faultproxy import Fault, FaultProxy  # noqa: E402
from imagegen import MIB, OCI_MANIFEST, Image, Pusher  # noqa: E402

OCI_INDEX = "application/vnd.oci.image.index.v1+json"
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
MANIFEST_ACCEPT = ", ".join((OCI_MANIFEST, OCI_INDEX, DOCKER_MANIFEST, DOCKER_LIST))
CLIENTS = ("skopeo", "curl")
CURL_PARALLEL = 6
MULTI_LAYERS = [48 * MIB, 32 * MIB, 24 * MIB, 16 * MIB, 12 * MIB, 8 * MIB, 4 * MIB,
                2 * MIB, 1 * MIB, 256 * 1024]
PROVIDERS = "harbor,docker-hub,aws-ecr,azure-acr,google-gcr,quay,docker-registry"
SIDES = ("cncf", "berth")


def log(msg: str) -> None:
    print(f"# {msg}", file=sys.stderr, flush=True)


# ---- the servers -------------------------------------------------------------------------

class CncfProxy(servers.CncfRegistry):
    """The CNCF registry as a pull-through cache of one upstream."""

    def __init__(self, data_dir: Path, remote_url: str):
        self.remote_url = remote_url
        super().__init__(data_dir)

    def _write_config(self) -> None:
        super()._write_config()
        with open(self.config_path, "a") as f:
            f.write(f"proxy:\n  remoteurl: {self.remote_url}\n")


class ProxyBerth(servers.Berth):
    """Berth that accepts `docker-registry` endpoints behind proxy-cache projects."""

    def env(self) -> dict[str, str]:
        env = super().env()
        env["BERTH_PROXY_CACHE_PROVIDERS"] = PROVIDERS
        return env


def fetch_token(berth: servers.Berth, repo: str) -> str:
    """A pull token for `repo` from Berth's token service, as the admin."""
    import requests
    r = requests.get(berth.url + "/service/token", auth=berth.admin, timeout=30,
                     params={"service": "berth", "scope": f"repository:{repo}:pull"})
    r.raise_for_status()
    return r.json()["token"]


def berth_proxy_project(berth: servers.Berth, upstream_url: str, name: str) -> None:
    """Registers the upstream as an endpoint and creates proxy-cache project `name`."""
    import requests
    api = berth.url + "/api/v2.0"
    r = requests.post(api + "/registries", auth=berth.admin, timeout=30,
                      json={"name": f"up-{name}", "type": "docker-registry",
                            "url": upstream_url, "insecure": True})
    if r.status_code != 201:
        raise RuntimeError(f"endpoint registration answered {r.status_code}: {r.text}")
    eid = int(r.headers["Location"].rsplit("/", 1)[1])
    r = requests.post(api + "/projects", auth=berth.admin, timeout=30,
                      json={"project_name": name, "registry_id": eid,
                            "metadata": {"public": "false"}})
    if r.status_code != 201:
        raise RuntimeError(f"proxy-cache project creation answered {r.status_code}: {r.text}")


class Proxies:
    """One instance of each proxy, fresh data directories, both in front of `upstream`
    (a URL: the registry itself or a counting forwarder)."""

    PROJECT = "cache"

    def __init__(self, work: Path, tag: str, upstream: str | dict[str, str],
                 curl_auth: str = "token"):
        self.curl_auth = curl_auth
        self.tokens: dict[str, str] = {}
        ups = upstream if isinstance(upstream, dict) else {s: upstream for s in SIDES}
        self.cncf = CncfProxy(work / f"cncf-proxy-{tag}", ups["cncf"]).start()
        try:
            self.berth = ProxyBerth(work / f"berth-{tag}").start()
            berth_proxy_project(self.berth, ups["berth"], self.PROJECT)
        except BaseException:
            self.cncf.stop()
            if getattr(self, "berth", None) is not None:
                self.berth.stop()
            raise

    def server(self, side: str) -> servers.Server:
        return self.cncf if side == "cncf" else self.berth

    def name(self, side: str, repo: str) -> str:
        """The repository as pulled through `side`."""
        return repo if side == "cncf" else f"{self.PROJECT}/{repo}"

    def ref(self, side: str, repo: str, tag: str) -> str:
        return f"docker://{self.server(side).host}/{self.name(side, repo)}:{tag}"

    def creds(self, side: str) -> tuple[str, str] | None:
        return self.berth.admin if side == "berth" else None

    def target(self, side: str, image: "Image") -> "Target":
        """Where and how `side` is pulled from (a Berth token is fetched here, before any
        clock starts: a client keeps its token per repository)."""
        name = self.name(side, image.repo)
        auth = None
        if side == "berth":
            if self.curl_auth == "basic":
                user, pw = self.berth.admin
                auth = "Basic " + base64.b64encode(f"{user}:{pw}".encode()).decode()
            else:
                if name not in self.tokens:
                    self.tokens[name] = fetch_token(self.berth, name)
                auth = "Bearer " + self.tokens[name]
        return Target(self.server(side), name, self.creds(side), auth)

    def peak_rss_mib(self) -> dict[str, float]:
        return {s: (self.server(s).peak_rss_kib() or 0) / 1024 for s in SIDES}

    def stop(self) -> None:
        for s in (self.cncf, self.berth):
            s.stop()
            if s in servers.STARTED:
                servers.STARTED.remove(s)


# ---- pulling ------------------------------------------------------------------------------

def skopeo_cmd(ref: str, dest: Path, creds: tuple[str, str] | None) -> list[str]:
    cmd = ["skopeo", "--insecure-policy", "copy", "--src-tls-verify=false"]
    if creds:
        cmd.append(f"--src-creds={creds[0]}:{creds[1]}")
    return cmd + [ref, f"dir:{dest}"]


def check_pulled(dest: Path, image: Image, what: str) -> None:
    got = (dest / "manifest.json").read_bytes()
    if got != image.manifest:
        raise RuntimeError(f"{what}: the pulled manifest differs from the upstream's")


class Target:
    """A registry, the repository's name there, and its credentials: `creds` (user,
    password) for skopeo, `auth` (an Authorization value) for curl; None: anonymous."""

    def __init__(self, server: servers.Server, repo: str,
                 creds: tuple[str, str] | None = None, auth: str | None = None):
        self.server, self.repo, self.creds, self.auth = server, repo, creds, auth


def tree_bytes(root: Path) -> int:
    total = 0
    for dirpath, _, files in os.walk(root):
        for f in files:
            try:
                total += os.lstat(os.path.join(dirpath, f)).st_size
            except OSError:
                pass
    return total


def settle(work: Path, limit_s: float = 120.0) -> None:
    """Waits until nothing under `work` grows any more (the CNCF proxy stores a blob
    with a second upstream GET in the background after serving it; Berth commits
    after the last byte went out), then flushes dirty pages, so that no pull is slowed
    by the previous one's leftovers."""
    deadline = time.monotonic() + limit_s
    last = -1
    while time.monotonic() < deadline:
        now = tree_bytes(work)
        if now == last:
            break
        last = now
        time.sleep(0.5)
    os.sync()


def pull(client: str, target: Target, image: Image, work: Path, what: str) -> float:
    """One timed pull of `image` from `target` with `client`; seconds. Starts from a
    settled machine (see settle)."""
    settle(work)
    if client == "curl":
        return curl_pull(target, image, work, what)
    return skopeo_pull(f"docker://{target.server.host}/{target.repo}:{image.tag}",
                       target.creds, image, work, what)


def curl_get_manifest(target: Target, ref: str, dest: Path, what: str) -> bytes:
    cmd = ["curl", "-sS", "-o", str(dest), "-w", "%{http_code}",
           "-H", f"Accept: {MANIFEST_ACCEPT}"]
    if target.auth:
        cmd += ["-H", f"Authorization: {target.auth}"]
    cmd.append(f"{target.server.url}/v2/{target.repo}/manifests/{ref}")
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode != 0 or p.stdout.strip() != "200":
        raise RuntimeError(f"{what}: manifest GET {ref} answered {p.stdout.strip() or '-'} "
                           f"(curl {p.returncode}): {p.stderr.strip()[-500:]}")
    return dest.read_bytes()


def curl_pull(target: Target, image: Image, work: Path, what: str) -> float:
    """The manifest by tag (an index is resolved to its linux/amd64 entry), then the
    config and every layer in one `curl --parallel` to /dev/null, timed as a whole."""
    mfile = Path(tempfile.mkstemp(prefix="manifest-", dir=work)[1])
    try:
        t = time.perf_counter()
        body = curl_get_manifest(target, image.tag, mfile, what)
        doc = json.loads(body)
        if doc.get("mediaType") in (OCI_INDEX, DOCKER_LIST) or "manifests" in doc:
            entries = doc.get("manifests") or []
            pick = next((m for m in entries
                         if m.get("platform", {}).get("os") == "linux"
                         and m.get("platform", {}).get("architecture") == "amd64"),
                        entries[0] if entries else None)
            if pick is None:
                raise RuntimeError(f"{what}: an empty index")
            body = curl_get_manifest(target, pick["digest"], mfile, what)
            doc = json.loads(body)
        blobs = [doc["config"]] + list(doc.get("layers", []))
        cmd = ["curl", "-sS", "-L", "--parallel", "--parallel-max", str(CURL_PARALLEL),
               "-w", "%{http_code} %{size_download}\n"]
        if target.auth:
            cmd += ["-H", f"Authorization: {target.auth}"]
        for b in blobs:
            cmd += ["-o", "/dev/null",
                    f"{target.server.url}/v2/{target.repo}/blobs/{b['digest']}"]
        p = subprocess.run(cmd, capture_output=True, text=True)
        dt = time.perf_counter() - t
    finally:
        mfile.unlink(missing_ok=True)
    if p.returncode != 0:
        raise RuntimeError(f"{what}: curl failed ({p.returncode}): {p.stderr.strip()[-2000:]}")
    got = [tuple(line.split()) for line in p.stdout.splitlines() if line.strip()]
    bad = [code for code, _ in got if code != "200"]
    if len(got) != len(blobs) or bad:
        raise RuntimeError(f"{what}: blob GETs answered {[c for c, _ in got]} "
                           f"for {len(blobs)} blobs")
    if sorted(int(n) for _, n in got) != sorted(b["size"] for b in blobs):
        raise RuntimeError(f"{what}: blob sizes {sorted(int(n) for _, n in got)} differ "
                           f"from the manifest's {sorted(b['size'] for b in blobs)}")
    if body != image.manifest:
        raise RuntimeError(f"{what}: the pulled manifest differs from the upstream's")
    return dt


def skopeo_pull(ref: str, creds, image: Image, work: Path, what: str) -> float:
    dest = Path(tempfile.mkdtemp(prefix="pull-", dir=work))
    try:
        t = time.perf_counter()
        p = subprocess.run(skopeo_cmd(ref, dest, creds), capture_output=True, text=True)
        dt = time.perf_counter() - t
        if p.returncode != 0:
            raise RuntimeError(f"{what}: skopeo failed ({p.returncode}):\n{p.stderr[-2000:]}")
        check_pulled(dest, image, what)
        return dt
    finally:
        shutil.rmtree(dest, ignore_errors=True)


def concurrent_pulls(ref: str, creds, image: Image, n: int, work: Path,
                     what: str) -> tuple[float, list[str]]:
    """`n` skopeo pulls started together; returns (wall seconds, failures)."""
    dests = [Path(tempfile.mkdtemp(prefix="cpull-", dir=work)) for _ in range(n)]
    failures = []
    try:
        t = time.perf_counter()
        procs = [subprocess.Popen(skopeo_cmd(ref, d, creds), stdout=subprocess.DEVNULL,
                                  stderr=subprocess.PIPE, text=True) for d in dests]
        errs = [p.communicate()[1] for p in procs]
        dt = time.perf_counter() - t
        for i, (p, err, d) in enumerate(zip(procs, errs, dests)):
            if p.returncode != 0:
                failures.append(f"{what} #{i}: skopeo failed ({p.returncode}): "
                                f"{err.strip()[-500:]}")
                continue
            try:
                check_pulled(d, image, f"{what} #{i}")
            except (RuntimeError, OSError) as e:
                failures.append(str(e))
        return dt, failures
    finally:
        for d in dests:
            shutil.rmtree(d, ignore_errors=True)


class CountingForwarder:
    """An HTTP forwarder in front of the upstream that records every blob GET."""

    BLOB_GET = re.compile(r"^GET /v2/.+/blobs/(sha256:[0-9a-f]{64})")

    def __init__(self, upstream: servers.Server):
        self.proxy = FaultProxy("127.0.0.1", upstream.port).start()
        # A zero-second stall fires on (and so logs) every blob GET without changing it.
        self.proxy.add(Fault.stall(0, method="GET", path=r"/blobs/sha256:"))

    @property
    def url(self) -> str:
        return self.proxy.url

    def blob_gets(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        with self.proxy.lock:
            entries = list(self.proxy.log)
        for entry in entries:
            m = self.BLOB_GET.match(entry)
            if m:
                counts[m.group(1)] = counts.get(m.group(1), 0) + 1
        return counts

    def stop(self) -> None:
        self.proxy.stop()


# ---- main ---------------------------------------------------------------------------------

def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--berth", default=str(REPO_ROOT / "build" / "berth"),
                    help="the berth binary (default: build/berth)")
    ap.add_argument("--runs", type=int, default=3, help="cold+warm rounds (median; 3)")
    ap.add_argument("--images", default="multi,big", help="comma list of: multi, big")
    ap.add_argument("--clients", default="skopeo,curl",
                    help="comma list of: skopeo, curl (default: both, one table each)")
    ap.add_argument("--curl-auth", choices=["token", "basic"], default="token",
                    help="how curl authenticates to Berth: a Bearer token fetched before "
                         "the clock starts (default) or Basic on every request")
    ap.add_argument("--big-mib", type=int, default=1024, help="size of big's one layer")
    ap.add_argument("--quick", action="store_true", help="big's layer is 256 MiB")
    ap.add_argument("--concurrency", type=int, default=20,
                    help="skopeo pulls at once in the concurrency check (0: skip it)")
    ap.add_argument("--no-direct", action="store_true",
                    help="skip the direct pulls from the upstream")
    ap.add_argument("--workdir", help="where data goes (default: a temp dir, removed)")
    ap.add_argument("--json", help="also write the results as JSON to this file")
    args = ap.parse_args()
    if args.quick:
        args.big_mib = 256
    binary = Path(args.berth).resolve()
    if not (binary.is_file() and os.access(binary, os.X_OK)):
        raise SystemExit(f"no berth binary at {binary}: build it or pass --berth")
    os.environ["BERTH_BIN"] = str(binary)  # servers.Berth takes its binary from here
    chosen = [x for x in args.images.split(",") if x]
    clients = [x for x in args.clients.split(",") if x]
    unknown = [x for x in chosen if x not in ("multi", "big")] + \
        [x for x in clients if x not in CLIENTS]
    if unknown or not clients or not chosen:
        raise SystemExit(f"unknown or missing --images/--clients: {', '.join(unknown)}")

    work = Path(args.workdir or tempfile.mkdtemp(prefix="berth-proxy-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    res: dict = {"images": {}, "clients": clients, "times": {}, "direct": {},
                 "peak RSS MiB": {}, "concurrency": None, "berth": str(binary)}
    failed: list[str] = []
    upstream = None
    try:
        upstream = servers.CncfRegistry(work / "upstream").start()
        pusher = Pusher(upstream.port)
        images: dict[str, Image] = {}
        shapes = {"multi": MULTI_LAYERS, "big": [args.big_mib * MIB]}
        for name in chosen:
            log(f"pushing {name} to the upstream")
            images[name] = pusher.image(f"bench/{name}", "v1", shapes[name])
            res["images"][name] = {"describe": images[name].describe(),
                                   "bytes": images[name].bytes}
        times = {(client, name, side, kind): [] for client in clients for name in chosen
                 for side in SIDES for kind in ("cold", "warm")}
        rss = {s: 0.0 for s in SIDES}

        for run in range(args.runs):
            order = SIDES if run % 2 == 0 else SIDES[::-1]
            for client in clients:
                if not args.no_direct:
                    for name, image in images.items():
                        dt = pull(client, Target(upstream, image.repo), image, work,
                                  f"direct {client} {name}")
                        res["direct"].setdefault(client, {}).setdefault(name, []).append(dt)
                        log(f"run {run + 1}/{args.runs} {client:<6} {name:<5} direct: "
                            f"{dt:.2f}s")
                # Fresh caches per client, so that each client's cold pulls are cold.
                proxies = Proxies(work, f"run{run}-{client}", upstream.url, args.curl_auth)
                try:
                    for name, image in images.items():
                        for side in order:
                            target = proxies.target(side, image)
                            for kind in ("cold", "warm"):
                                dt = pull(client, target, image, work,
                                          f"run {run + 1} {client} {side} {name} {kind}")
                                times[(client, name, side, kind)].append(dt)
                                log(f"run {run + 1}/{args.runs} {client:<6} {name:<5} "
                                    f"{side:<5} {kind}: {dt:.2f}s")
                    for s, v in proxies.peak_rss_mib().items():
                        rss[s] = max(rss[s], v)
                except RuntimeError as e:
                    raise RuntimeError(
                        f"{e}\n--- cncf proxy log:\n{proxies.cncf.log_tail(15)}"
                        f"\n--- berth log:\n{proxies.berth.log_tail(15)}") from None
                finally:
                    proxies.stop()
        res["times"] = {f"{c} {n} {s} {k}": v for (c, n, s, k), v in times.items()}
        res["peak RSS MiB"] = rss

        if args.concurrency > 0:
            log(f"concurrency: pushing a fresh image, then {args.concurrency} pulls at once")
            image = pusher.image("bench/concurrent", "v1", MULTI_LAYERS)
            counters = {s: CountingForwarder(upstream) for s in SIDES}
            try:
                proxies = Proxies(work, "concurrent", {s: c.url for s, c in counters.items()})
                try:
                    conc: dict = {"image": image.describe(), "n": args.concurrency,
                                  "blobs": [b["digest"] for b in image.blobs],
                                  "sizes": [b["size"] for b in image.blobs]}
                    for side in SIDES:
                        dt, errs = concurrent_pulls(
                            proxies.ref(side, image.repo, image.tag), proxies.creds(side),
                            image, args.concurrency, work, f"concurrent {side}")
                        log(f"concurrency {side}: {dt:.2f}s, {len(errs)} failed pulls")
                        conc[side] = {"s": dt, "failures": errs,
                                      "gets": counters[side].blob_gets(),
                                      "peak RSS MiB": proxies.peak_rss_mib()[side]}
                    res["concurrency"] = conc
                finally:
                    proxies.stop()
            finally:
                for c in counters.values():
                    c.stop()
    except RuntimeError as e:
        print(f"FAILED: {e}", file=sys.stderr)
        return 1
    finally:
        if upstream is not None:
            upstream.stop()
        if not args.workdir:
            shutil.rmtree(work, ignore_errors=True)

    failed += report(res, args.runs)
    if args.json:
        Path(args.json).write_text(json.dumps(res, indent=2))
    if failed:
        print("\nFAILED: " + "; ".join(failed))
        return 1
    return 0


def report(res: dict, runs: int) -> list[str]:
    """Prints the tables; returns what failed."""
    med = {k: statistics.median(v) for k, v in res["times"].items()}
    how = {"skopeo": "skopeo (copy docker:// → dir:)",
           "curl": f"curl (manifest by tag, then config + layers with --parallel-max "
                   f"{CURL_PARALLEL} to /dev/null)"}
    for i, client in enumerate(res["clients"]):
        print(("\n" if i else "") +
              f"proxy-cache pulls with {how[client]}, median of {runs} "
              f"run{'s' if runs > 1 else ''}; cncf/berth > 1: Berth faster")
        header = (f"{'image':<7}{'pull':<6}{'cncf s':>9}{'berth s':>9}{'cncf/berth':>12}"
                  f"{'cncf MB/s':>11}{'berth MB/s':>12}")
        print(header)
        print("-" * len(header))
        verdicts = []
        for name, img in res["images"].items():
            size = img["bytes"]
            for kind in ("cold", "warm"):
                c = med[f"{client} {name} cncf {kind}"]
                b = med[f"{client} {name} berth {kind}"]
                print(f"{name:<7}{kind:<6}{c:>9.2f}{b:>9.2f}{c / b:>12.2f}"
                      f"{size / c / 1e6:>11.0f}{size / b / 1e6:>12.0f}")
                goal = 1.5 if kind == "warm" else 1.0
                verdicts.append(f"{name} {kind} {c / b:.2f} "
                                f"{'met' if c / b >= goal else 'NOT met'}")
        for name, img in res["images"].items():
            extra = ""
            direct = res["direct"].get(client, {})
            if name in direct:
                extra = (f"; direct from the upstream "
                         f"{statistics.median(direct[name]):.2f}s")
            print(f"  {name}: {img['describe']}{extra}")
        print("  target (cncf/berth: warm ≥ 1.5, cold ≥ 1.0): " + ", ".join(verdicts))
    rss = res["peak RSS MiB"]
    print(f"peak RSS (VmHWM, largest instance): cncf {rss['cncf']:.0f} MiB, "
          f"berth {rss['berth']:.0f} MiB")

    failed = []
    conc = res["concurrency"]
    if conc:
        n = conc["n"]
        print(f"\n{n} concurrent cold pulls of a fresh image ({conc['image']}), upstream "
              f"behind a counting forwarder")
        for side in SIDES:
            c = conc[side]
            print(f"  {side:<5} {c['s']:7.2f}s  failed pulls {len(c['failures'])}  "
                  f"peak RSS {c['peak RSS MiB']:.0f} MiB")
        print(f"  upstream blob GETs per digest:\n  {'digest':<21}{'size':>10}"
              f"{'cncf':>7}{'berth':>7}")
        for digest, size in zip(conc["blobs"], conc["sizes"]):
            print(f"  {digest[:19] + '…':<21}{size:>10}{conc['cncf']['gets'].get(digest, 0):>7}"
                  f"{conc['berth']['gets'].get(digest, 0):>7}")
        berth = conc["berth"]
        wrong = {d: berth["gets"].get(d, 0) for d in conc["blobs"]
                 if berth["gets"].get(d, 0) != 1}
        if berth["failures"]:
            failed.append(f"{len(berth['failures'])} concurrent Berth pulls failed "
                          f"(first: {berth['failures'][0]})")
        if wrong:
            failed.append("Berth fetched blobs from the upstream other than once: "
                          + ", ".join(f"{d[:19]}… ×{k}" for d, k in wrong.items()))
        else:
            print(f"  berth fetched each of the {len(conc['blobs'])} blobs exactly once")
    return failed


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/python3
"""Side-by-side benchmark: Berth against the CNCF registry (docker-registry 2.8), started
together in one run, fed the same data, reported as figures and Berth/CNCF ratios.

Parts (pick with --parts, default all):
  blob   1 GiB single-layer blob: push with curl (POST, then PUT -T ?digest=), pull with
         curl GET to /dev/null right after the push, then again after the blob file's
         pages were dropped from the page cache (posix_fadvise DONTNEED after sync): the
         pull from disk that a registry serves when its blobs outgrow the memory; MB/s.
  small  200 small images (3 x 100 KiB layers + config + manifest) pushed by one light
         keep-alive HTTP client (http.client): HEAD, POST, PUT per blob, PUT manifest.
  ab     requests/s at 16 connections (ab -k -c 16): /v2/, manifest by tag and by digest,
         blob HEAD, 100 KiB blob GET, tags list.
Peak RSS (VmHWM) of each server is always reported.

Auth (--auth): "token" (default) runs the CNCF registry anonymously and gives Berth a
pre-fetched Bearer token per repository (the nearest to anonymous that a Harbor-style
registry allows); "basic" runs both with Basic auth (CNCF with a bcrypt htpasswd file).
"""
from __future__ import annotations

import argparse
import base64
import hashlib
import http.client
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "e2e"))
from harness import servers  # noqa: E402

MIB = 1 << 20
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(4 * MIB):
            h.update(chunk)
    return "sha256:" + h.hexdigest()


def make_random_file(path: Path, size: int) -> str:
    h = hashlib.sha256()
    base = os.urandom(MIB)
    with open(path, "wb") as f:
        for i in range(0, size, MIB):
            chunk = (i.to_bytes(8, "little") + base[8:])[: min(MIB, size - i)]
            h.update(chunk)
            f.write(chunk)
    return "sha256:" + h.hexdigest()


class Side:
    """One server plus how to authenticate to it."""

    def __init__(self, label: str, server: servers.Server, auth_mode: str):
        self.label = label
        self.server = server
        self.auth_mode = auth_mode
        self.tokens: dict[str, str] = {}

    def auth_header(self, repo: str | None) -> str | None:
        """The Authorization header value for requests on `repo` (None: anonymous)."""
        if isinstance(self.server, servers.Berth):
            if self.auth_mode == "basic":
                user, pw = self.server.admin
                return "Basic " + base64.b64encode(f"{user}:{pw}".encode()).decode()
            if repo not in self.tokens:
                self.tokens[repo] = fetch_token(self.server, repo)
            return "Bearer " + self.tokens[repo]
        if self.auth_mode == "basic":
            user, pw = self.server.admin
            return "Basic " + base64.b64encode(f"{user}:{pw}".encode()).decode()
        return None

    def curl_auth(self, repo: str | None) -> list[str]:
        h = self.auth_header(repo)
        return ["-H", f"Authorization: {h}"] if h else []


def fetch_token(server: servers.Berth, repo: str | None) -> str:
    """A token for `repo` (pull, push), or with no scope at all (for /v2/) when None."""
    import requests
    params = {"service": "berth"}
    if repo is not None:
        params["scope"] = f"repository:{repo}:pull,push"
    r = requests.get(server.url + "/service/token", auth=server.admin, timeout=30,
                     params=params)
    r.raise_for_status()
    return r.json()["token"]


def curl(args: list[str]) -> tuple[float, str]:
    t = time.perf_counter()
    p = subprocess.run(["curl", "-sS", "-H", "Expect:", *args], capture_output=True,
                       text=True)
    dt = time.perf_counter() - t
    if p.returncode != 0:
        raise RuntimeError(f"curl {' '.join(args[:6])} failed: {p.stderr}")
    return dt, p.stdout


def bench_blob(side: Side, path: Path, digest: str, size: int, run: int) -> dict:
    repo = f"library/bigblob{run}"
    base = side.server.url
    _, out = curl([*side.curl_auth(repo), "-X", "POST", "-D", "-", "-o", "/dev/null",
                   f"{base}/v2/{repo}/blobs/uploads/"])
    m = re.search(r"^location:\s*(\S+)", out, re.I | re.M)
    if not m:
        raise RuntimeError(f"{side.label}: POST gave no Location:\n{out}")
    loc = urllib.parse.urljoin(base + "/", m.group(1))
    loc += ("&" if "?" in loc else "?") + "digest=" + urllib.parse.quote(digest)
    push_s, out = curl([*side.curl_auth(repo), "-X", "PUT", "-T", str(path),
                        "-H", "Content-Type: application/octet-stream",
                        "-w", "%{http_code}", "-o", "/dev/null", loc])
    if out.strip() != "201":
        raise RuntimeError(f"{side.label}: blob PUT answered {out}")
    def pull() -> float:
        seconds, answer = curl([*side.curl_auth(repo), "-o", "/dev/null", "-w",
                                "%{http_code}", f"{base}/v2/{repo}/blobs/{digest}"])
        if answer.strip() != "200":
            raise RuntimeError(f"{side.label}: blob GET answered {answer}")
        return seconds

    pull_s = pull()
    cached = evict_large_files(side.server.data_dir, size)
    disk_s = pull()
    return {"blob push MB/s": size / push_s / 1e6, "blob pull MB/s": size / pull_s / 1e6,
            "blob pull from disk MB/s": size / disk_s / 1e6,
            "(cached before disk pull, %)": cached}


def evict_large_files(root: Path, size: int) -> float:
    """Writes dirty pages back and drops the page-cache pages of every file under `root` of
    at least `size` bytes (the blob, wherever the server keeps it), so that the next pull
    reads the disk. Returns how much of those files was still cached, in % (fincore)."""
    os.sync()
    files = [p for p in root.rglob("*") if p.is_file() and p.stat().st_size >= size]
    for p in files:
        fd = os.open(p, os.O_RDONLY)
        try:
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
        finally:
            os.close(fd)
    if not files or not shutil.which("fincore"):
        return float("nan")
    out = subprocess.run(["fincore", "--bytes", "--noheadings", "--output", "RES,SIZE",
                          *map(str, files)], capture_output=True, text=True).stdout
    res = total = 0
    for line in out.splitlines():
        r, t = line.split()[:2]
        res, total = res + int(r), total + int(t)
    return 100 * res / total if total else float("nan")


class Conn:
    """A keep-alive http.client connection that follows relative/absolute Locations."""

    def __init__(self, side: Side):
        self.side = side
        self.c = http.client.HTTPConnection("127.0.0.1", side.server.port, timeout=60)

    def req(self, method, path, repo, body=None, headers=None):
        h = dict(headers or {})
        auth = self.side.auth_header(repo)
        if auth:
            h["Authorization"] = auth
        if body is not None:
            h["Content-Length"] = str(len(body))
        elif method in ("PUT", "POST"):
            h["Content-Length"] = "0"
        self.c.request(method, path, body=body, headers=h)
        r = self.c.getresponse()
        data = r.read()
        return r.status, r.headers, data


def make_small_images(n: int, layer_size: int) -> list[tuple[list[bytes], bytes]]:
    images = []
    for i in range(n):
        layers = [os.urandom(layer_size) for _ in range(3)]
        config = json.dumps({
            "architecture": "amd64", "os": "linux", "created": "2026-01-01T00:00:00Z",
            "rootfs": {"type": "layers", "diff_ids": [
                "sha256:" + hashlib.sha256(l).hexdigest() for l in layers]},
            "config": {"Labels": {"n": str(i)}}}).encode()
        images.append((layers, config))
    return images


def push_small(side: Side, images, run: int) -> dict:
    conn = Conn(side)
    # Tokens are fetched before the clock starts (a client caches them per repository).
    repos = [f"library/small{run}-{i}" for i in range(len(images))]
    for repo in repos:
        side.auth_header(repo)
    t = time.perf_counter()
    for repo, (layers, config) in zip(repos, images):
        descs = []
        for blob in [config, *layers]:
            digest = "sha256:" + hashlib.sha256(blob).hexdigest()
            descs.append({"digest": digest, "size": len(blob)})
            status, _, _ = conn.req("HEAD", f"/v2/{repo}/blobs/{digest}", repo)
            if status == 200:
                continue
            status, headers, body = conn.req("POST", f"/v2/{repo}/blobs/uploads/", repo)
            assert status == 202, (side.label, status, body[:200])
            loc = urllib.parse.urlsplit(headers["Location"])
            path = loc.path + "?" + (loc.query + "&" if loc.query else "") + \
                "digest=" + urllib.parse.quote(digest)
            status, _, body = conn.req("PUT", path, repo, blob,
                                       {"Content-Type": "application/octet-stream"})
            assert status == 201, (side.label, status, body[:200])
        manifest = json.dumps({
            "schemaVersion": 2, "mediaType": OCI_MANIFEST,
            "config": {"mediaType": "application/vnd.oci.image.config.v1+json", **descs[0]},
            "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", **d}
                       for d in descs[1:]]}).encode()
        status, _, body = conn.req("PUT", f"/v2/{repo}/manifests/v1", repo, manifest,
                                   {"Content-Type": OCI_MANIFEST})
        assert status == 201, (side.label, status, body[:200])
    dt = time.perf_counter() - t
    return {"small images/s": len(images) / dt, "small ms/image": dt * 1000 / len(images)}


def run_ab(side: Side, path: str, repo: str | None, n: int, head=False,
           accept: str | None = None) -> float:
    args = ["ab", "-q", "-k", "-c", "16", "-n", str(n)]
    auth = side.auth_header(repo)
    if auth:
        args += ["-H", f"Authorization: {auth}"]
    if accept:
        args += ["-H", f"Accept: {accept}"]
    if head:
        args.append("-i")
    args.append(side.server.url + path)
    p = subprocess.run(args, capture_output=True, text=True, timeout=600)
    m = re.search(r"Requests per second:\s+([\d.]+)", p.stdout)
    if p.returncode != 0 or not m:
        raise RuntimeError(f"ab failed on {side.label} {path}: {p.stderr}\n{p.stdout}")
    bad = re.search(r"Non-2xx responses:\s+(\d+)", p.stdout)
    failed = int(re.search(r"Failed requests:\s+(\d+)", p.stdout).group(1))
    if bad or failed:
        # Length differences are counted as failures by ab; only non-2xx is fatal.
        if bad:
            raise RuntimeError(f"{side.label} {path}: {bad.group(1)} non-2xx responses")
    return float(m.group(1))


def bench_ab(side: Side, n: int) -> dict:
    repo = "library/abtest"
    conn = Conn(side)
    blob = os.urandom(100 * 1024)
    config = b'{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}'
    descs = []
    for b in (config, blob):
        digest = "sha256:" + hashlib.sha256(b).hexdigest()
        descs.append({"digest": digest, "size": len(b)})
        status, headers, _ = conn.req("POST", f"/v2/{repo}/blobs/uploads/", repo)
        loc = urllib.parse.urlsplit(headers["Location"])
        path = loc.path + "?" + (loc.query + "&" if loc.query else "") + \
            "digest=" + urllib.parse.quote(digest)
        status, _, body = conn.req("PUT", path, repo, b)
        assert status == 201, (side.label, status, body)
    manifest = json.dumps({
        "schemaVersion": 2, "mediaType": OCI_MANIFEST,
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", **descs[0]},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
                    **descs[1]}]}).encode()
    mdigest = "sha256:" + hashlib.sha256(manifest).hexdigest()
    for tag in ("v1", "v2", "v3"):
        status, _, body = conn.req("PUT", f"/v2/{repo}/manifests/{tag}", repo, manifest,
                                   {"Content-Type": OCI_MANIFEST})
        assert status == 201, (side.label, status, body)
    bdigest = descs[1]["digest"]
    return {
        "ab /v2/ req/s": run_ab(side, "/v2/", None, n),
        "ab manifest by tag req/s": run_ab(side, f"/v2/{repo}/manifests/v1", repo, n,
                                           accept=OCI_MANIFEST),
        "ab manifest by digest req/s": run_ab(side, f"/v2/{repo}/manifests/{mdigest}",
                                              repo, n, accept=OCI_MANIFEST),
        "ab blob HEAD req/s": run_ab(side, f"/v2/{repo}/blobs/{bdigest}", repo, n,
                                     head=True),
        "ab blob GET 100KiB req/s": run_ab(side, f"/v2/{repo}/blobs/{bdigest}", repo,
                                           max(n // 4, 100)),
        "ab tags list req/s": run_ab(side, f"/v2/{repo}/tags/list", repo, n),
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--parts", default="blob,small,ab",
                    help="comma list of: blob, small, ab (default: all)")
    ap.add_argument("--servers", default="berth,cncf", help="comma list: berth, cncf")
    ap.add_argument("--quick", action="store_true",
                    help="small sizes: 256 MiB blob, 40 images, 2000 requests")
    ap.add_argument("--blob-mib", type=int, default=1024)
    ap.add_argument("--small-images", type=int, default=200)
    ap.add_argument("--small-layer-kib", type=int, default=100)
    ap.add_argument("--ab-requests", type=int, default=20000)
    ap.add_argument("--auth", choices=["token", "basic"], default="token")
    ap.add_argument("--workdir", help="where data goes (default: a temp dir, removed)")
    ap.add_argument("--json", help="also write the results as JSON to this file")
    args = ap.parse_args()
    if args.quick:
        args.blob_mib, args.small_images, args.ab_requests = 256, 40, 2000
    parts = set(args.parts.split(","))
    wanted = args.servers.split(",")

    work = Path(args.workdir or tempfile.mkdtemp(prefix="berth-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    sides: list[Side] = []
    try:
        if "berth" in wanted:
            b = servers.Berth(work / "berth-data")
            sides.append(Side("berth", b.start(), args.auth))
        if "cncf" in wanted:
            users = {"admin": servers.ADMIN_PASSWORD} if args.auth == "basic" else None
            c = servers.CncfRegistry(work / "cncf-data", users=users)
            sides.append(Side("cncf", c.start(), args.auth))
        results: dict[str, dict[str, float]] = {s.label: {} for s in sides}

        if "blob" in parts:
            size = args.blob_mib * MIB
            path = work / "blob.bin"
            print(f"# generating a {args.blob_mib} MiB blob", file=sys.stderr)
            digest = make_random_file(path, size)
            for s in sides:
                print(f"# blob push/pull: {s.label}", file=sys.stderr)
                results[s.label].update(bench_blob(s, path, digest, size, 0))
            path.unlink()
        if "small" in parts:
            images = make_small_images(args.small_images, args.small_layer_kib * 1024)
            for s in sides:
                print(f"# {len(images)} small images: {s.label}", file=sys.stderr)
                results[s.label].update(push_small(s, images, 0))
        if "ab" in parts:
            for s in sides:
                print(f"# ab: {s.label}", file=sys.stderr)
                results[s.label].update(bench_ab(s, args.ab_requests))
        for s in sides:
            rss = s.server.peak_rss_kib()
            results[s.label]["peak RSS MiB"] = (rss or 0) / 1024
    finally:
        for s in sides:
            s.server.stop()
        if not args.workdir:
            shutil.rmtree(work, ignore_errors=True)

    print_table(results)
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))
    return 0


def print_table(results: dict[str, dict[str, float]]) -> None:
    labels = list(results)
    metrics = list(dict.fromkeys(k for r in results.values() for k in r))
    width = max(len(m) for m in metrics) + 2
    header = f"{'metric':<{width}}" + "".join(f"{l:>12}" for l in labels)
    both = "berth" in results and "cncf" in results
    if both:
        header += f"{'berth/cncf':>12}"
    print(header)
    print("-" * len(header))
    for m in metrics:
        row = f"{m:<{width}}" + "".join(
            f"{results[l].get(m, float('nan')):>12.1f}" for l in labels)
        if both:
            b, c = results["berth"].get(m), results["cncf"].get(m)
            row += f"{(b / c if b and c else float('nan')):>12.2f}"
        print(row)
    print("(higher is better except 'ms/image' and 'peak RSS MiB')")


if __name__ == "__main__":
    sys.exit(main())

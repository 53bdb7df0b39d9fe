"""Proxy-cache projects under load, over time and under upstream throttling, against a
real CNCF registry upstream behind a counting, fault-injecting forwarder:

* 20 concurrent skopeo clients on one cold multi-layer image: every pull gets the same
  bytes and the upstream serves each blob exactly once (counted at the upstream side);
* expiry: with `proxy_cache_expiry_seconds` at 3, a pulled image records `pull_time`,
  then disappears (artifact, repository, blob contents only it used) and is fetched
  again on the next pull, while a normal project sharing a layer keeps its image whole;
* an upstream answering 429: an uncached pull gets the 429 with the upstream's
  Retry-After and an error that names the upstream; a cached tag is still served.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import threading
import time
from datetime import datetime, timezone
from pathlib import Path

import pytest
import requests

from harness import oci, servers
from harness.client import ALL_MANIFESTS, Registry, skopeo_copy
from harness.faultproxy import Fault, FaultProxy
from test_proxy_cache import PROVIDERS, Api, ok, ref, unique

CLIENTS = 20
EXPIRY_SECONDS = 3
ZERO_TIME = "0001-01-01T00:00:00"
_GET = re.compile(r"^GET /v2/(.+)/(blobs|manifests)/([^ ?]+)")


class ProxyBerth(servers.Berth):
    """Berth that accepts `docker-registry` endpoints behind proxy-cache projects, with
    an optional cache expiry (seconds)."""

    def __init__(self, data_dir: Path, expiry: int | None = None):
        super().__init__(data_dir)
        self.expiry = expiry

    def env(self):
        env = super().env()
        env["BERTH_PROXY_CACHE_PROVIDERS"] = PROVIDERS
        if self.expiry is not None:
            env["BERTH_PROXY_CACHE_EXPIRY"] = str(self.expiry)
        return env


class Upstream:
    """A CNCF registry of its own behind a FaultProxy whose first rule fires (so logs)
    on every upstream blob and manifest GET without changing it: faults added later only
    see the requests this rule lets through, so throttling rules go in front of it."""

    def __init__(self, tmp: Path, blob_stall: Fault | None = None):
        self.cncf = servers.CncfRegistry(tmp / "upstream")
        self.cncf.start()
        self.proxy = FaultProxy("127.0.0.1", self.cncf.port).start()
        # A blob rule of the caller's (e.g. a stall mid-body) counts blob GETs instead.
        self.proxy.add(blob_stall or Fault.stall(0, method="GET", path=r"/blobs/sha256:"))
        self.proxy.add(Fault.stall(0, method="GET", path=r"/manifests/"))
        self.client = Registry(self.cncf.url)

    @property
    def url(self) -> str:
        return self.proxy.url

    def throttle(self, fault: Fault) -> Fault:
        with self.proxy.lock:
            self.proxy.rules.insert(0, fault)
        return fault

    def gets(self, kind: str) -> dict[str, int]:
        """Upstream GETs of `kind` ("blobs" or "manifests") that reached the registry,
        per digest or tag."""
        with self.proxy.lock:
            entries = list(self.proxy.log)
        counts: dict[str, int] = {}
        for entry in entries:
            m = _GET.match(entry)
            if m and m.group(2) == kind and entry.endswith("-> stall"):
                counts[m.group(3)] = counts.get(m.group(3), 0) + 1
        return counts

    def stop(self) -> None:
        self.proxy.stop()
        self.cncf.stop()
        servers.STARTED.remove(self.cncf)


@pytest.fixture(scope="module")
def pberth(tmp_path_factory):
    server = ProxyBerth(tmp_path_factory.mktemp("proxy-more") / "data")
    server.start()
    yield server
    server.stop()
    servers.STARTED.remove(server)


@pytest.fixture
def expiring_berth(tmp_path):
    server = ProxyBerth(tmp_path / "expiring", expiry=EXPIRY_SECONDS)
    server.start()
    yield server
    server.stop()
    servers.STARTED.remove(server)


def proxy_project(berth: servers.Berth, upstream: Upstream) -> str:
    api = Api(berth)
    eid = api.endpoint(unique("up"), upstream.url)
    project = unique("cache")
    r = api.proxy_project(project, eid)
    assert r.status_code == 201, r.text
    return project


def file_digest(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)
    return "sha256:" + h.hexdigest()


def check_dir_copy(dest: Path, img: oci.Content) -> None:
    """A `dir:` copy holds exactly the image's manifest and blobs, byte for byte."""
    assert (dest / "manifest.json").read_bytes() == img.manifest, dest
    blobs = {p.name: p for p in dest.iterdir() if re.fullmatch(r"[0-9a-f]{64}", p.name)}
    assert {"sha256:" + n for n in blobs} == set(img.blobs), dest
    for name, path in blobs.items():
        assert path.stat().st_size == len(img.blobs["sha256:" + name]), path
        assert file_digest(path) == "sha256:" + name, f"corrupt blob {path}"


# ---- 1. concurrent cold pulls: one upstream GET per blob ----------------------------------

def test_concurrent_cold_pulls_fetch_each_blob_once(pberth, tmp_path):
    # Every upstream blob body pauses for a second after its first MiB, so the download
    # is still in flight while the other clients ask for the same blob.
    upstream = Upstream(tmp_path, Fault.stall(1.0, after=1 << 20, method="GET",
                                              path=r"/blobs/sha256:"))
    try:
        project = proxy_project(pberth, upstream)
        img = oci.image([32 << 20, 4 << 20, 3 << 20, 2 << 20])
        repo = "team/app"
        upstream.client.push(repo, img, "v1")

        src = ref(pberth, f"{project}/{repo}", "v1")
        dests = [tmp_path / f"pull-{i}" for i in range(CLIENTS)]
        procs = [subprocess.Popen(
            ["skopeo", "--insecure-policy", "copy", "--src-tls-verify=false",
             "--src-creds", f"{pberth.admin[0]}:{pberth.admin[1]}", src, f"dir:{d}"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for d in dests]
        failures = []
        for i, p in enumerate(procs):
            try:
                _, err = p.communicate(timeout=120)
            except subprocess.TimeoutExpired:
                p.kill()
                _, err = p.communicate()
            if p.returncode != 0:
                failures.append(f"client {i}: exit {p.returncode}: {err.strip()}")
        assert not failures, "\n".join(failures)

        for d in dests:
            check_dir_copy(d, img)
        assert upstream.gets("blobs") == {d: 1 for d in img.blobs}, upstream.proxy.log
    finally:
        upstream.stop()


def test_large_blob_reaches_fast_slow_and_late_clients_from_one_download(pberth, tmp_path):
    # Large enough for the download to be written a piece at a time and kept in a window
    # of recent pieces; the slow client stalls past the time the download waits for it
    # and the late one joins halfway, so both read some of the blob back from the store.
    size = 80 << 20
    upstream = Upstream(tmp_path, Fault.stall(0.5, after=1 << 20, method="GET",
                                              path=r"/blobs/sha256:"))
    try:
        project = proxy_project(pberth, upstream)
        repo = "team/big"
        layer = os.urandom(size)
        digest = upstream.client.push_blob(repo, layer)
        config = b"{}"
        manifest = json.dumps({
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                       "digest": upstream.client.push_blob(repo, config),
                       "size": len(config)},
            "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar",
                        "digest": digest, "size": size}],
        }).encode()
        r = upstream.client.put_manifest(repo, "v1", manifest)
        assert r.status_code == 201, r.text
        client = Registry(pberth.url, auth=pberth.admin)
        assert client.get_manifest(f"{project}/{repo}", "v1").status_code == 200

        halfway = threading.Event()
        got: dict[str, object] = {}

        def pull(name: str, pause_at: int | None = None, after: threading.Event | None = None):
            try:
                if after is not None:
                    assert after.wait(60), "the first client never got halfway"
                r = Registry(pberth.url, auth=pberth.admin).get(
                    f"/v2/{project}/{repo}/blobs/{digest}", stream=True)
                assert r.status_code == 200, r.text
                h, n = hashlib.sha256(), 0
                for chunk in r.iter_content(1 << 20):
                    h.update(chunk)
                    n += len(chunk)
                    if name == "fast" and n >= size // 2:
                        halfway.set()
                    if pause_at is not None and n >= pause_at:
                        time.sleep(0.5)
                        pause_at = None
                got[name] = ("sha256:" + h.hexdigest(), n)
            except Exception as e:  # reported below, with the client's name
                got[name] = e
            finally:
                halfway.set()

        clients = [threading.Thread(target=pull, args=("fast",)),
                   threading.Thread(target=pull, args=("slow", 8 << 20)),
                   threading.Thread(target=pull, args=("late", None, halfway))]
        for t in clients:
            t.start()
        for t in clients:
            t.join(120)
        assert got == {name: (digest, size) for name in ("fast", "slow", "late")}
        assert upstream.gets("blobs") == {digest: 1}, upstream.proxy.log
    finally:
        upstream.stop()


# ---- 2. expiry ----------------------------------------------------------------------------

def _artifacts(api: Api, project: str, repo: str) -> requests.Response:
    return api.call("GET", f"/projects/{project}/repositories/"
                           f"{repo.replace('/', '%252F')}/artifacts")


def _repositories(api: Api, project: str) -> list[str]:
    r = api.call("GET", f"/projects/{project}/repositories")
    assert r.status_code == 200, r.text
    return [x["name"] for x in r.json()]


def test_expiry_removes_unpulled_proxy_content_only(expiring_berth, tmp_path):
    berth = expiring_berth
    api = Api(berth)
    upstream = Upstream(tmp_path)
    try:
        project = proxy_project(berth, upstream)
        # The cached image shares its first layer with an image in a normal project.
        shared, shared_diff = oci.make_layer(256 << 10, name="shared.bin")
        own, own_diff = oci.make_layer(128 << 10, name="own.bin")
        cached_img = _image_of([(shared, shared_diff), (own, own_diff)])
        repo = "team/app"
        upstream.client.push(repo, cached_img, "v1")

        normal = unique("normal")
        assert api.call("POST", "/projects", json={"project_name": normal}).status_code == 201
        extra, extra_diff = oci.make_layer(64 << 10, name="extra.bin")
        normal_img = _image_of([(shared, shared_diff), (extra, extra_diff)])
        Registry(berth.url, berth.admin).push(f"{normal}/keep", normal_img, "v1")

        local = f"{project}/{repo}"
        ok(skopeo_copy(ref(berth, local, "v1"), f"dir:{tmp_path / 'first'}",
                       src_auth=berth.admin))
        check_dir_copy(tmp_path / "first", cached_img)
        first_manifests = upstream.gets("manifests").get("v1", 0)
        first_blobs = upstream.gets("blobs")
        assert first_manifests >= 1 and first_blobs.get(oci.sha256(own)) == 1, \
            upstream.proxy.log

        # The pull is recorded: pull_time is a real, recent time.
        r = _artifacts(api, project, repo)
        assert r.status_code == 200, r.text
        arts = r.json()
        assert [a["digest"] for a in arts] == [cached_img.digest], arts
        pull_time = arts[0]["pull_time"]
        assert pull_time and not pull_time.startswith(ZERO_TIME), arts[0]
        pulled = datetime.fromisoformat(pull_time.replace("Z", "+00:00"))
        age = (datetime.now(timezone.utc) - pulled).total_seconds()
        assert -5 < age < 60, pull_time
        assert local in _repositories(api, project)

        # Not pulled again: the artifact and then the repository go away.
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and local in _repositories(api, project):
            time.sleep(0.25)
        assert local not in _repositories(api, project), "proxy repository never expired"
        r = _artifacts(api, project, repo)
        assert r.status_code == 404 or (r.status_code == 200 and r.json() == []), r.text

        # The normal project's image, sharing a layer with the expired one, is untouched.
        assert f"{normal}/keep" in _repositories(api, normal)
        r = _artifacts(api, normal, "keep")
        assert r.status_code == 200 and [a["digest"] for a in r.json()] == [normal_img.digest]
        ok(skopeo_copy(ref(berth, f"{normal}/keep", "v1"), f"dir:{tmp_path / 'normal'}",
                       src_auth=berth.admin))
        check_dir_copy(tmp_path / "normal", normal_img)

        # A new pull works and goes to the upstream again, for the manifest and for the
        # blob content no repository kept.
        before_manifests = sum(upstream.gets("manifests").values())
        ok(skopeo_copy(ref(berth, local, "v1"), f"dir:{tmp_path / 'again'}",
                       src_auth=berth.admin))
        check_dir_copy(tmp_path / "again", cached_img)
        assert sum(upstream.gets("manifests").values()) > before_manifests, upstream.proxy.log
        assert upstream.gets("blobs").get(oci.sha256(own)) == 2, upstream.proxy.log
        assert local in _repositories(api, project)
    finally:
        upstream.stop()


def _image_of(layers: list[tuple[bytes, str]]) -> oci.Content:
    """An OCI image made of the given (tar.gz bytes, diff_id) layers."""
    config = oci.make_config([diff for _, diff in layers])
    blobs = {oci.sha256(data): data for data, _ in layers}
    blobs[oci.sha256(config)] = config
    m = {"schemaVersion": 2, "mediaType": oci.OCI_MANIFEST,
         "config": oci.descriptor(oci.OCI_CONFIG, config),
         "layers": [oci.descriptor(oci.OCI_LAYER_GZIP, data) for data, _ in layers]}
    return oci.Content(oci.canonical(m), oci.OCI_MANIFEST, blobs)


# ---- 3. upstream throttling ---------------------------------------------------------------

RETRY_AFTER = 7


def _throttled_setup(pberth, tmp_path) -> tuple[Upstream, str, oci.Content]:
    """An upstream holding `cached` (pulled through Berth once) and `cold` (never)."""
    upstream = Upstream(tmp_path)
    project = proxy_project(pberth, upstream)
    repo = "team/app"
    cached_img = oci.image([64 << 10])
    upstream.client.push(repo, cached_img, "cached")
    upstream.client.push(repo, oci.image([32 << 10]), "cold")
    local = f"{project}/{repo}"
    ok(skopeo_copy(ref(pberth, local, "cached"), f"dir:{tmp_path / 'warm'}",
                   src_auth=pberth.admin))
    return upstream, local, cached_img


def _ask(pberth, method: str, local: str, tag: str) -> tuple[requests.Response, float]:
    """One manifest request; fails the test when Berth holds it for longer than the
    upstream asked clients to wait: a 429 is passed on for the client to wait, not
    waited out (and retried) inside the request."""
    start = time.monotonic()
    try:
        r = requests.request(method, f"{pberth.url}/v2/{local}/manifests/{tag}",
                             auth=pberth.admin, headers={"Accept": ALL_MANIFESTS},
                             timeout=2 * RETRY_AFTER)
    except requests.Timeout:
        pytest.fail(f"{method} of an uncached tag held for over {2 * RETRY_AFTER} s while "
                    f"the upstream answers 429 with Retry-After: {RETRY_AFTER}")
    return r, time.monotonic() - start


@pytest.mark.parametrize("method", ["GET", "HEAD"])
def test_uncached_pull_passes_upstream_429_on(pberth, tmp_path, method):
    upstream, local, _ = _throttled_setup(pberth, tmp_path)
    try:
        rule = upstream.throttle(Fault.status(429, retry_after=str(RETRY_AFTER),
                                              path=r"/manifests/cold$"))
        for attempt in range(2):  # nothing gets cached: a second ask fares the same
            r, took = _ask(pberth, method, local, "cold")
            assert r.status_code == 429, (r.status_code, r.text[:500])
            assert r.headers.get("Retry-After") == str(RETRY_AFTER), r.headers
            assert took < RETRY_AFTER, f"answered after {took:.1f} s"
            if method == "GET":
                body = r.json()
                assert isinstance(body.get("errors"), list) and body["errors"], body
                error = body["errors"][0]
                assert error.get("code") == "TOOMANYREQUESTS", body
                assert "upstream" in error.get("message", "").lower(), body
        assert rule.fired >= 2, upstream.proxy.log
    finally:
        upstream.stop()


def test_cached_tag_served_while_upstream_throttles(pberth, tmp_path):
    upstream, local, cached_img = _throttled_setup(pberth, tmp_path)
    try:
        # Every manifest request upstream (HEAD included) is throttled: the cached tag is
        # still served, whole, without a single upstream blob GET.
        rule = upstream.throttle(Fault.status(429, retry_after=str(RETRY_AFTER),
                                              path=r"/manifests/"))
        blobs_before = upstream.gets("blobs")
        ok(skopeo_copy(ref(pberth, local, "cached"), f"dir:{tmp_path / 'throttled'}",
                       src_auth=pberth.admin))
        check_dir_copy(tmp_path / "throttled", cached_img)
        assert rule.fired >= 1, "the cached tag was served without revalidating it"
        assert upstream.gets("blobs") == blobs_before, upstream.proxy.log
    finally:
        upstream.stop()

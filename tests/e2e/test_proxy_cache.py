"""Proxy-cache projects: the creation rules of POST /api/v2.0/projects with `registry_id`
(system admins only, an existing endpoint of an allowed type, `registry_id` fixed for
good), the endpoint guard, the `berth project` CLI, and skopeo pulling through Berth from
a real CNCF registry upstream — cold, warm, after the tag moved upstream, and with the
upstream gone.

The upstream is a `docker-registry` endpoint, which is not in the default set of
providers: the Berth under test runs with BERTH_PROXY_CACHE_PROVIDERS extended by it,
while the shared Berth keeps the default and must refuse it.
"""
from __future__ import annotations

import os
import subprocess
import uuid

import pytest
import requests

from harness import oci, servers
from harness.client import skopeo_copy, skopeo_inspect_raw
from harness.faultproxy import Fault, FaultProxy

DEFAULT_PROVIDERS = "harbor, docker-hub, aws-ecr, azure-acr, google-gcr, quay"
PROVIDERS = "harbor,docker-hub,aws-ecr,azure-acr,google-gcr,quay,docker-registry"
USER = ("proxy-user", "Proxy-User-Pass-1")


class ProxyBerth(servers.Berth):
    """Berth that also accepts `docker-registry` endpoints behind proxy-cache projects."""

    def env(self):
        env = super().env()
        env["BERTH_PROXY_CACHE_PROVIDERS"] = PROVIDERS
        return env


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


class Api:
    def __init__(self, berth: servers.Berth, auth=None):
        self.base = berth.url + "/api/v2.0"
        self.auth = auth or berth.admin

    def call(self, method: str, path: str, **kw) -> requests.Response:
        return requests.request(method, self.base + path, auth=kw.pop("auth", self.auth),
                                timeout=60, **kw)

    def endpoint(self, name: str, url: str, type_: str = "docker-registry") -> int:
        r = self.call("POST", "/registries",
                      json={"name": name, "type": type_, "url": url, "insecure": True})
        assert r.status_code == 201, r.text
        return int(r.headers["Location"].rsplit("/", 1)[1])

    def proxy_project(self, name: str, registry_id, **kw) -> requests.Response:
        metadata = {"public": "false", **kw.pop("metadata", {})}
        return self.call("POST", "/projects", json={"project_name": name,
                                                    "registry_id": registry_id,
                                                    "metadata": metadata}, **kw)


def message(r: requests.Response) -> str:
    return r.json()["errors"][0]["message"]


def ref(server, name: str, tag: str) -> str:
    sep = "@" if tag.startswith("sha256:") else ":"
    return f"docker://{server.host}/{name}{sep}{tag}"


def ok(p: subprocess.CompletedProcess) -> subprocess.CompletedProcess:
    assert p.returncode == 0, f"skopeo failed ({p.returncode}):\n{p.stderr}"
    return p


@pytest.fixture(scope="module")
def pberth(tmp_path_factory):
    server = ProxyBerth(tmp_path_factory.mktemp("proxy-berth") / "data")
    server.start()
    Api(server).call("POST", "/users", json={"username": USER[0], "password": USER[1],
                                             "email": "proxy@example.com",
                                             "realname": "proxy user"})
    yield server
    server.stop()


@pytest.fixture
def upstream(tmp_path):
    """A CNCF registry of its own, behind a fault proxy that counts blob GETs."""
    cncf = servers.CncfRegistry(tmp_path / "upstream")
    cncf.start()
    proxy = FaultProxy("127.0.0.1", cncf.port).start()
    proxy.blob_gets = proxy.add(Fault.stall(0, method="GET", path=r"/blobs/sha256:"))
    proxy.cncf = cncf
    yield proxy
    proxy.stop()
    if cncf.alive():
        cncf.stop()
    servers.STARTED.remove(cncf)


# ---- creation rules ----------------------------------------------------------------------

def test_only_allowed_providers_back_a_proxy_project(berth, pberth, upstream):
    # The shared Berth runs with the default providers: docker-registry is refused.
    api = Api(berth)
    eid = api.endpoint(unique("plain"), upstream.url)
    r = api.proxy_project(unique("cache"), eid)
    assert r.status_code == 400, r.text
    assert "docker-registry" in message(r)
    assert DEFAULT_PROVIDERS in message(r), message(r)
    assert api.call("DELETE", f"/registries/{eid}").status_code == 200

    # The proxy Berth lists docker-registry among its providers.
    api = Api(pberth)
    eid = api.endpoint(unique("plain"), upstream.url)
    name = unique("cache")
    r = api.proxy_project(name, eid, metadata={"proxy_speed_kb": "1024",
                                               "max_upstream_conn": "3"})
    assert r.status_code == 201, r.text
    p = api.call("GET", f"/projects/{name}").json()
    assert p["registry_id"] == eid
    assert p["metadata"]["proxy_speed_kb"] == "1024"
    assert p["metadata"]["max_upstream_conn"] == "3"


def test_creation_errors(pberth, upstream):
    api = Api(pberth)
    eid = api.endpoint(unique("plain"), upstream.url)

    r = api.proxy_project(unique("cache"), eid, auth=USER)
    assert r.status_code == 403, r.text
    assert "only system administrators can create proxy-cache projects" in message(r)
    # The same user may still create a normal project.
    r = api.call("POST", "/projects", auth=USER, json={"project_name": unique("own")})
    assert r.status_code == 201, r.text

    r = api.proxy_project(unique("cache"), 987654)
    assert r.status_code == 404, r.text
    assert "987654" in message(r)

    r = api.proxy_project(unique("cache"), eid, metadata={"proxy_speed_kb": "fast"})
    assert r.status_code == 400 and "proxy_speed_kb" in message(r), r.text


def test_registry_id_cannot_change(pberth, upstream):
    api = Api(pberth)
    eid = api.endpoint(unique("plain"), upstream.url)
    other = api.endpoint(unique("plain"), upstream.url)
    name = unique("cache")
    assert api.proxy_project(name, eid).status_code == 201
    r = api.call("PUT", f"/projects/{name}", json={"registry_id": other})
    assert r.status_code == 400 and "registry_id" in message(r), r.text
    r = api.call("PUT", f"/projects/{name}",
                 json={"registry_id": eid, "metadata": {"proxy_speed_kb": "64"}})
    assert r.status_code == 200, r.text
    p = api.call("GET", f"/projects/{name}").json()
    assert p["registry_id"] == eid and p["metadata"]["proxy_speed_kb"] == "64"


def test_endpoint_in_use_cannot_be_deleted(pberth, upstream):
    api = Api(pberth)
    eid = api.endpoint(unique("plain"), upstream.url)
    name = unique("cache")
    assert api.proxy_project(name, eid).status_code == 201
    r = api.call("DELETE", f"/registries/{eid}")
    assert r.status_code == 412, r.text
    assert name in message(r)
    assert api.call("DELETE", f"/projects/{name}").status_code == 200
    assert api.call("DELETE", f"/registries/{eid}").status_code == 200


def test_cli_project_commands(pberth, upstream):
    binary = str(servers.berth_binary())
    env = dict(os.environ, BERTH_USERNAME="admin", BERTH_PASSWORD=pberth.admin_password)

    def cli(*args):
        return subprocess.run([binary, "project", *args, "--url", pberth.url],
                              env=env, capture_output=True, text=True, timeout=60)

    if subprocess.run([binary, "project", "--help"], capture_output=True).returncode != 0:
        pytest.skip("berth project commands are not wired into the binary yet")
    api = Api(pberth)
    endpoint = unique("up")
    eid = api.endpoint(endpoint, upstream.url)
    name = unique("cli-cache")
    r = cli("create", name, "--proxy-cache", endpoint, "--max-upstream-conn", "2")
    assert r.returncode == 0, r.stderr
    assert api.call("GET", f"/projects/{name}").json()["registry_id"] == eid
    by_id = unique("cli-cache")
    assert cli("create", by_id, "--proxy-cache", str(eid)).returncode == 0
    plain = unique("cli-plain")
    assert cli("create", plain, "--public").returncode == 0

    r = cli("create", unique("cli-cache"), "--proxy-cache", "no-such-endpoint")
    assert r.returncode == 1 and "no-such-endpoint" in r.stderr, r.stderr

    r = cli("list")
    assert r.returncode == 0, r.stderr
    line = next(l for l in r.stdout.splitlines() if f" {name} " in l)
    assert endpoint in line, r.stdout
    plain_line = next(l for l in r.stdout.splitlines() if f" {plain} " in l)
    assert "true" in plain_line, r.stdout

    for project in (name, by_id, plain):
        r = cli("delete", project)
        assert r.returncode == 0, r.stderr
    assert api.call("GET", f"/projects/{name}").status_code == 404


# ---- pull through ------------------------------------------------------------------------

def _skip_unless_pull_through(pberth, project: str, repo: str, tag: str) -> None:
    """Skips when Berth answers a manifest the upstream holds as unknown: the pull-through
    data path is not in the server yet."""
    r = requests.get(f"{pberth.url}/v2/{project}/{repo}/manifests/{tag}", auth=pberth.admin,
                     headers={"Accept": f"{oci.OCI_MANIFEST}, {oci.OCI_INDEX}"},
                     timeout=60)
    if r.status_code == 404:
        codes = {e.get("code") for e in r.json().get("errors", [])} if r.content else set()
        if codes & {"MANIFEST_UNKNOWN", "NAME_UNKNOWN"}:
            pytest.skip("pull-through not wired yet")


def _proxy_setup(pberth, upstream, tmp_path):
    api = Api(pberth)
    eid = api.endpoint(unique("up"), upstream.url)
    project = unique("cache")
    assert api.proxy_project(project, eid).status_code == 201
    layout = oci.Layout(tmp_path / "src")
    v1 = layout.add(oci.image([512 << 10, 128 << 10]), "v1")
    v2 = layout.add(oci.image([256 << 10]), "v2")
    repo = "team/app"
    ok(skopeo_copy(f"oci:{layout.path}:v1", ref(upstream.cncf, repo, "v1")))
    return api, project, repo, layout, v1, v2


def test_push_into_proxy_project_is_refused(pberth, upstream, tmp_path):
    api, project, repo, layout, v1, _ = _proxy_setup(pberth, upstream, tmp_path)
    _skip_unless_pull_through(pberth, project, repo, "v1")
    p = skopeo_copy(f"oci:{layout.path}:v2", ref(pberth, f"{project}/other", "v2"),
                    dst_auth=pberth.admin)
    assert p.returncode != 0, "a push into a proxy-cache project succeeded"
    if "proxy" not in str(p.stderr).lower():
        pytest.xfail(f"push refused without saying the project is a proxy cache: {p.stderr}")


def test_pull_through_cold_warm_moved_and_upstream_down(pberth, upstream, tmp_path):
    api, project, repo, layout, v1, v2 = _proxy_setup(pberth, upstream, tmp_path)
    _skip_unless_pull_through(pberth, project, repo, "v1")
    local = f"{project}/{repo}"

    # Cold (counting from the probe's manifest GET, which may start the blob fetches):
    # every blob comes from the upstream at most once.
    out = oci.Layout(tmp_path / "cold")
    ok(skopeo_copy(ref(pberth, local, "v1"), f"oci:{out.path}:v1", src_auth=pberth.admin))
    assert out.manifest_for("v1") == v1.manifest
    out.verify()
    assert 1 <= upstream.blob_gets.fired <= len(v1.blobs), upstream.log

    # Warm: the manifest is revalidated, no blob is fetched again.
    before = upstream.blob_gets.fired
    warm = oci.Layout(tmp_path / "warm")
    ok(skopeo_copy(ref(pberth, local, "v1"), f"oci:{warm.path}:v1", src_auth=pberth.admin))
    assert warm.manifest_for("v1") == v1.manifest
    assert upstream.blob_gets.fired == before, upstream.log[-10:]

    # By digest, cached: never asks the upstream for blobs either.
    p = skopeo_inspect_raw(ref(pberth, local, v1.digest), pberth.admin)
    assert p.returncode == 0 and p.stdout == v1.manifest, p.stderr

    # The tag moves upstream: the next pull serves the new image.
    ok(skopeo_copy(f"oci:{layout.path}:v2", ref(upstream.cncf, repo, "v1")))
    moved = oci.Layout(tmp_path / "moved")
    ok(skopeo_copy(ref(pberth, local, "v1"), f"oci:{moved.path}:v1", src_auth=pberth.admin))
    assert moved.manifest_for("v1") == v2.manifest
    moved.verify()

    # An image the cache never saw, for the outage below.
    ok(skopeo_copy(f"oci:{layout.path}:v1", ref(upstream.cncf, repo, "never-pulled")))

    # Upstream gone: cached tags and digests still come from Berth...
    upstream.cncf.stop()
    down = oci.Layout(tmp_path / "down")
    ok(skopeo_copy(ref(pberth, local, "v1"), f"oci:{down.path}:v1", src_auth=pberth.admin))
    assert down.manifest_for("v1") == v2.manifest
    down.verify()
    p = skopeo_inspect_raw(ref(pberth, local, v1.digest), pberth.admin)
    assert p.returncode == 0 and p.stdout == v1.manifest, p.stderr

    # ...and what was never cached fails with a message naming the upstream's state.
    r = requests.get(f"{pberth.url}/v2/{local}/manifests/never-pulled", auth=pberth.admin,
                     timeout=60)
    assert r.status_code >= 400, r.text
    p = skopeo_copy(ref(pberth, local, "never-pulled"), f"oci:{tmp_path / 'none'}:x",
                    src_auth=pberth.admin)
    assert p.returncode != 0
    if not ("upstream" in r.text.lower() and "unreachable" in r.text.lower()):
        pytest.xfail(f"uncached pull failed without saying the upstream is unreachable: "
                     f"{r.status_code} {r.text}")

"""Proxy-cache projects in front of each cloud provider, against the provider emulators
of tests/emulators (their documented auth flows, a real docker-registry as data plane).

Berth reaches the providers' real host names (registry-1.docker.io, *.amazonaws.com,
*.azurecr.io, gcr.io, *.pkg.dev, quay.io) through a CONNECT proxy named by its
`https_proxy` environment, which tunnels them to the emulator under test; each endpoint
trusts the emulator's certificate through its `ca_certificate`. One parametrized test
runs every provider the same way: register the endpoint with the provider's credentials,
create a proxy-cache project on it, seed an image straight into the emulator's backing
registry, pull it through Berth (cold) and compare manifest bytes and digest with the
upstream, then stop the emulator and pull again (warm, from the cache).

The `harbor` provider runs the same cold and warm pulls against real software: a second
Berth as the upstream. Also: a provider outside `proxy_cache_providers` is refused with
the allowed list, and the same provider is accepted (and pulled through) once
BERTH_PROXY_CACHE_PROVIDERS names it.
"""
from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import pytest
import requests

from harness import oci, servers
from harness.client import ALL_MANIFESTS, skopeo_copy, skopeo_inspect_raw
from harness.connect_proxy import ConnectProxy
from harness.emulators import Emulator

DEFAULT_PROVIDERS = "harbor, docker-hub, aws-ecr, azure-acr, google-gcr, quay"

HUB_HOSTS = ["hub.docker.com", "registry-1.docker.io", "auth.docker.io"]
ECR_API = "api.ecr.us-east-1.amazonaws.com"
ECR_REGISTRY = "123456789012.dkr.ecr.us-east-1.amazonaws.com"
ACR_HOST = "myreg.azurecr.io"
GCR_HOSTS = ["gcr.io", "us-docker.pkg.dev"]
GITLAB_HOSTS = ["gitlab.com", "registry.gitlab.com"]

# Provider credentials handed to the emulators (and so to Berth); all made up.
ECR_KEY_ID = "AKIAE2EPROXYCACHE001"
ECR_SECRET = "e2e/Proxy+Cache/Secret/Key/0123456789ab"
ACR_ADMIN = ("myreg", "Acr-Admin-Pass-31")
ACR_AAD_TOKEN = "aad-access-token-e2e-proxy"
HUB_USER = ("alice", "Hub-Pass-77")
QUAY_ROBOT = ("acme+puller", "QUAYROBOTTOKEN0123456789")
QUAY_OAUTH = "quay-oauth-token-e2e"
GITLAB_USER = ("alice", "glpat-e2e-proxy-cache")


@dataclass
class Case:
    """One provider: how its emulator runs, how Berth registers it, what is pulled."""
    id: str
    emulator: str                 # tests/emulators/<emulator>_emulator.py
    hosts: list[str]              # host names routed to the emulator
    type: str                     # Berth endpoint type
    url: str                      # endpoint URL
    credential: Callable[[Emulator], dict]
    upstream_repo: str            # repository seeded in the emulator's data plane
    local_repo: str               # path under the proxy project
    emulator_args: list[str] = field(default_factory=list)
    # Hosts Berth must have connected to: the provider's auth services.
    auth_hosts: list[str] = field(default_factory=list)


def basic(user: str, password: str) -> Callable[[Emulator], dict]:
    return lambda _: {"type": "basic", "access_key": user, "access_secret": password}


def gcr_json_key(emulator: Emulator) -> dict:
    key = (emulator.data_dir / "service-account.json").read_text()
    return {"type": "basic", "access_key": "_json_key", "access_secret": key}


def quay_json(emulator: Emulator) -> dict:
    secret = json.dumps({"oauth2_token": QUAY_OAUTH, "account_name": QUAY_ROBOT[0],
                         "docker_cli_password": QUAY_ROBOT[1]})
    return {"type": "basic", "access_key": "json_file", "access_secret": secret}


CASES = [
    # Docker Hub: the auth.docker.io token realm; a one-segment name is an official image.
    Case("docker-hub-official", "dockerhub", HUB_HOSTS, "docker-hub", "https://hub.docker.com",
         basic(*HUB_USER), "library/busybox", "busybox",
         emulator_args=["--user", HUB_USER[0], "--password", HUB_USER[1]],
         auth_hosts=["auth.docker.io", "registry-1.docker.io"]),
    Case("docker-hub", "dockerhub", HUB_HOSTS, "docker-hub", "https://hub.docker.com",
         basic(*HUB_USER), "alice/app", "alice/app",
         emulator_args=["--user", HUB_USER[0], "--password", HUB_USER[1]],
         auth_hosts=["auth.docker.io", "registry-1.docker.io"]),
    # ECR: SigV4-signed GetAuthorizationToken, then Basic AWS:<token> on the registry host.
    Case("aws-ecr", "ecr", [ECR_API, ECR_REGISTRY], "aws-ecr", f"https://{ECR_API}",
         basic(ECR_KEY_ID, ECR_SECRET), "team/app", "team/app",
         emulator_args=["--access-key", ECR_KEY_ID, "--secret-key", ECR_SECRET],
         auth_hosts=[ECR_API, ECR_REGISTRY]),
    # ACR: the admin user at the /oauth2/token realm...
    Case("azure-acr-admin", "acr", [ACR_HOST], "azure-acr", f"https://{ACR_HOST}",
         basic(*ACR_ADMIN), "team/app", "team/app",
         emulator_args=["--user", ACR_ADMIN[0], "--password", ACR_ADMIN[1]],
         auth_hosts=[ACR_HOST]),
    # ...and an AAD access token exchanged at /oauth2/exchange for a refresh token.
    Case("azure-acr-aad", "acr", [ACR_HOST], "azure-acr", f"https://{ACR_HOST}",
         lambda _: {"type": "oauth", "access_key": "aad", "access_secret": ACR_AAD_TOKEN},
         "team/aad", "team/aad",
         emulator_args=["--aad-token", ACR_AAD_TOKEN], auth_hosts=[ACR_HOST]),
    # GCR and Artifact Registry: Basic _json_key:<service-account key> at /v2/token.
    Case("google-gcr", "gcr", GCR_HOSTS, "google-gcr", "https://gcr.io",
         gcr_json_key, "berth-test-project/app", "berth-test-project/app",
         auth_hosts=["gcr.io"]),
    Case("google-artifact-registry", "gcr", GCR_HOSTS, "google-gcr",
         "https://us-docker.pkg.dev", gcr_json_key, "berth-test-project/docker/app",
         "berth-test-project/docker/app", auth_hosts=["us-docker.pkg.dev"]),
    # Quay: a robot account's docker CLI password at the /v2/auth realm (plus an OAuth
    # token for the organization API, unused by pulls).
    Case("quay", "quay", ["quay.io"], "quay", "https://quay.io", quay_json,
         "acme/app", "acme/app",
         emulator_args=["--user", QUAY_ROBOT[0], "--password", QUAY_ROBOT[1],
                        "--oauth-token", QUAY_OAUTH],
         auth_hosts=["quay.io"]),
]


class ProxiedBerth(servers.Berth):
    """Berth whose outbound HTTPS goes through `proxy` (libcurl's https_proxy)."""

    def __init__(self, data_dir: Path, proxy: ConnectProxy, providers: str | None = None):
        super().__init__(data_dir)
        self.proxy = proxy
        self.providers = providers

    def env(self):
        env = super().env()
        for name in ("http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY"):
            env.pop(name, None)
        env["https_proxy"] = env["HTTPS_PROXY"] = self.proxy.url
        env["no_proxy"] = env["NO_PROXY"] = "127.0.0.1,localhost"
        if self.providers is not None:
            env["BERTH_PROXY_CACHE_PROVIDERS"] = self.providers
        else:
            env.pop("BERTH_PROXY_CACHE_PROVIDERS", None)
        return env


class Api:
    def __init__(self, berth: servers.Berth):
        self.base = berth.url + "/api/v2.0"
        self.auth = berth.admin

    def call(self, method: str, path: str, **kw) -> requests.Response:
        return requests.request(method, self.base + path, auth=self.auth, timeout=60, **kw)

    def endpoint(self, emulator: Emulator, type_: str, url: str, credential: dict) -> int:
        r = self.call("POST", "/registries", json={
            "name": unique(type_), "type": type_, "url": url, "credential": credential,
            "ca_certificate": emulator.ca_pem})
        assert r.status_code == 201, r.text
        return int(r.headers["Location"].rsplit("/", 1)[1])

    def proxy_project(self, name: str, registry_id: int) -> requests.Response:
        return self.call("POST", "/projects", json={
            "project_name": name, "registry_id": registry_id,
            "metadata": {"public": "false"}})


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def message(r: requests.Response) -> str:
    return r.json()["errors"][0]["message"]


def ok(p) -> None:
    assert p.returncode == 0, f"skopeo failed ({p.returncode}):\n{p.stderr}"


def start_emulator(kind: str, directory: Path, proxy: ConnectProxy, hosts: list[str],
                   args: list[str] | None = None) -> Emulator:
    emulator = Emulator(kind, directory, args).start()
    proxy.route(hosts, emulator.port)
    return emulator


def seed(emulator: Emulator, repo: str, tag: str, tmp_path: Path) -> tuple[bytes, str]:
    """Pushes a small image into the emulator's docker-registry; returns the manifest
    bytes and digest the upstream serves for repo:tag."""
    layout = oci.Layout(tmp_path / "seed")
    layout.add(oci.image([96 << 10, 24 << 10]), tag)
    upstream_ref = f"docker://{emulator.upstream_host}/{repo}:{tag}"
    ok(skopeo_copy(f"oci:{layout.path}:{tag}", upstream_ref))
    p = skopeo_inspect_raw(upstream_ref)
    assert p.returncode == 0, p.stderr
    r = requests.head(f"http://{emulator.upstream_host}/v2/{repo}/manifests/{tag}",
                      headers={"Accept": ALL_MANIFESTS}, timeout=30)
    assert r.status_code == 200, r.status_code
    digest = r.headers["Docker-Content-Digest"]
    assert digest == "sha256:" + hashlib.sha256(p.stdout).hexdigest()
    return p.stdout, digest


def berth_manifest(berth: servers.Berth, name: str, reference: str) -> requests.Response:
    return requests.get(f"{berth.url}/v2/{name}/manifests/{reference}", auth=berth.admin,
                        headers={"Accept": ALL_MANIFESTS}, timeout=120)


def pull(berth: servers.Berth, name: str, tag: str, out: Path) -> oci.Layout:
    """skopeo copy from Berth into an OCI layout, every blob verified."""
    layout = oci.Layout(out)
    ok(skopeo_copy(f"docker://{berth.host}/{name}:{tag}", f"oci:{layout.path}:{tag}",
                   src_auth=berth.admin))
    layout.verify()
    return layout


@pytest.fixture(scope="module")
def connect_proxy():
    proxy = ConnectProxy().start()
    yield proxy
    proxy.stop()


@pytest.fixture(scope="module")
def cberth(tmp_path_factory, connect_proxy):
    """Berth with the default proxy-cache providers, reaching providers via the proxy."""
    server = ProxiedBerth(tmp_path_factory.mktemp("cloud-berth") / "data", connect_proxy)
    server.start()
    yield server
    server.stop()
    servers.STARTED.remove(server)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_pull_through_provider(cberth, connect_proxy, tmp_path, case: Case):
    emulator = start_emulator(case.emulator, tmp_path / "emu", connect_proxy, case.hosts,
                              case.emulator_args)
    try:
        api = Api(cberth)
        # Registering the endpoint already runs the provider's auth (health check).
        eid = api.endpoint(emulator, case.type, case.url, case.credential(emulator))
        project = unique("cache")
        r = api.proxy_project(project, eid)
        assert r.status_code == 201, r.text
        raw, digest = seed(emulator, case.upstream_repo, "v1", tmp_path)
        name = f"{project}/{case.local_repo}"

        # Cold: Berth fetches from the provider and serves the upstream's bytes.
        r = berth_manifest(cberth, name, "v1")
        assert r.status_code == 200, r.text
        assert r.content == raw
        assert r.headers["Docker-Content-Digest"] == digest
        cold = pull(cberth, name, "v1", tmp_path / "cold")
        assert cold.manifest_for("v1") == raw
        for host in case.auth_hosts:
            assert connect_proxy.connected(host), (host, connect_proxy.connects)

        # Warm, with the provider gone: everything comes from the cache. (Each tag
        # lookup first retries the upstream for a few seconds, so only one is made.)
        emulator.stop()
        assert not emulator.upstream_alive()
        warm = pull(cberth, name, "v1", tmp_path / "warm")
        assert warm.manifest_for("v1") == raw
        p = skopeo_inspect_raw(f"docker://{cberth.host}/{name}@{digest}", cberth.admin)
        assert p.returncode == 0 and p.stdout == raw, p.stderr
    finally:
        emulator.stop()
        servers.STARTED.remove(emulator)


def test_provider_outside_the_allowed_set(cberth, connect_proxy, tmp_path):
    emulator = start_emulator("gitlab", tmp_path / "emu", connect_proxy, GITLAB_HOSTS,
                              ["--user", GITLAB_USER[0], "--password", GITLAB_USER[1]])
    extended = None
    try:
        credential = {"type": "basic", "access_key": GITLAB_USER[0],
                      "access_secret": GITLAB_USER[1]}
        # The default set leaves gitlab out: refused, naming what is allowed.
        api = Api(cberth)
        eid = api.endpoint(emulator, "gitlab", "https://registry.gitlab.com", credential)
        r = api.proxy_project(unique("cache"), eid)
        assert r.status_code == 400, r.text
        assert "gitlab" in message(r), message(r)
        assert DEFAULT_PROVIDERS in message(r), message(r)

        # Named in BERTH_PROXY_CACHE_PROVIDERS: accepted, and the pull goes through.
        extended = ProxiedBerth(tmp_path / "extended", connect_proxy,
                                providers=DEFAULT_PROVIDERS.replace(" ", "") + ",gitlab")
        extended.start()
        api = Api(extended)
        eid = api.endpoint(emulator, "gitlab", "https://registry.gitlab.com", credential)
        project = unique("cache")
        r = api.proxy_project(project, eid)
        assert r.status_code == 201, r.text
        assert api.call("GET", f"/projects/{project}").json()["registry_id"] == eid
        raw, digest = seed(emulator, "alice/app", "v1", tmp_path)
        r = berth_manifest(extended, f"{project}/alice/app", "v1")
        assert r.status_code == 200, r.text
        assert r.content == raw and r.headers["Docker-Content-Digest"] == digest
    finally:
        if extended is not None:
            extended.stop()
            servers.STARTED.remove(extended)
        emulator.stop()
        servers.STARTED.remove(emulator)


def test_pull_through_harbor_second_berth(cberth, tmp_path):
    """The `harbor` provider against real software: a second Berth as the upstream."""
    upstream = servers.Berth(tmp_path / "upstream-berth", admin_password="Upstream-Berth-9")
    upstream.start()
    try:
        layout = oci.Layout(tmp_path / "seed")
        layout.add(oci.image([96 << 10, 24 << 10]), "v1")
        ok(skopeo_copy(f"oci:{layout.path}:v1", f"docker://{upstream.host}/library/app:v1",
                       dst_auth=upstream.admin))
        p = skopeo_inspect_raw(f"docker://{upstream.host}/library/app:v1", upstream.admin)
        assert p.returncode == 0, p.stderr
        raw = p.stdout
        digest = "sha256:" + hashlib.sha256(raw).hexdigest()

        api = Api(cberth)
        r = api.call("POST", "/registries", json={
            "name": unique("harbor"), "type": "harbor", "url": upstream.url,
            "credential": {"type": "basic", "access_key": "admin",
                           "access_secret": upstream.admin_password}})
        assert r.status_code == 201, r.text
        eid = int(r.headers["Location"].rsplit("/", 1)[1])
        project = unique("cache")
        r = api.proxy_project(project, eid)
        assert r.status_code == 201, r.text
        name = f"{project}/library/app"

        r = berth_manifest(cberth, name, "v1")
        assert r.status_code == 200, r.text
        assert r.content == raw and r.headers["Docker-Content-Digest"] == digest
        cold = pull(cberth, name, "v1", tmp_path / "cold")
        assert cold.manifest_for("v1") == raw

        upstream.stop()
        warm = pull(cberth, name, "v1", tmp_path / "warm")
        assert warm.manifest_for("v1") == raw
    finally:
        upstream.stop()
        servers.STARTED.remove(upstream)

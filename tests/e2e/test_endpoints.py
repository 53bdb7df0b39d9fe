"""Replication endpoints (/api/v2.0/registries) against real peers: the CNCF registry
with no auth, htpasswd Basic auth, a self-signed TLS certificate and Berth's own token
service as its token issuer; a second Berth as a `harbor` endpoint; a web server that is
not a registry; a closed port. Also the health monitor, the `berth registry` CLI, and
that no secret ever shows up in a response or in Berth's log.
"""
from __future__ import annotations

import http.server
import json
import os
import re
import subprocess
import threading
import time
from pathlib import Path

import pytest
import requests
import urllib3

from harness import servers

urllib3.disable_warnings()

SECRETS: list[str] = []  # every secret handed to Berth; none may leak
CNCF_PASSWORD = "Cncf-Secret-Pass-7781"


def remember(secret: str) -> str:
    SECRETS.append(secret)
    return secret


def assert_no_secret(r: requests.Response) -> None:
    text = r.text + "".join(f"{k}: {v}\n" for k, v in r.headers.items())
    for secret in SECRETS:
        assert secret not in text, f"secret leaked in {r.request.method} {r.url}"


class Api:
    def __init__(self, berth: servers.Berth):
        self.base = berth.url + "/api/v2.0"
        self.auth = berth.admin

    def call(self, method: str, path: str, **kw) -> requests.Response:
        r = requests.request(method, self.base + path, auth=kw.pop("auth", self.auth),
                             timeout=60, **kw)
        assert_no_secret(r)
        return r

    def create(self, body: dict) -> requests.Response:
        return self.call("POST", "/registries", json=body)

    def create_ok(self, body: dict) -> int:
        r = self.create(body)
        assert r.status_code == 201, r.text
        return int(r.headers["Location"].rsplit("/", 1)[1])

    def ping(self, body: dict) -> requests.Response:
        return self.call("POST", "/registries/ping", json=body)


def message(r: requests.Response) -> str:
    return r.json()["errors"][0]["message"]


class HealthBerth(servers.Berth):
    """Berth with the shortest health interval the config accepts (10 s)."""

    def env(self):
        env = super().env()
        env["BERTH_HEALTH_INTERVAL"] = "10"
        return env


class Peer(servers.CncfRegistry):
    """The CNCF registry with extra config (TLS, token auth) appended."""

    def __init__(self, data_dir: Path, users=None, tls: tuple[Path, Path] | None = None,
                 token: dict | None = None):
        self.tls = tls
        self.token = token
        super().__init__(data_dir, users=users)

    @property
    def url(self) -> str:
        return f"{'https' if self.tls else 'http'}://{self.host}"

    def _write_config(self) -> None:
        super()._write_config()
        text = self.config_path.read_text()
        if self.tls:
            text = text.replace(
                "  secret: e2e-local-secret\n",
                f"  secret: e2e-local-secret\n  tls:\n    certificate: {self.tls[0]}\n"
                f"    key: {self.tls[1]}\n")
        if self.token:
            text += "auth:\n  token:\n" + "".join(
                f"    {k}: {v}\n" for k, v in self.token.items())
        self.config_path.write_text(text)

    def wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("docker-registry exited:\n" + self.log_tail())
            try:
                requests.get(self.url + "/v2/", timeout=1, verify=False)
                return
            except requests.RequestException:
                time.sleep(0.05)
        raise RuntimeError("docker-registry not ready:\n" + self.log_tail())


@pytest.fixture(scope="module")
def eberth(tmp_path_factory):
    server = HealthBerth(tmp_path_factory.mktemp("eberth") / "data",
                         extra_args=["--log-level", "debug"])
    server.start()
    yield server
    server.stop()
    servers.STARTED.remove(server)


@pytest.fixture(scope="module")
def api(eberth) -> Api:
    return Api(eberth)


@pytest.fixture(scope="module")
def plain_peer(tmp_path_factory):
    peer = Peer(tmp_path_factory.mktemp("plain") / "data")
    peer.start()
    yield peer
    peer.stop()
    servers.STARTED.remove(peer)


@pytest.fixture(scope="module")
def basic_peer(tmp_path_factory):
    peer = Peer(tmp_path_factory.mktemp("basic") / "data",
                users={"tester": remember(CNCF_PASSWORD)})
    peer.start()
    yield peer
    peer.stop()
    servers.STARTED.remove(peer)


@pytest.fixture(scope="module")
def tls_cert(tmp_path_factory) -> tuple[Path, Path]:
    d = tmp_path_factory.mktemp("tls")
    cert, key = d / "peer.crt", d / "peer.key"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
         "-subj", "/CN=127.0.0.1", "-keyout", str(key), "-out", str(cert),
         "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"],
        check=True, capture_output=True)
    return cert, key


@pytest.fixture(scope="module")
def tls_peer(tmp_path_factory, tls_cert):
    peer = Peer(tmp_path_factory.mktemp("tlspeer") / "data", tls=tls_cert)
    peer.start()
    yield peer
    peer.stop()
    servers.STARTED.remove(peer)


def test_plain_registry_create_get_list(api, plain_peer):
    rid = api.create_ok({"name": "plain", "type": "docker-registry", "url": plain_peer.url,
                         "description": "no auth"})
    r = api.call("GET", f"/registries/{rid}")
    assert r.status_code == 200
    j = r.json()
    assert j["id"] == rid and j["url"] == plain_peer.url and j["status"] == "healthy"
    assert j["credential"] == {}
    assert "insecure" not in j
    r = api.call("GET", "/registries", params={"q": "name=~pla"})
    assert r.headers["X-Total-Count"] == "1" and r.json()[0]["name"] == "plain"
    assert api.ping({"id": rid}).status_code == 200
    r = api.call("GET", f"/registries/{rid}/info")
    assert r.status_code == 200, r.text
    assert r.json()["supported_resource_filters"][-1]["type"] == "resource"
    # duplicate name
    r = api.create({"name": "plain", "type": "docker-registry", "url": plain_peer.url})
    assert r.status_code == 409 and message(r) == "registry plain already exists"


def test_basic_auth_right_and_wrong_password(api, basic_peer):
    body = {"name": "basic", "type": "docker-registry", "url": basic_peer.url,
            "credential": {"type": "basic", "access_key": "tester",
                           "access_secret": "wrong-" + remember("Nope-Pass-1")}}
    remember(body["credential"]["access_secret"])
    r = api.create(body)
    assert r.status_code == 400, r.text
    assert "401" in message(r) or "unauthorized" in message(r).lower(), message(r)
    body["credential"]["access_secret"] = CNCF_PASSWORD
    rid = api.create_ok(body)
    r = api.call("GET", f"/registries/{rid}")
    assert r.json()["credential"] == {"type": "basic", "access_key": "tester",
                                      "access_secret": "*****"}
    # ping by id reuses the stored secret; a wrong typed one fails
    assert api.ping({"id": rid}).status_code == 200
    r = api.ping({"id": rid, "access_secret": "also-wrong-" + remember("X1")})
    assert r.status_code == 400
    # ping with id tests the body's URL over the stored one, but sends the stored secret
    # only to the stored URL
    r = api.ping({"id": rid, "url": "http://127.0.0.1:1"})
    assert r.status_code == 400 and "give access_secret" in message(r), r.text
    r = api.ping({"id": rid, "url": "http://127.0.0.1:1", "access_secret": CNCF_PASSWORD})
    assert r.status_code == 400 and "give access_secret" not in message(r), r.text
    # changing the URL without the secret drops it
    r = api.call("PUT", f"/registries/{rid}", json={"url": basic_peer.url + "/"})
    assert r.status_code == 200, r.text
    assert api.call("GET", f"/registries/{rid}").json()["credential"]["access_secret"] == "*****"


def test_tls_self_signed(api, tls_peer, tls_cert):
    base = {"type": "docker-registry", "url": tls_peer.url}
    r = api.create({**base, "name": "tls-verify"})
    assert r.status_code == 400
    assert "Verify Remote Cert" in message(r) or "CA" in message(r), message(r)
    api.create_ok({**base, "name": "tls-insecure", "insecure": True})
    api.create_ok({**base, "name": "tls-ca", "ca_certificate": tls_cert[0].read_text()})
    r = api.create({**base, "name": "tls-bad-ca", "ca_certificate": "garbage"})
    assert r.status_code == 400 and message(r).startswith("invalid CA certificate")


def test_no_scheme_means_https(api, tls_peer):
    r = api.ping({"type": "docker-registry", "url": tls_peer.host, "insecure": True})
    assert r.status_code == 200, r.text


def test_not_a_registry_and_closed_port(api):
    class Hello(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            body = b"<html>hello</html>"
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    web = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Hello)
    threading.Thread(target=web.serve_forever, daemon=True).start()
    try:
        r = api.create({"name": "web", "type": "docker-registry",
                        "url": f"http://127.0.0.1:{web.server_address[1]}"})
        assert r.status_code == 400
        assert re.search(r"not a (container )?registry", message(r)), message(r)
    finally:
        web.shutdown()
    r = api.ping({"type": "docker-registry", "url": f"http://127.0.0.1:{servers.free_port()}"})
    assert r.status_code == 400
    assert "refused" in message(r), message(r)
    r = api.ping({"url": "http://x"})
    assert r.status_code == 400 and message(r) == "type or url cannot be empty"


def test_harbor_type_second_berth(api, tmp_path):
    other = servers.Berth(tmp_path / "other", admin_password=remember("Other-Berth-Pass-9"))
    other.start()
    try:
        rid = api.create_ok({"name": "berth-2", "type": "harbor", "url": other.url,
                             "credential": {"access_key": "admin",
                                            "access_secret": other.admin_password}})
        assert api.ping({"id": rid}).status_code == 200
        r = api.ping({"type": "harbor", "url": other.url, "access_key": "admin",
                      "access_secret": "bad-" + remember("Bad-Harbor-1")})
        assert r.status_code == 400
    finally:
        other.stop()
        servers.STARTED.remove(other)


def test_token_auth_with_berth_as_issuer(api, eberth, tmp_path):
    peer = Peer(tmp_path / "tokenpeer", token={
        "realm": f"{eberth.url}/service/token",
        "service": "berth",
        "issuer": "berth-token-issuer",
        "rootcertbundle": str(eberth.data_dir / "token" / "cert.pem"),
    })
    peer.start()
    try:
        r = requests.get(peer.url + "/v2/", timeout=5)
        assert r.status_code == 401 and "Bearer" in r.headers["WWW-Authenticate"]
        r = api.ping({"type": "docker-registry", "url": peer.url, "access_key": "admin",
                      "access_secret": eberth.admin_password})
        assert r.status_code == 200, r.text
    finally:
        peer.stop()
        servers.STARTED.remove(peer)


def test_delete_and_adapters(api, plain_peer):
    rid = api.create_ok({"name": "to-delete", "type": "docker-registry", "url": plain_peer.url})
    assert api.call("DELETE", f"/registries/{rid}").status_code == 200
    assert api.call("GET", f"/registries/{rid}").status_code == 404
    assert api.call("GET", "/registries/0").status_code == 404
    types = api.call("GET", "/replication/adapters").json()
    assert types == sorted(types) and "docker-registry" in types and "harbor" in types
    infos = api.call("GET", "/replication/adapterinfos").json()
    assert isinstance(infos, dict)
    assert api.call("GET", "/registries", auth=None).status_code == 401


def test_health_monitor_flips_stopped_peer(api, tmp_path):
    peer = Peer(tmp_path / "flaky")
    peer.start()
    rid = api.create_ok({"name": "flaky", "type": "docker-registry", "url": peer.url})
    peer.stop()
    servers.STARTED.remove(peer)
    deadline = time.monotonic() + 25
    j = {}
    while time.monotonic() < deadline:
        j = api.call("GET", f"/registries/{rid}").json()
        if j.get("status") == "unhealthy":
            break
        time.sleep(0.5)
    assert j.get("status") == "unhealthy", j
    assert "refused" in j.get("last_error", ""), j
    assert j.get("last_checked")
    api.call("DELETE", f"/registries/{rid}")


def test_cli(eberth, plain_peer):
    binary = str(servers.berth_binary())
    env = dict(os.environ, BERTH_USERNAME="admin", BERTH_PASSWORD=eberth.admin_password)

    def cli(*args):
        return subprocess.run([binary, "registry", *args, "--url", eberth.url],
                              env=env, capture_output=True, text=True, timeout=60)

    r = cli("providers")
    assert r.returncode == 0 and "docker-registry" in r.stdout, r.stderr
    r = cli("create", "--name", "from-cli", "--type", "docker-registry",
            "--endpoint-url", plain_peer.url)
    assert r.returncode == 0, r.stderr
    rid = r.stdout.split()[2]
    r = cli("list")
    assert r.returncode == 0 and "from-cli" in r.stdout and "healthy" in r.stdout
    r = cli("get", rid, "--json")
    assert r.returncode == 0 and '"name": "from-cli"' in r.stdout
    assert cli("ping", rid).returncode == 0
    assert cli("info", rid).returncode == 0
    r = cli("update", rid, "--insecure")
    assert r.returncode == 0, r.stderr
    r = cli("update", rid, "--description", "changed")
    assert r.returncode == 0, r.stderr
    shown = json.loads(cli("get", rid, "--json").stdout)
    # an update that does not mention --insecure/--verify leaves the setting alone
    assert shown["description"] == "changed" and shown.get("insecure") is True, shown
    r = cli("create", "--name", "from-cli", "--type", "docker-registry",
            "--endpoint-url", plain_peer.url)
    assert r.returncode == 1 and "already exists" in r.stderr
    r = subprocess.run([binary, "registry", "list", "--url", eberth.url], capture_output=True,
                       text=True, timeout=60, env={"PATH": os.environ.get("PATH", "")})
    assert r.returncode == 1 and "UNAUTHORIZED" in r.stderr
    assert cli("delete", rid).returncode == 0


def test_no_secret_in_log(eberth):
    log = eberth.log_path.read_text(errors="replace")
    for secret in SECRETS:
        assert secret not in log, "a secret appears in Berth's log"

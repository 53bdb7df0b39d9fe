"""A small OCI Distribution client over requests, plus raw-socket and skopeo helpers.

`Registry` speaks to one server as one identity. Auth modes:
  "basic": HTTP Basic on every request (Berth and the CNCF registry with htpasswd);
  "token": Docker token auth: answers a Bearer challenge by fetching a token from the
           realm (with Basic credentials, or anonymously when `auth` is None), caches it
           per repository and retries the request (only bodies that can be resent);
  "none":  no credentials at all.
"""
from __future__ import annotations

import http.client
import json
import re
import socket
import subprocess
import urllib.parse

import requests

from . import oci

_NAME_RE = re.compile(r"^/v2/(.+?)/(blobs|manifests|tags|referrers)/")
ALL_MANIFESTS = ", ".join([oci.OCI_MANIFEST, oci.OCI_INDEX,
                           "application/vnd.docker.distribution.manifest.v2+json",
                           "application/vnd.docker.distribution.manifest.list.v2+json"])


def parse_challenge(header: str) -> tuple[str, dict]:
    scheme, _, rest = header.partition(" ")
    params = dict(re.findall(r'(\w+)="([^"]*)"', rest))
    return scheme.lower(), params


class Registry:
    def __init__(self, base_url: str, auth: tuple[str, str] | None = None,
                 mode: str = "basic", timeout: float = 60):
        self.base = base_url.rstrip("/")
        self.auth = auth
        self.mode = mode if auth is not None or mode != "basic" else "none"
        self.timeout = timeout
        self.s = requests.Session()
        self.tokens: dict[str, str] = {}  # repository name (or "") -> token

    # ---- plumbing -----------------------------------------------------------------
    def url(self, path: str) -> str:
        if path.startswith("http://") or path.startswith("https://"):
            return path
        return self.base + path

    def _repo_of(self, url: str) -> str:
        m = _NAME_RE.match(urllib.parse.urlsplit(url).path)
        return m.group(1) if m else ""

    def fetch_token(self, realm: str, service: str | None, scope: str | None) -> str:
        params = {}
        if service:
            params["service"] = service
        if scope:
            params["scope"] = scope
        r = requests.get(realm, params=params, auth=self.auth, timeout=self.timeout)
        r.raise_for_status()
        body = r.json()
        return body.get("token") or body["access_token"]

    def request(self, method: str, path: str, headers: dict | None = None,
                **kw) -> requests.Response:
        url = self.url(path)
        headers = dict(headers or {})
        kw.setdefault("timeout", self.timeout)
        kw.setdefault("allow_redirects", False)
        auth = self.auth if self.mode == "basic" else None
        repo = self._repo_of(url)
        if self.mode == "token" and repo in self.tokens:
            headers["Authorization"] = "Bearer " + self.tokens[repo]
        r = self.s.request(method, url, headers=headers, auth=auth, **kw)
        if (r.status_code == 401 and self.mode == "token"
                and isinstance(kw.get("data", b""), (bytes, str, type(None)))):
            scheme, params = parse_challenge(r.headers.get("WWW-Authenticate", ""))
            if scheme == "bearer" and "realm" in params:
                token = self.fetch_token(params["realm"], params.get("service"),
                                         params.get("scope"))
                self.tokens[repo] = token
                headers["Authorization"] = "Bearer " + token
                r = self.s.request(method, url, headers=headers, **kw)
        return r

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def head(self, path, **kw):
        return self.request("HEAD", path, **kw)

    def put(self, path, **kw):
        return self.request("PUT", path, **kw)

    def post(self, path, **kw):
        return self.request("POST", path, **kw)

    def patch(self, path, **kw):
        return self.request("PATCH", path, **kw)

    def delete(self, path, **kw):
        return self.request("DELETE", path, **kw)

    def location(self, r: requests.Response) -> str:
        loc = r.headers["Location"]
        return urllib.parse.urljoin(r.url, loc)

    # ---- blobs --------------------------------------------------------------------
    def start_upload(self, name: str) -> requests.Response:
        return self.post(f"/v2/{name}/blobs/uploads/")

    def push_blob(self, name: str, data: bytes, digest: str | None = None) -> str:
        """POST + PUT ?digest= (the common two-step upload). Returns the digest."""
        digest = digest or oci.sha256(data)
        r = self.head(f"/v2/{name}/blobs/{digest}")
        if r.status_code == 200:
            return digest
        r = self.start_upload(name)
        assert r.status_code == 202, (r.status_code, r.text)
        r = self.put(self.location(r), params={"digest": digest}, data=data,
                     headers={"Content-Type": "application/octet-stream"})
        assert r.status_code == 201, (r.status_code, r.text)
        return digest

    def blob_exists(self, name: str, digest: str) -> bool:
        return self.head(f"/v2/{name}/blobs/{digest}").status_code == 200

    # ---- manifests ----------------------------------------------------------------
    def put_manifest(self, name: str, ref: str, body: bytes,
                     media_type: str = oci.OCI_MANIFEST) -> requests.Response:
        return self.put(f"/v2/{name}/manifests/{ref}", data=body,
                        headers={"Content-Type": media_type})

    def get_manifest(self, name: str, ref: str, method: str = "GET") -> requests.Response:
        return self.request(method, f"/v2/{name}/manifests/{ref}",
                            headers={"Accept": ALL_MANIFESTS})

    def push(self, name: str, content: oci.Content, tag: str | None = None) -> str:
        """Pushes all blobs, then children manifests by digest, then the manifest by tag
        (or by digest when no tag). Returns the manifest digest."""
        for data in content.all_blobs().values():
            self.push_blob(name, data)
        for child in content.children:
            r = self.put_manifest(name, child.digest, child.manifest, child.media_type)
            assert r.status_code == 201, (r.status_code, r.text)
        r = self.put_manifest(name, tag or content.digest, content.manifest,
                              content.media_type)
        assert r.status_code == 201, (r.status_code, r.text)
        return content.digest

    def tags(self, name: str, **params) -> requests.Response:
        return self.get(f"/v2/{name}/tags/list", params=params)


def assert_error(r: requests.Response, status: int | tuple, code: str | tuple | None = None
                 ) -> dict:
    """The response has `status` and the OCI envelope {"errors":[{"code","message"}]}
    whose first code is `code` (any of them, when tuples are given)."""
    statuses = status if isinstance(status, tuple) else (status,)
    assert r.status_code in statuses, (r.status_code, r.text[:500])
    if r.request.method == "HEAD":
        return {}
    try:
        body = r.json()
    except ValueError:
        raise AssertionError(f"error body is not JSON: {r.text[:300]!r}")
    assert isinstance(body.get("errors"), list) and body["errors"], body
    for e in body["errors"]:
        assert isinstance(e.get("code"), str) and "message" in e, body
    if code is not None:
        codes = code if isinstance(code, tuple) else (code,)
        assert body["errors"][0]["code"] in codes, body
    return body["errors"][0]


def raw_http(host: str, port: int, data: bytes, timeout: float = 10.0,
             shutdown_write: bool = False) -> tuple[int, dict, bytes]:
    """Sends `data` verbatim on a new TCP connection and parses one HTTP response.
    Returns (status, headers, body); status 0 when the server closed without answering.
    """
    with socket.create_connection((host, port), timeout=timeout) as sock:
        sock.sendall(data)
        if shutdown_write:
            sock.shutdown(socket.SHUT_WR)
        resp = http.client.HTTPResponse(sock, method="PUT")
        try:
            resp.begin()
        except (http.client.RemoteDisconnected, ConnectionResetError, socket.timeout):
            return 0, {}, b""
        try:
            body = resp.read()
        except (http.client.IncompleteRead, ConnectionResetError, socket.timeout) as e:
            body = getattr(e, "partial", b"")
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, body


def basic_header(user: str, password: str) -> str:
    import base64
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def skopeo(*args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    """Runs skopeo with the insecure policy (no signature checks); never raises."""
    cmd = ["skopeo", "--insecure-policy", *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)


def skopeo_copy(src: str, dst: str, src_auth=None, dst_auth=None, all_images=False,
                extra: list[str] | None = None, timeout: float = 300
                ) -> subprocess.CompletedProcess:
    args = ["copy", "--src-tls-verify=false", "--dest-tls-verify=false"]
    if src_auth:
        args += ["--src-creds", f"{src_auth[0]}:{src_auth[1]}"]
    if dst_auth:
        args += ["--dest-creds", f"{dst_auth[0]}:{dst_auth[1]}"]
    if all_images:
        args.append("--all")
    args += extra or []
    return skopeo(*args, src, dst, timeout=timeout)


def skopeo_inspect_raw(ref: str, auth=None) -> subprocess.CompletedProcess:
    args = ["inspect", "--raw", "--tls-verify=false"]
    if auth:
        args += ["--creds", f"{auth[0]}:{auth[1]}"]
    p = subprocess.run(["skopeo", *args, ref], capture_output=True, timeout=120)
    return p


def json_body(r: requests.Response):
    return json.loads(r.content)

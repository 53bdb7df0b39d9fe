"""Shared pieces of the provider emulators (stdlib only).

An emulator is one HTTPS server on a free 127.0.0.1 port whose self-signed certificate
covers every provider hostname (clients reach it with curl CONNECT_TO and trust the
certificate as an extra CA). It serves the provider's own API and fronts a real
`docker-registry` for the /v2/ data plane: the emulator issues the provider's auth
challenge, runs the token realm, and forwards authenticated /v2/ requests upstream.

When ready an emulator prints one JSON line on stdout:
    {"port": <int>, "ca": "<path of the PEM certificate>"}
and serves until SIGTERM/SIGINT (which also stops its docker-registry).
"""

from __future__ import annotations

import argparse
import base64
import http.client
import json
import os
import secrets
import signal
import socket
import ssl
import subprocess
import sys
import threading
import time
import urllib.parse
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

# Every hostname any emulator answers for (one certificate fits all).
ALL_HOSTS = [
    "localhost",
    "hub.docker.com", "registry-1.docker.io", "auth.docker.io",
    "ghcr.io",
    "gitlab.com", "registry.gitlab.com",
    "quay.io",
    "acme.jfrog.io",
    "myreg.azurecr.io",
    # Cloud providers (ecr, gcr, aliacr, swr emulators).
    "api.ecr.us-east-1.amazonaws.com", "123456789012.dkr.ecr.us-east-1.amazonaws.com",
    "gcr.io", "us-docker.pkg.dev",
    "registry.cn-hangzhou.aliyuncs.com", "myinst-registry.cn-hangzhou.cr.aliyuncs.com",
    "cr.cn-hangzhou.aliyuncs.com", "dockerauth.cn-hangzhou.aliyuncs.com",
    "swr.cn-north-4.myhuaweicloud.com",
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def make_cert(directory: Path, hosts: list[str] | None = None) -> tuple[Path, Path]:
    """Self-signed certificate (also usable as its own CA) for `hosts` + 127.0.0.1."""
    hosts = hosts or ALL_HOSTS
    cert, key = directory / "emulator.crt", directory / "emulator.key"
    san = ",".join([f"DNS:{h}" for h in hosts] + ["IP:127.0.0.1"])
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
         "-subj", "/CN=berth-emulator", "-keyout", str(key), "-out", str(cert),
         "-addext", f"subjectAltName={san}",
         "-addext", "basicConstraints=critical,CA:TRUE"],
        check=True, capture_output=True)
    return cert, key


class Upstream:
    """A docker-registry without auth on a free port, storing under `directory`."""

    def __init__(self, directory: Path):
        self.port = free_port()
        directory.mkdir(parents=True, exist_ok=True)
        config = directory / "registry.yml"
        config.write_text(
            "version: 0.1\n"
            "log:\n  level: error\n  accesslog:\n    disabled: true\n"
            f"storage:\n  filesystem:\n    rootdirectory: {directory / 'data'}\n"
            "  delete:\n    enabled: true\n"
            f"http:\n  addr: 127.0.0.1:{self.port}\n  secret: emulator-secret\n")
        self.process = subprocess.Popen(
            ["docker-registry", "serve", str(config)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.time() + 15
        while time.time() < deadline:
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=1)
                conn.request("GET", "/v2/")
                if conn.getresponse().status == 200:
                    return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("docker-registry did not start")

    def request(self, method: str, path: str, body: bytes | None = None,
                headers: dict[str, str] | None = None) -> tuple[int, list, bytes]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        conn.request(method, path, body=body, headers=headers or {})
        resp = conn.getresponse()
        data = resp.read()
        conn.close()
        return resp.status, resp.getheaders(), data

    def catalog(self) -> list[str]:
        status, _, data = self.request("GET", "/v2/_catalog?n=1000")
        return json.loads(data).get("repositories") or [] if status == 200 else []

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()


class Tokens:
    """Opaque bearer tokens: token -> subject (user name, "" for anonymous)."""

    def __init__(self):
        self._lock = threading.Lock()
        self._tokens: dict[str, str] = {}

    def issue(self, subject: str) -> str:
        token = secrets.token_hex(16)
        with self._lock:
            self._tokens[token] = subject
        return token

    def subject(self, token: str) -> str | None:
        with self._lock:
            return self._tokens.get(token)


def repository_of(path: str) -> str | None:
    """The repository name in a /v2/<name>/(blobs|manifests|tags)/... path."""
    parts = urllib.parse.urlsplit(path).path.split("/")
    for i, part in enumerate(parts):
        if i > 2 and part in ("blobs", "manifests", "tags"):
            return "/".join(parts[2:i])
    return None


def now_iso() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


class Handler(BaseHTTPRequestHandler):
    """Base request handler: subclasses implement route(method) -> bool."""

    protocol_version = "HTTP/1.1"
    server_version = "berth-emulator"
    # Set by serve(): the shared emulator state.
    state: "State"

    def log_message(self, fmt, *args):  # quiet
        if os.environ.get("EMULATOR_VERBOSE"):
            sys.stderr.write("%s %s\n" % (self.headers.get("Host"), fmt % args))

    # ---- request helpers -------------------------------------------------------------
    @property
    def host(self) -> str:
        return (self.headers.get("Host") or "").split(":")[0]

    @property
    def url(self) -> urllib.parse.SplitResult:
        return urllib.parse.urlsplit(self.path)

    def query(self) -> dict[str, str]:
        return {k: v[-1] for k, v in urllib.parse.parse_qs(self.url.query).items()}

    def body(self) -> bytes:
        if getattr(self, "_body", None) is not None:
            return self._body
        data = b""
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            while True:
                size = int(self.rfile.readline().strip().split(b";")[0], 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    break
                data += self.rfile.read(size)
                self.rfile.readline()
        else:
            length = int(self.headers.get("Content-Length") or 0)
            data = self.rfile.read(length) if length else b""
        self._body = data
        return data

    def json_body(self):
        try:
            return json.loads(self.body() or b"null")
        except ValueError:
            return None

    def basic(self) -> tuple[str, str] | None:
        auth = self.headers.get("Authorization", "")
        if not auth.lower().startswith("basic "):
            return None
        try:
            user, _, password = base64.b64decode(auth[6:]).decode().partition(":")
        except ValueError:
            return None
        return user, password

    def bearer(self) -> str | None:
        auth = self.headers.get("Authorization", "")
        return auth[7:].strip() if auth.lower().startswith("bearer ") else None

    # ---- response helpers ------------------------------------------------------------
    def send(self, status: int, body: bytes = b"", headers: dict[str, str] | None = None,
             content_type: str | None = "application/json") -> None:
        self.send_response(status)
        headers = dict(headers or {})
        if content_type and "Content-Type" not in headers:
            headers["Content-Type"] = content_type
        for k, v in headers.items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD" and body:
            self.wfile.write(body)

    def send_json(self, status: int, obj, headers: dict[str, str] | None = None) -> None:
        self.send(status, json.dumps(obj).encode(), headers)

    def registry_error(self, status: int, code: str, message: str,
                       headers: dict[str, str] | None = None) -> None:
        h = {"Docker-Distribution-API-Version": "registry/2.0"}
        h.update(headers or {})
        self.send_json(status, {"errors": [{"code": code, "message": message}]}, h)

    # ---- registry front --------------------------------------------------------------
    def challenge(self, realm: str, service: str) -> None:
        self.registry_error(401, "UNAUTHORIZED", "authentication required", {
            "WWW-Authenticate": f'Bearer realm="{realm}",service="{service}"'})

    def token_endpoint(self, check, field: str = "token") -> None:
        """A token realm: Basic credentials checked by check(user, password) -> bool."""
        creds = self.basic()
        if creds is None:
            subject = ""
        elif check(*creds):
            subject = creds[0]
        else:
            self.send_json(401, {"details": "incorrect username or password"})
            return
        token = self.state.tokens.issue(subject)
        self.send_json(200, {field: token, "expires_in": 300, "issued_at": now_iso()})

    def bearer_subject(self) -> str | None:
        token = self.bearer()
        return None if token is None else self.state.tokens.subject(token)

    def v2_front(self, realm: str, service: str, may_write=None,
                 path: str | None = None) -> None:
        """A token-gated /v2/ front: anonymous tokens may only ping /v2/; writes
        (POST/PUT/PATCH/DELETE) to repository `name` need may_write(name) -> error or None."""
        subject = self.bearer_subject()
        upstream_path = path or self.path
        is_ping = urllib.parse.urlsplit(upstream_path).path in ("/v2", "/v2/")
        if subject is None or (subject == "" and not is_ping):
            self.challenge(realm, service)
            return
        if may_write and self.command in ("POST", "PUT", "PATCH", "DELETE"):
            name = repository_of(upstream_path)
            problem = may_write(name) if name else None
            if problem:
                self.registry_error(*problem)
                return
        self.proxy_v2(upstream_path)

    def proxy_v2(self, path: str | None = None) -> None:
        """Forwards this request (path defaults to the request's) to the upstream."""
        path = path or self.path
        headers = {k: v for k, v in self.headers.items()
                   if k.lower() not in ("authorization", "transfer-encoding",
                                        "content-length", "connection")}
        headers["X-Forwarded-Proto"] = "https"
        body = self.body() if self.command in ("POST", "PUT", "PATCH") else None
        if body is not None:
            headers["Content-Length"] = str(len(body))
        status, resp_headers, data = self.state.upstream.request(
            self.command, path, body, headers)
        self.send_response(status)
        length_sent = False
        for k, v in resp_headers:
            if k.lower() in ("connection", "transfer-encoding", "keep-alive"):
                continue
            if k.lower() == "content-length":
                if self.command == "HEAD":
                    length_sent = True
                    self.send_header(k, v)
                continue
            self.send_header(k, v)
        if not length_sent:
            self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD" and data:
            self.wfile.write(data)

    # ---- dispatch --------------------------------------------------------------------
    def route(self, method: str) -> bool:
        return False

    def _dispatch(self) -> None:
        self._body = None
        try:
            if not self.route(self.command):
                self.send_json(404, {"error": "not found", "path": self.url.path})
        except (BrokenPipeError, ConnectionResetError):
            pass

    do_GET = do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = _dispatch


class State:
    """Shared state of one emulator run; providers subclass it for their own data."""

    def __init__(self, args: argparse.Namespace, directory: Path):
        self.args = args
        self.directory = directory
        self.tokens = Tokens()
        self.lock = threading.Lock()
        self.upstream: Upstream | None = None

    def check_user(self, user: str, password: str) -> bool:
        return user == self.args.user and password == self.args.password


def arg_parser(description: str) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--dir", required=True, help="working directory (cert, registry data)")
    parser.add_argument("--user", default="alice")
    parser.add_argument("--password", default="secret")
    parser.add_argument("--no-upstream", action="store_true",
                        help="do not start a docker-registry")
    return parser


def serve(handler: type[Handler], state: State) -> None:
    """Starts the upstream and the TLS server, prints the ready line, serves forever."""
    directory = state.directory
    directory.mkdir(parents=True, exist_ok=True)
    cert, key = make_cert(directory)
    if not state.args.no_upstream:
        state.upstream = Upstream(directory / "upstream")
    handler.state = state
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(str(cert), str(key))
    server.socket = context.wrap_socket(server.socket, server_side=True)

    def stop(*_):
        if state.upstream:
            state.upstream.stop()
        os._exit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    print(json.dumps({"port": server.server_address[1], "ca": str(cert)}), flush=True)
    try:
        server.serve_forever()
    finally:
        stop()


class WebHandler(Handler):
    """Answers 200 with an HTML page for everything: a web server that is no registry."""

    def route(self, method: str) -> bool:
        self.send(200, b"<html><body>hello</body></html>", content_type="text/html")
        return True


if __name__ == "__main__":
    # `common.py --dir D`: a plain TLS web server (no registry) for negative tests.
    parsed = arg_parser("plain web server emulator").parse_args()
    parsed.no_upstream = True
    serve(WebHandler, State(parsed, Path(parsed.dir)))

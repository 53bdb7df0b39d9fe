"""Crash safety: kill -9 in the middle of a large upload, restart on the same data
directory, and nothing half-written is visible; the push then succeeds."""
from __future__ import annotations

import hashlib
import os
import socket
import time
import urllib.parse

import requests

from harness import oci
from harness.client import Registry, assert_error, basic_header

MIB = 1 << 20
BIG = 300 * MIB
SENT_BEFORE_KILL = 120 * MIB


class Pattern:
    """`size` bytes of incompressible data made of 1 MiB chunks, regenerable at will."""

    def __init__(self, size: int):
        self.size = size
        self.base = os.urandom(MIB)

    def chunks(self):
        for i in range(0, self.size, MIB):
            yield (i.to_bytes(8, "little") + self.base[8:])[: min(MIB, self.size - i)]

    def digest(self) -> str:
        h = hashlib.sha256()
        for c in self.chunks():
            h.update(c)
        return "sha256:" + h.hexdigest()


def _put_request(server, path: str, size: int) -> bytes:
    return (f"PUT {path} HTTP/1.1\r\nHost: {server.host}\r\n"
            f"Authorization: {basic_header(*server.admin)}\r\n"
            f"Content-Type: application/octet-stream\r\nContent-Length: {size}\r\n"
            f"Connection: close\r\n\r\n").encode()


def _upload_path(c: Registry, name: str, digest: str) -> str:
    r = c.start_upload(name)
    assert r.status_code == 202, r.text
    u = urllib.parse.urlsplit(c.location(r))
    q = (u.query + "&" if u.query else "") + "digest=" + urllib.parse.quote(digest)
    return f"{u.path}?{q}"


def test_kill9_during_large_upload(fresh_berth):
    server = fresh_berth
    c = Registry(server.url, server.admin, timeout=120)
    name = "library/crash"
    stable = oci.image([2000])
    c.push(name, stable, "stable")

    data = Pattern(BIG)
    digest = data.digest()
    config = oci.make_config([oci.sha256(b"not checked by registries")])
    c.push_blob(name, config)
    big_manifest = oci.canonical({
        "schemaVersion": 2, "mediaType": oci.OCI_MANIFEST,
        "config": oci.descriptor(oci.OCI_CONFIG, config),
        "layers": [{"mediaType": oci.OCI_LAYER_GZIP, "digest": digest, "size": BIG}]})

    # Stream part of the blob, then crash the server mid-body.
    path = _upload_path(c, name, digest)
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=30)
    sock.sendall(_put_request(server, path, BIG))
    sent = 0
    for chunk in data.chunks():
        sock.sendall(chunk)
        sent += len(chunk)
        if sent >= SENT_BEFORE_KILL:
            break
    time.sleep(0.2)
    server.kill9()
    sock.close()

    server.start()
    assert requests.get(server.url + "/v2/", timeout=10).status_code in (200, 401)
    assert c.get("/v2/").status_code == 200
    assert_error(c.get(f"/v2/{name}/blobs/{digest}"), 404, "BLOB_UNKNOWN")
    assert c.head(f"/v2/{name}/blobs/{digest}").status_code == 404
    assert c.tags(name).json()["tags"] == ["stable"]
    assert c.get_manifest(name, "stable").content == stable.manifest
    assert_error(c.put_manifest(name, "big", big_manifest), 400, "MANIFEST_BLOB_UNKNOWN")
    assert c.tags(name).json()["tags"] == ["stable"]

    # The same push again, complete this time.
    path = _upload_path(c, name, digest)
    with socket.create_connection(("127.0.0.1", server.port), timeout=120) as sock:
        sock.sendall(_put_request(server, path, BIG))
        for chunk in data.chunks():
            sock.sendall(chunk)
        reply = b""
        while b"\r\n\r\n" not in reply:
            part = sock.recv(65536)
            if not part:
                break
            reply += part
    assert reply.startswith(b"HTTP/1.1 201"), reply[:300]

    r = c.head(f"/v2/{name}/blobs/{digest}")
    assert r.status_code == 200 and int(r.headers["Content-Length"]) == BIG
    r = c.put_manifest(name, "big", big_manifest)
    assert r.status_code == 201, r.text
    h = hashlib.sha256()
    with c.get(f"/v2/{name}/blobs/{digest}", stream=True) as r:
        assert r.status_code == 200
        for part in r.iter_content(MIB):
            h.update(part)
    assert "sha256:" + h.hexdigest() == digest
    assert sorted(c.tags(name).json()["tags"]) == ["big", "stable"]


def test_restart_keeps_everything(fresh_berth):
    server = fresh_berth
    c = Registry(server.url, server.admin)
    img = oci.image([5000, 100])
    c.push("library/keep", img, "v1")
    server.stop()
    server.start()
    c = Registry(server.url, server.admin)
    assert c.get_manifest("library/keep", "v1").content == img.manifest
    for d, blob in img.blobs.items():
        assert c.get(f"/v2/library/keep/blobs/{d}").content == blob

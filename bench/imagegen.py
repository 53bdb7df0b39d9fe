"""Generated OCI images for the benchmarks, pushed over the distribution API.

Layers are gzip streams of stored blocks, so nothing compresses and no client recompresses
them. One keep-alive connection per thread: a Pusher may be shared by a thread pool.
"""
from __future__ import annotations

import hashlib
import http.client
import json
import os
import threading
import urllib.parse
import zlib

MIB = 1 << 20
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
OCI_LAYER = "application/vnd.oci.image.layer.v1.tar+gzip"

# A layer up to this size is sent in one PUT; a larger one is streamed in one chunked PATCH.
MONOLITHIC_MAX = 4 * MIB


class Image:
    """What was pushed: the manifest's bytes and every blob's descriptor (config first)."""

    def __init__(self, repo: str, tag: str, manifest: bytes, blobs: list[dict]):
        self.repo, self.tag, self.manifest, self.blobs = repo, tag, manifest, blobs

    @property
    def digest(self) -> str:
        return "sha256:" + hashlib.sha256(self.manifest).hexdigest()

    @property
    def bytes(self) -> int:
        return sum(b["size"] for b in self.blobs)

    def describe(self) -> str:
        layers = len(self.blobs) - 1
        return f"{layers} layer{'s' if layers > 1 else ''}, {self.bytes / MIB:.0f} MiB"


class Pusher:
    """Pushes generated images to a registry at 127.0.0.1:`port`.

    fill="random": every MiB of a layer is fresh random bytes (slower to make, never
    repeats); fill="fast": layers over MONOLITHIC_MAX repeat one random MiB behind a
    per-layer counter and offset, so every block and every layer still differs."""

    def __init__(self, port: int, fill: str = "random", timeout: float = 600):
        assert fill in ("random", "fast"), fill
        self.port, self.fill, self.timeout = port, fill, timeout
        self.local = threading.local()
        self.base = os.urandom(MIB)
        self.counter = 0
        self.lock = threading.Lock()

    def conn(self) -> http.client.HTTPConnection:
        if not hasattr(self.local, "c"):
            self.local.c = http.client.HTTPConnection("127.0.0.1", self.port,
                                                      timeout=self.timeout)
        return self.local.c

    def req(self, method, path, body=None, headers=None, chunked=False):
        h = dict(headers or {})
        if body is None:
            h["Content-Length"] = "0"
        elif not chunked:
            h["Content-Length"] = str(len(body))
        c = self.conn()
        c.request(method, path, body=body, headers=h, encode_chunked=chunked)
        r = c.getresponse()
        return r.status, r.headers, r.read()

    @staticmethod
    def location(headers, extra: str = "") -> str:
        loc = urllib.parse.urlsplit(headers["Location"])
        q = "&".join(x for x in (loc.query, extra) if x)
        return loc.path + ("?" + q if q else "")

    def _start(self, repo: str):
        status, headers, body = self.req("POST", f"/v2/{repo}/blobs/uploads/")
        assert status == 202, (status, body[:200])
        return headers

    def _finish(self, headers, digest: str, body=None) -> None:
        status, _, answer = self.req(
            "PUT", self.location(headers, "digest=" + urllib.parse.quote(digest)), body,
            {"Content-Type": "application/octet-stream"} if body is not None else None)
        assert status == 201, (status, answer[:200])

    def put_blob(self, repo: str, data: bytes) -> str:
        digest = "sha256:" + hashlib.sha256(data).hexdigest()
        self._finish(self._start(repo), digest, data)
        return digest

    def _blocks(self, size: int):
        with self.lock:
            self.counter += 1
            n = self.counter
        for off in range(0, size, MIB):
            length = min(MIB, size - off)
            if self.fill == "fast" and size > MONOLITHIC_MAX:
                yield (n.to_bytes(8, "little") + off.to_bytes(8, "little")
                       + self.base[16:])[:length]
            else:
                yield os.urandom(length)

    def layer(self, repo: str, size: int) -> tuple[dict, str]:
        """A new layer of `size` uncompressed bytes. Returns (descriptor, diff_id)."""
        packed, raw = hashlib.sha256(), hashlib.sha256()
        sent = [0]

        def stream():
            z = zlib.compressobj(0, zlib.DEFLATED, 31)
            for block in self._blocks(size):
                raw.update(block)
                out = z.compress(block)
                packed.update(out)
                sent[0] += len(out)
                yield out
            out = z.flush()
            packed.update(out)
            sent[0] += len(out)
            yield out

        headers = self._start(repo)
        if size <= MONOLITHIC_MAX:
            data = b"".join(stream())
            self._finish(headers, "sha256:" + packed.hexdigest(), data)
        else:
            status, headers, body = self.req(
                "PATCH", self.location(headers), stream(),
                {"Content-Type": "application/octet-stream"}, chunked=True)
            assert status == 202, (status, body[:200])
            self._finish(headers, "sha256:" + packed.hexdigest())
        return ({"mediaType": OCI_LAYER, "digest": "sha256:" + packed.hexdigest(),
                 "size": sent[0]}, "sha256:" + raw.hexdigest())

    def image(self, repo: str, tag: str, layer_sizes: list[int]) -> Image:
        made = [self.layer(repo, size) for size in layer_sizes]
        config = json.dumps({
            "architecture": "amd64", "os": "linux", "created": "2026-01-01T00:00:00Z",
            "rootfs": {"type": "layers", "diff_ids": [diff_id for _, diff_id in made]},
            "config": {"Labels": {"bench": f"{repo}:{tag}"}}}).encode()
        cdesc = {"mediaType": OCI_CONFIG, "digest": self.put_blob(repo, config),
                 "size": len(config)}
        manifest = json.dumps({"schemaVersion": 2, "mediaType": OCI_MANIFEST,
                               "config": cdesc, "layers": [d for d, _ in made]}).encode()
        status, _, body = self.req("PUT", f"/v2/{repo}/manifests/{tag}", manifest,
                                   {"Content-Type": OCI_MANIFEST})
        assert status == 201, (status, body[:200])
        return Image(repo, tag, manifest, [cdesc] + [d for d, _ in made])

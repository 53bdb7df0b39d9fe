"""OCI content without a container daemon: layers, configs, manifests, indexes, artifacts,
and OCI image layouts (directories skopeo reads with `oci:DIR:TAG`).

Layers are real gzip-compressed tar files holding random data, and each image config
lists the sha256 of the uncompressed tar in `rootfs.diff_ids`, so the images are valid
for any client. Small content is built in memory (`Image`, `Index`, `Artifact`); big
layers are streamed straight into a layout (`Layout.add_big_image`).
"""
from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import tarfile
from dataclasses import dataclass, field
from pathlib import Path

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
OCI_LAYER_GZIP = "application/vnd.oci.image.layer.v1.tar+gzip"
OCI_EMPTY = "application/vnd.oci.empty.v1+json"
EMPTY_JSON = b"{}"
REF_NAME = "org.opencontainers.image.ref.name"


def sha256(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def descriptor(media_type: str, data: bytes, **extra) -> dict:
    d = {"mediaType": media_type, "digest": sha256(data), "size": len(data)}
    d.update(extra)
    return d


def canonical(obj) -> bytes:
    return json.dumps(obj, separators=(",", ":"), sort_keys=False).encode()


class _RandomReader(io.RawIOBase):
    """Reads `size` random bytes (fast: 1 MiB of urandom reused with a varying prefix)."""

    def __init__(self, size: int):
        self.left = size
        self.block = os.urandom(1 << 20)
        self.n = 0

    def readable(self):
        return True

    def read(self, n=-1):
        if self.left <= 0:
            return b""
        n = self.left if n < 0 else min(n, self.left)
        out = bytearray()
        while len(out) < n:
            self.n += 1
            chunk = self.n.to_bytes(8, "little") + os.urandom(24) + self.block
            out += chunk[: n - len(out)]
        self.left -= len(out)
        return bytes(out)


class _HashingWriter(io.RawIOBase):
    def __init__(self, inner):
        self.inner = inner
        self.h = hashlib.sha256()
        self.size = 0

    def writable(self):
        return True

    def write(self, b):
        self.h.update(b)
        self.size += len(b)
        return self.inner.write(b)

    def flush(self):
        self.inner.flush()

    def digest(self) -> str:
        return "sha256:" + self.h.hexdigest()


def write_layer(out, payload_size: int, compresslevel: int = 1, name: str = "data.bin"):
    """Writes a tar.gz layer holding one random file of `payload_size` bytes into the
    binary stream `out`. Returns (diff_id, digest, size) of the compressed stream."""
    compressed = _HashingWriter(out)
    with gzip.GzipFile(fileobj=compressed, mode="wb", compresslevel=compresslevel,
                       mtime=0) as gz:
        uncompressed = _HashingWriter(gz)
        with tarfile.open(fileobj=uncompressed, mode="w|", format=tarfile.PAX_FORMAT) as tar:
            info = tarfile.TarInfo(name)
            info.size = payload_size
            info.mode = 0o644
            info.mtime = 0
            tar.addfile(info, _RandomReader(payload_size))
    return uncompressed.digest(), compressed.digest(), compressed.size


def make_layer(payload_size: int, name: str = "data.bin") -> tuple[bytes, str]:
    """A tar.gz layer in memory. Returns (compressed bytes, diff_id)."""
    buf = io.BytesIO()
    diff_id, _, _ = write_layer(buf, payload_size, name=name)
    return buf.getvalue(), diff_id


def make_config(diff_ids: list[str], arch: str = "amd64", os_name: str = "linux") -> bytes:
    return canonical({
        "created": "2026-01-01T00:00:00Z",
        "architecture": arch,
        "os": os_name,
        "config": {"Env": ["PATH=/usr/bin:/bin"]},
        "rootfs": {"type": "layers", "diff_ids": diff_ids},
        "history": [{"created": "2026-01-01T00:00:00Z", "created_by": "e2e"}
                    for _ in diff_ids],
    })


@dataclass
class Content:
    """A manifest (image, index or artifact) plus every blob it needs, in memory."""

    manifest: bytes
    media_type: str
    blobs: dict[str, bytes] = field(default_factory=dict)   # digest -> bytes
    children: list["Content"] = field(default_factory=list)  # index members
    platform: dict | None = None
    artifact_type: str | None = None

    @property
    def digest(self) -> str:
        return sha256(self.manifest)

    def descriptor(self, **extra) -> dict:
        d = {"mediaType": self.media_type, "digest": self.digest,
             "size": len(self.manifest)}
        if self.artifact_type:
            d["artifactType"] = self.artifact_type
        if self.platform:
            d["platform"] = self.platform
        d.update(extra)
        return d

    @property
    def json(self) -> dict:
        return json.loads(self.manifest)

    def all_blobs(self) -> dict[str, bytes]:
        out = dict(self.blobs)
        for child in self.children:
            out.update(child.all_blobs())
        return out


def image(layer_sizes=(1024,), arch: str = "amd64", os_name: str = "linux",
          annotations: dict | None = None, subject: dict | None = None) -> Content:
    """An OCI image with one tar.gz layer per size (payload bytes before compression)."""
    blobs = {}
    layers, diff_ids = [], []
    for i, size in enumerate(layer_sizes):
        data, diff_id = make_layer(size, name=f"layer{i}.bin")
        blobs[sha256(data)] = data
        layers.append(descriptor(OCI_LAYER_GZIP, data))
        diff_ids.append(diff_id)
    config = make_config(diff_ids, arch, os_name)
    blobs[sha256(config)] = config
    m = {"schemaVersion": 2, "mediaType": OCI_MANIFEST,
         "config": descriptor(OCI_CONFIG, config), "layers": layers}
    if subject:
        m["subject"] = subject
    if annotations:
        m["annotations"] = annotations
    return Content(canonical(m), OCI_MANIFEST, blobs,
                   platform={"architecture": arch, "os": os_name})


def index(children: list[Content], annotations: dict | None = None) -> Content:
    """An OCI image index over `children` (their platforms are recorded)."""
    m = {"schemaVersion": 2, "mediaType": OCI_INDEX,
         "manifests": [c.descriptor() for c in children]}
    if annotations:
        m["annotations"] = annotations
    return Content(canonical(m), OCI_INDEX, {}, children=list(children))


def artifact(subject: Content | dict | None, artifact_type: str | None,
             payload: bytes = b'{"sbom":"e2e"}', payload_type: str = "application/json",
             config_media_type: str | None = None, annotations: dict | None = None
             ) -> Content:
    """An OCI artifact manifest: `artifactType`, either the empty config or a config of
    `config_media_type`, one payload layer, and a `subject` (a referrer). With no
    `artifact_type` the manifest has no `artifactType` field."""
    blobs = {}
    if config_media_type:
        config = canonical({"kind": artifact_type})
        config_desc = descriptor(config_media_type, config)
    else:
        config = EMPTY_JSON
        config_desc = descriptor(OCI_EMPTY, config)
    blobs[sha256(config)] = config
    blobs[sha256(payload)] = payload
    m = {"schemaVersion": 2, "mediaType": OCI_MANIFEST}
    if artifact_type:
        m["artifactType"] = artifact_type
    m["config"] = config_desc
    m["layers"] = [descriptor(payload_type, payload)]
    if subject is not None:
        subj = subject.descriptor() if isinstance(subject, Content) else subject
        m["subject"] = {k: subj[k] for k in ("mediaType", "digest", "size")}
    m["annotations"] = annotations or {"org.opencontainers.image.created":
                                       "2026-01-01T00:00:00Z"}
    return Content(canonical(m), OCI_MANIFEST, blobs, artifact_type=artifact_type)


class Layout:
    """An OCI image layout directory: `oci-layout`, `index.json`, `blobs/sha256/`."""

    def __init__(self, path: Path):
        self.path = Path(path)
        (self.path / "blobs" / "sha256").mkdir(parents=True, exist_ok=True)
        (self.path / "oci-layout").write_text('{"imageLayoutVersion":"1.0.0"}')
        self.entries: list[dict] = []
        self._write_index()

    def blob_path(self, digest: str) -> Path:
        return self.path / "blobs" / "sha256" / digest.split(":", 1)[1]

    def put_blob(self, data: bytes) -> str:
        d = sha256(data)
        p = self.blob_path(d)
        if not p.exists():
            p.write_bytes(data)
        return d

    def add(self, content: Content, tag: str | None) -> Content:
        """Stores `content` with all its blobs and children; tags it in index.json."""
        for data in content.all_blobs().values():
            self.put_blob(data)
        for child in content.children:
            self.put_blob(child.manifest)
        self.put_blob(content.manifest)
        if tag is not None:
            self.entries = [e for e in self.entries
                            if e.get("annotations", {}).get(REF_NAME) != tag]
            desc = content.descriptor()
            desc.pop("platform", None)
            desc["annotations"] = {REF_NAME: tag}
            self.entries.append(desc)
            self._write_index()
        return content

    def add_big_image(self, tag: str, layer_payload_sizes: list[int],
                      compresslevel: int = 0) -> Content:
        """An image whose layers are streamed to disk (for sizes that do not fit the
        in-memory path comfortably). The returned Content has no blobs in memory."""
        layers, diff_ids = [], []
        for i, size in enumerate(layer_payload_sizes):
            tmp = self.path / f"tmp-layer-{i}"
            with open(tmp, "wb") as f:
                diff_id, digest, csize = write_layer(f, size, compresslevel, f"big{i}.bin")
            os.replace(tmp, self.blob_path(digest))
            layers.append({"mediaType": OCI_LAYER_GZIP, "digest": digest, "size": csize})
            diff_ids.append(diff_id)
        config = make_config(diff_ids)
        self.put_blob(config)
        m = canonical({"schemaVersion": 2, "mediaType": OCI_MANIFEST,
                       "config": descriptor(OCI_CONFIG, config), "layers": layers})
        content = Content(m, OCI_MANIFEST, {})
        return self.add(content, tag)

    def read_index(self) -> dict:
        return json.loads((self.path / "index.json").read_text())

    def manifest_for(self, tag: str) -> bytes:
        for e in self.read_index()["manifests"]:
            if e.get("annotations", {}).get(REF_NAME) == tag:
                return self.blob_path(e["digest"]).read_bytes()
        raise KeyError(tag)

    def blob_digests(self) -> set[str]:
        return {"sha256:" + p.name for p in (self.path / "blobs" / "sha256").iterdir()
                if not p.name.startswith("tmp")}

    def verify(self) -> None:
        """Every blob's name is the sha256 of its bytes."""
        for p in (self.path / "blobs" / "sha256").iterdir():
            h = hashlib.sha256()
            with open(p, "rb") as f:
                while chunk := f.read(1 << 20):
                    h.update(chunk)
            assert h.hexdigest() == p.name, f"corrupt blob {p}"

    def _write_index(self) -> None:
        (self.path / "index.json").write_text(json.dumps(
            {"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": self.entries}))

"""Malformed or hostile input is refused with the right OCI error, and nothing that was
stored before changes; no stray blob or tag becomes visible."""
from __future__ import annotations

import json
import re
import urllib.parse

import pytest

from harness import oci
from harness.client import assert_error, basic_header, raw_http


class Baseline:
    """An image tagged `base` in a fresh repository; `check()` proves it is untouched."""

    def __init__(self, target, prefix):
        self.c, self.name = target.client, target.repo(prefix)
        self.img = oci.image([1500, 700])
        self.c.push(self.name, self.img, "base")

    def check(self, absent_digests=()):
        r = self.c.get_manifest(self.name, "base")
        assert r.status_code == 200 and r.content == self.img.manifest
        assert self.c.tags(self.name).json()["tags"] == ["base"]
        for d, data in self.img.blobs.items():
            assert self.c.get(f"/v2/{self.name}/blobs/{d}").content == data
        for d in absent_digests:
            assert self.c.head(f"/v2/{self.name}/blobs/{d}").status_code == 404, d
            r = self.c.get_manifest(self.name, d)
            assert r.status_code == 404, d


def _auth_header(target) -> str:
    return f"Authorization: {basic_header(*target.auth)}\r\n" if target.auth else ""


def test_digest_mismatch(target):
    base = Baseline(target, "baddigest")
    c, name = base.c, base.name
    data, claimed = b"actual bytes", oci.sha256(b"claimed bytes")
    r = c.start_upload(name)
    r = c.put(c.location(r), params={"digest": claimed}, data=data,
              headers={"Content-Type": "application/octet-stream"})
    assert_error(r, 400, "DIGEST_INVALID")
    base.check(absent_digests=[claimed, oci.sha256(data)])


def test_manifest_digest_reference_mismatch(target):
    base = Baseline(target, "mdigest")
    other = oci.image([10])
    for d in other.blobs.values():
        base.c.push_blob(base.name, d)
    wrong = oci.sha256(b"not the manifest")
    r = base.c.put_manifest(base.name, wrong, other.manifest)
    assert_error(r, 400, ("DIGEST_INVALID", "MANIFEST_INVALID"))
    base.check(absent_digests=[wrong, other.digest])


def test_manifest_blob_unknown(target):
    base = Baseline(target, "mbu")
    img = oci.image([900])
    r = base.c.put_manifest(base.name, "broken", img.manifest)  # no blobs pushed
    assert_error(r, 400, "MANIFEST_BLOB_UNKNOWN")
    assert_error(base.c.get_manifest(base.name, "broken"), 404, "MANIFEST_UNKNOWN")
    base.check(absent_digests=[img.digest])


def test_index_naming_unknown_child(target):
    base = Baseline(target, "idxunknown")
    idx = oci.index([oci.image([10], arch="amd64"), oci.image([10], arch="arm64")])
    r = base.c.put_manifest(base.name, "broken", idx.manifest, oci.OCI_INDEX)
    assert_error(r, 400, ("MANIFEST_BLOB_UNKNOWN", "MANIFEST_UNKNOWN"))
    base.check(absent_digests=[idx.digest])


@pytest.mark.parametrize("body,media_type", [
    (b"{not json", oci.OCI_MANIFEST),
    (b"[1,2,3]", oci.OCI_MANIFEST),
    (None, "application/x-bogus"),
])
def test_manifest_invalid(target, body, media_type):
    base = Baseline(target, "minvalid")
    if body is None:
        m = json.loads(base.img.manifest)
        m["mediaType"] = media_type
        body = json.dumps(m).encode()
    r = base.c.put_manifest(base.name, "bad", body, media_type)
    assert_error(r, 400, "MANIFEST_INVALID")
    base.check(absent_digests=[oci.sha256(body)])
    assert base.c.get_manifest(base.name, "bad").status_code == 404


def test_schema1_manifest_refused(berth_target):
    base = Baseline(berth_target, "schema1")
    body = json.dumps({
        "schemaVersion": 1, "name": base.name, "tag": "old", "architecture": "amd64",
        "fsLayers": [{"blobSum": next(iter(base.img.blobs))}],
        "history": [{"v1Compatibility": "{}"}],
        "signatures": []}).encode()
    for mt in ("application/vnd.docker.distribution.manifest.v1+prettyjws",
               "application/vnd.docker.distribution.manifest.v1+json"):
        r = base.c.put_manifest(base.name, "old", body, mt)
        err = assert_error(r, 400, "MANIFEST_INVALID")
        text = f"{err.get('message')} {err.get('detail')}"
        assert re.search(r"schema\s*-?(version)?\W*1|schema1", text, re.I), text
    base.check(absent_digests=[oci.sha256(body)])


def test_manifest_too_large(target):
    base = Baseline(target, "huge")
    m = json.loads(base.img.manifest)
    m["annotations"] = {"filler": "x" * (4 << 20)}
    body = json.dumps(m).encode()
    r = base.c.put_manifest(base.name, "huge", body)
    assert r.status_code in (400, 413), r.status_code
    assert_error(r, r.status_code, ("MANIFEST_INVALID", "SIZE_INVALID"))
    base.check(absent_digests=[oci.sha256(body)])
    assert base.c.get_manifest(base.name, "huge").status_code == 404


@pytest.mark.parametrize("name", [
    "library/UpperCase",
    "library/" + "a" * 250,
    "library/a..b",
    "library/-lead",
])
def test_name_invalid(berth_target, name):
    c = berth_target.client
    assert_error(c.start_upload(name), 400, "NAME_INVALID")
    assert_error(c.put_manifest(name, "v1", oci.image([1]).manifest), 400, "NAME_INVALID")


def test_name_with_dot_dot_segment(berth_target):
    """`..` as a path component, sent verbatim (HTTP clients would normalise it)."""
    s = berth_target.server
    req = (f"POST /v2/library/../etc/blobs/uploads/ HTTP/1.1\r\nHost: {s.host}\r\n"
           f"{_auth_header(berth_target)}Content-Length: 0\r\nConnection: close\r\n\r\n")
    status, _, body = raw_http("127.0.0.1", s.port, req.encode())
    assert status in (400, 404), (status, body)
    if status == 400:
        assert json.loads(body)["errors"][0]["code"] == "NAME_INVALID"


def _upload_path(c, name) -> str:
    r = c.start_upload(name)
    assert r.status_code == 202
    u = urllib.parse.urlsplit(c.location(r))
    return u.path + ("?" + u.query if u.query else "")


def _with_digest(path, digest):
    return path + ("&" if "?" in path else "?") + "digest=" + urllib.parse.quote(digest)


def test_body_longer_than_content_length(target):
    base = Baseline(target, "cllong")
    s, body = target.server, b"0123456789" * 2
    path = _with_digest(_upload_path(base.c, base.name), oci.sha256(body))
    req = (f"PUT {path} HTTP/1.1\r\nHost: {s.host}\r\n{_auth_header(target)}"
           f"Content-Type: application/octet-stream\r\nContent-Length: 10\r\n"
           f"Connection: close\r\n\r\n").encode() + body
    status, _, _ = raw_http("127.0.0.1", s.port, req)
    assert status == 0 or status >= 400, status
    base.check(absent_digests=[oci.sha256(body), oci.sha256(body[:10])])


def test_body_shorter_than_content_length(target):
    base = Baseline(target, "clshort")
    s, body = target.server, b"short body" * 5
    path = _with_digest(_upload_path(base.c, base.name), oci.sha256(body))
    req = (f"PUT {path} HTTP/1.1\r\nHost: {s.host}\r\n{_auth_header(target)}"
           f"Content-Type: application/octet-stream\r\nContent-Length: {len(body) + 50}\r\n"
           f"Connection: close\r\n\r\n").encode() + body
    status, _, _ = raw_http("127.0.0.1", s.port, req, shutdown_write=True)
    assert status == 0 or status >= 400, status
    base.check(absent_digests=[oci.sha256(body)])


def test_manifest_body_shorter_than_content_length(target):
    base = Baseline(target, "mshort")
    s = target.server
    m = base.img.manifest
    req = (f"PUT /v2/{base.name}/manifests/cut HTTP/1.1\r\nHost: {s.host}\r\n"
           f"{_auth_header(target)}Content-Type: {oci.OCI_MANIFEST}\r\n"
           f"Content-Length: {len(m) + 100}\r\nConnection: close\r\n\r\n").encode() + m
    status, _, _ = raw_http("127.0.0.1", s.port, req, shutdown_write=True)
    assert status == 0 or status >= 400, status
    assert base.c.get_manifest(base.name, "cut").status_code == 404
    base.check()


def test_push_into_missing_project(berth_target):
    c = berth_target.client
    project = "noproject" + berth_target.repo("x")[-10:]
    name = f"{project}/app"
    r = c.start_upload(name)
    assert r.status_code in (400, 403, 404), (r.status_code, r.text)
    assert_error(r, r.status_code)
    assert project in r.text, r.text
    img = oci.image([10])
    r = c.put_manifest(name, "v1", img.manifest)
    assert r.status_code in (400, 403, 404), (r.status_code, r.text)
    assert project in r.text, r.text
    r = c.get("/v2/_catalog", params={"n": 1000})
    assert name not in r.json()["repositories"]


def test_repository_without_project_component(berth_target):
    r = berth_target.client.start_upload("toplevel" + berth_target.repo("x")[-10:])
    assert r.status_code in (400, 403, 404), (r.status_code, r.text)
    assert_error(r, r.status_code)


def _start_and_cancel(c, name):
    r = c.start_upload(name)
    assert r.status_code == 202, (r.status_code, r.text)
    return c.delete(c.location(r))


_OCTETS = {"Content-Type": "application/octet-stream"}
# Requests that name a repository not pushed yet and fail, or are cancelled: (call, status).
FAILED_PUSHES = {
    "patch of an unknown upload": (lambda c, n: c.patch(
        f"/v2/{n}/blobs/uploads/0123456789abcdef0123456789abcdef", data=b"x",
        headers=_OCTETS), 404),
    "manifest that is not JSON": (lambda c, n: c.put_manifest(n, "v1", b"{bad"), 400),
    "manifest naming missing blobs": (
        lambda c, n: c.put_manifest(n, "v1", oci.image([10]).manifest), 400),
    "monolithic post with a wrong digest": (lambda c, n: c.post(
        f"/v2/{n}/blobs/uploads/", params={"digest": oci.sha256(b"claimed")},
        data=b"actual", headers=_OCTETS), 400),
    "upload with sha512": (lambda c, n: c.post(
        f"/v2/{n}/blobs/uploads/", params={"digest-algorithm": "sha512"}), 400),
    "upload started, then cancelled": (_start_and_cancel, 204),
}


@pytest.mark.parametrize("what", sorted(FAILED_PUSHES))
def test_failed_push_leaves_no_repository(berth_target, what):
    c, name = berth_target.client, berth_target.repo("nothing")
    call, status = FAILED_PUSHES[what]
    r = call(c, name)
    assert r.status_code == status, (r.status_code, r.text)
    if status >= 400:
        assert_error(r, status)
    assert_error(c.tags(name), 404, "NAME_UNKNOWN")
    assert name not in c.get("/v2/_catalog", params={"n": 1000}).json()["repositories"]
    # A push that succeeds afterwards stores it.
    c.push(name, oci.image([100]), "v1")
    assert c.tags(name).json()["tags"] == ["v1"]

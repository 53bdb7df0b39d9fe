"""skopeo (a real client) copies into Berth, back out, and between Berth and the CNCF
registry; bytes and digests must survive every hop."""
from __future__ import annotations

import hashlib
import uuid

import pytest

from harness import oci
from harness.client import skopeo_copy, skopeo_inspect_raw


def docker_ref(server, name, ref):
    sep = "@" if ref.startswith("sha256:") else ":"
    return f"docker://{server.host}/{name}{sep}{ref}"


def inspect_digest(server, name, ref, auth) -> tuple[str, bytes]:
    p = skopeo_inspect_raw(docker_ref(server, name, ref), auth)
    assert p.returncode == 0, p.stderr.decode()
    return oci.sha256(p.stdout), p.stdout


def ok(p):
    assert p.returncode == 0, f"skopeo failed ({p.returncode}):\n{p.stderr}"
    return p


def assert_same_layouts(a: oci.Layout, b: oci.Layout, tag: str):
    assert b.manifest_for(tag) == a.manifest_for(tag)
    b.verify()
    missing = a.blob_digests() - b.blob_digests()
    # Everything reachable from the tag must have come back (layouts may hold extras).
    reachable = _reachable(a, a.manifest_for(tag))
    assert not (reachable & missing), f"blobs not copied back: {reachable & missing}"
    for d in reachable:
        assert (hashlib.sha256(b.blob_path(d).read_bytes()).hexdigest()
                == d.split(":")[1])


def _reachable(layout: oci.Layout, manifest: bytes) -> set[str]:
    import json
    m = json.loads(manifest)
    out = set()
    if "config" in m:
        out.add(m["config"]["digest"])
    for d in m.get("layers", []):
        out.add(d["digest"])
    for d in m.get("manifests", []):
        out.add(d["digest"])
        out |= _reachable(layout, layout.blob_path(d["digest"]).read_bytes())
    return out


def _targets(request, which):
    if which == "berth":
        s = request.getfixturevalue("berth")
        return s, s.admin
    s = request.getfixturevalue("cncf")
    return s, None


@pytest.fixture(params=["berth", "cncf"])
def dest(request):
    return _targets(request, request.param)


def test_multi_layer_image_round_trip(dest, layouts, tmp_path):
    server, auth = dest
    layout, img = layouts["multi"]
    name = f"library/skopeo-multi-{uuid.uuid4().hex[:10]}"
    ok(skopeo_copy(f"oci:{layout.path}:v1", docker_ref(server, name, "v1"),
                   dst_auth=auth))
    digest, raw = inspect_digest(server, name, "v1", auth)
    assert digest == img.digest and raw == img.manifest
    out = oci.Layout(tmp_path / "back")
    ok(skopeo_copy(docker_ref(server, name, "v1"), f"oci:{out.path}:v1", src_auth=auth))
    assert_same_layouts(layout, out, "v1")


def test_multi_arch_index_round_trip(dest, layouts, tmp_path):
    server, auth = dest
    layout, idx = layouts["index"]
    name = f"library/skopeo-index-{uuid.uuid4().hex[:10]}"
    ok(skopeo_copy(f"oci:{layout.path}:multi", docker_ref(server, name, "multi"),
                   dst_auth=auth, all_images=True))
    digest, raw = inspect_digest(server, name, "multi", auth)
    assert digest == idx.digest and raw == idx.manifest
    for child in idx.children:
        assert inspect_digest(server, name, child.digest, auth)[0] == child.digest
    out = oci.Layout(tmp_path / "back")
    ok(skopeo_copy(docker_ref(server, name, "multi"), f"oci:{out.path}:multi",
                   src_auth=auth, all_images=True))
    assert_same_layouts(layout, out, "multi")


def test_artifact_with_referrer(berth, berth_client, layouts, tmp_path):
    layout, subject, sbom = layouts["artifact"]
    name = f"library/skopeo-art-{uuid.uuid4().hex[:10]}"
    ok(skopeo_copy(f"oci:{layout.path}:v1", docker_ref(berth, name, "v1"),
                   dst_auth=berth.admin))
    assert inspect_digest(berth, name, "v1", berth.admin)[0] == subject.digest
    # The referrer goes in by digest over raw HTTP; the registry confirms the subject.
    for data in sbom.blobs.values():
        berth_client.push_blob(name, data)
    r = berth_client.put_manifest(name, sbom.digest, sbom.manifest)
    assert r.status_code == 201, r.text
    assert r.headers["OCI-Subject"] == subject.digest
    r = berth_client.get(f"/v2/{name}/referrers/{subject.digest}")
    assert r.status_code == 200
    assert [(m["digest"], m.get("artifactType")) for m in r.json()["manifests"]] == [
        (sbom.digest, "application/vnd.example.sbom.v1")]
    # skopeo reads the artifact back by digest, bytes unchanged.
    digest, raw = inspect_digest(berth, name, sbom.digest, berth.admin)
    assert digest == sbom.digest and raw == sbom.manifest
    out = oci.Layout(tmp_path / "back")
    ok(skopeo_copy(docker_ref(berth, name, sbom.digest), f"oci:{out.path}:sbom",
                   src_auth=berth.admin))
    assert out.manifest_for("sbom") == sbom.manifest
    for d, data in sbom.blobs.items():
        assert out.blob_path(d).read_bytes() == data


@pytest.mark.parametrize("direction", ["cncf-to-berth", "berth-to-cncf"])
def test_copy_between_berth_and_cncf(direction, berth, cncf, layouts, tmp_path):
    layout, img = layouts["multi"]
    idx_layout, idx = layouts["index"]
    src, dst = (cncf, berth) if direction == "cncf-to-berth" else (berth, cncf)
    auth = {id(berth): berth.admin, id(cncf): None}
    name = f"library/peer-{uuid.uuid4().hex[:10]}"
    ok(skopeo_copy(f"oci:{layout.path}:v1", docker_ref(src, name, "v1"),
                   dst_auth=auth[id(src)]))
    ok(skopeo_copy(f"oci:{idx_layout.path}:multi", docker_ref(src, name, "multi"),
                   dst_auth=auth[id(src)], all_images=True))
    ok(skopeo_copy(docker_ref(src, name, "v1"), docker_ref(dst, name, "v1"),
                   src_auth=auth[id(src)], dst_auth=auth[id(dst)]))
    ok(skopeo_copy(docker_ref(src, name, "multi"), docker_ref(dst, name, "multi"),
                   src_auth=auth[id(src)], dst_auth=auth[id(dst)], all_images=True))
    assert inspect_digest(dst, name, "v1", auth[id(dst)]) == (img.digest, img.manifest)
    assert inspect_digest(dst, name, "multi", auth[id(dst)]) == (idx.digest, idx.manifest)
    out = oci.Layout(tmp_path / "back")
    ok(skopeo_copy(docker_ref(dst, name, "v1"), f"oci:{out.path}:v1",
                   src_auth=auth[id(dst)]))
    assert_same_layouts(layout, out, "v1")


def test_big_image_round_trip(berth, big_layout, tmp_path):
    layout, img = big_layout
    name = f"library/skopeo-big-{uuid.uuid4().hex[:10]}"
    ok(skopeo_copy(f"oci:{layout.path}:big", docker_ref(berth, name, "big"),
                   dst_auth=berth.admin))
    assert inspect_digest(berth, name, "big", berth.admin) == (img.digest, img.manifest)
    out = oci.Layout(tmp_path / "back")
    ok(skopeo_copy(docker_ref(berth, name, "big"), f"oci:{out.path}:big",
                   src_auth=berth.admin))
    assert_same_layouts(layout, out, "big")

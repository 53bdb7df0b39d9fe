"""Credentials and access: right and wrong passwords, roles, anonymous access, the token
service, for raw HTTP and for skopeo."""
from __future__ import annotations

import uuid

import pytest
import requests

from harness import oci
from harness.client import Registry, assert_error, parse_challenge, skopeo_copy
from harness.harbor import ROLE_DEVELOPER, ROLE_GUEST

PASSWORD = "User-Pass-12345"


@pytest.fixture
def world(berth, berth_admin):
    """A private project with an image, a developer, a guest and an outsider."""
    tag = uuid.uuid4().hex[:8]
    w = type("World", (), {})()
    w.project = f"priv-{tag}"
    w.dev, w.guest, w.outsider = f"dev{tag}", f"guest{tag}", f"out{tag}"
    berth_admin.create_project(w.project, public=False)
    for user in (w.dev, w.guest, w.outsider):
        berth_admin.create_user(user, PASSWORD)
    berth_admin.add_member(w.project, w.dev, ROLE_DEVELOPER)
    berth_admin.add_member(w.project, w.guest, ROLE_GUEST)
    w.repo = f"{w.project}/app"
    w.img = oci.image([4000])
    Registry(berth.url, berth.admin).push(w.repo, w.img, "v1")
    w.public_repo = f"library/pub-{tag}"
    Registry(berth.url, berth.admin).push(w.public_repo, w.img, "v1")
    return w


def test_token_service_flow(berth):
    r = requests.get(berth.url + "/v2/", timeout=10)
    assert r.status_code == 401
    scheme, params = parse_challenge(r.headers["WWW-Authenticate"])
    assert scheme == "bearer"
    r = requests.get(params["realm"], params={
        "service": params.get("service", "berth"),
        "scope": "repository:library/tokentest:pull,push"}, auth=berth.admin, timeout=10)
    assert r.status_code == 200, r.text
    token = r.json()["token"]
    assert token.count(".") == 2  # a JWT
    r = requests.get(berth.url + "/v2/", headers={"Authorization": f"Bearer {token}"},
                     timeout=10)
    assert r.status_code == 200
    c = Registry(berth.url, berth.admin, mode="token")
    c.push("library/tokentest", oci.image([100]), "v1")
    assert c.get_manifest("library/tokentest", "v1").status_code == 200


def test_wrong_password(berth, world):
    bad = ("admin", "not-the-password")
    r = requests.get(berth.url + "/v2/", auth=bad, timeout=10)
    assert_error(r, 401, "UNAUTHORIZED")
    r = requests.get(berth.url + f"/v2/{world.repo}/manifests/v1", auth=bad, timeout=10)
    assert_error(r, 401, "UNAUTHORIZED")
    r = requests.get(berth.url + "/service/token",
                     params={"service": "berth", "scope": f"repository:{world.repo}:pull"},
                     auth=bad, timeout=10)
    assert r.status_code == 401
    r = requests.get(berth.url + "/api/v2.0/users/current", auth=bad, timeout=10)
    assert r.status_code == 401


def test_skopeo_credentials(berth, world, layouts, tmp_path):
    layout, _ = layouts["index"]
    src = f"oci:{layout.path}:multi"
    dest = f"docker://{berth.host}/{world.repo}:sk"
    p = skopeo_copy(src, dest, dst_auth=(world.dev, "wrong-password"), all_images=True)
    assert p.returncode != 0
    p = skopeo_copy(src, dest, dst_auth=(world.guest, PASSWORD), all_images=True)
    assert p.returncode != 0, "a guest must not push"
    p = skopeo_copy(src, dest, dst_auth=(world.dev, PASSWORD), all_images=True)
    assert p.returncode == 0, p.stderr
    out = tmp_path / "out"
    p = skopeo_copy(dest, f"oci:{out}:sk", src_auth=(world.guest, PASSWORD),
                    all_images=True)
    assert p.returncode == 0, p.stderr
    p = skopeo_copy(dest, f"oci:{out}:anon", all_images=True, extra=["--src-no-creds"])
    assert p.returncode != 0, "anonymous pull of a private project must fail"


def test_roles_on_raw_api(berth, world):
    dev = Registry(berth.url, (world.dev, PASSWORD))
    guest = Registry(berth.url, (world.guest, PASSWORD))
    outsider = Registry(berth.url, (world.outsider, PASSWORD))
    assert guest.get_manifest(world.repo, "v1").content == world.img.manifest
    assert dev.get_manifest(world.repo, "v1").status_code == 200
    assert_error(guest.start_upload(world.repo), 403, "DENIED")
    assert_error(guest.put_manifest(world.repo, "v2", world.img.manifest), 403, "DENIED")
    assert_error(outsider.start_upload(world.repo), 403, "DENIED")
    assert_error(outsider.get_manifest(world.repo, "v1"), (401, 403, 404),
                 ("DENIED", "UNAUTHORIZED", "NAME_UNKNOWN"))
    # A developer pushes; the outsider may still pull the public project.
    dev.push(world.repo, oci.image([50]), "dev")
    assert outsider.get_manifest(world.public_repo, "v1").status_code == 200
    assert_error(outsider.start_upload(world.public_repo), 403, "DENIED")


def test_token_without_push_scope_cannot_push(berth, world):
    guest = Registry(berth.url, (world.guest, PASSWORD), mode="token")
    assert guest.get_manifest(world.repo, "v1").status_code == 200
    r = guest.start_upload(world.repo)
    assert_error(r, (401, 403), ("DENIED", "UNAUTHORIZED"))
    assert guest.tags(world.repo).json()["tags"] == ["v1"]


def test_anonymous_access(berth, world):
    anon = Registry(berth.url, None, mode="token")
    r = anon.get_manifest(world.public_repo, "v1")
    assert r.status_code == 200 and r.content == world.img.manifest
    blob = next(iter(world.img.blobs))
    assert anon.get(f"/v2/{world.public_repo}/blobs/{blob}").status_code == 200
    assert_error(anon.get_manifest(world.repo, "v1"), 401, "UNAUTHORIZED")
    assert_error(anon.start_upload(world.public_repo), 401, "UNAUTHORIZED")
    plain = Registry(berth.url, None, mode="none")
    assert_error(plain.get_manifest(world.repo, "v1"), 401, "UNAUTHORIZED")
    assert "WWW-Authenticate" in plain.get_manifest(world.repo, "v1").headers


def test_anonymous_skopeo_pull_of_public_project(berth, world, tmp_path):
    p = skopeo_copy(f"docker://{berth.host}/{world.public_repo}:v1",
                    f"oci:{tmp_path / 'out'}:v1", extra=["--src-no-creds"])
    assert p.returncode == 0, p.stderr
    assert (tmp_path / "out" / "blobs" / "sha256" / world.img.digest.split(":")[1]).exists()


def test_mount_from_unreadable_repo_falls_back_to_upload(berth, world, berth_admin):
    """A user who cannot read the source must not learn or link its blobs."""
    tag = uuid.uuid4().hex[:8]
    mine = f"mine-{tag}"
    berth_admin.create_project(mine, public=False)
    berth_admin.add_member(mine, world.outsider, ROLE_DEVELOPER)
    outsider = Registry(berth.url, (world.outsider, PASSWORD))
    secret = next(iter(world.img.blobs))
    r = outsider.post(f"/v2/{mine}/app/blobs/uploads/",
                      params={"mount": secret, "from": world.repo})
    assert r.status_code == 202, (r.status_code, r.text)
    assert outsider.head(f"/v2/{mine}/app/blobs/{secret}").status_code == 404


def test_expired_or_short_token_challenge_says_why(berth, world):
    """RFC 6750 error codes in the challenge: containerd drops a cached token only when
    told it is invalid or lacks the scope."""
    guest = Registry(berth.url, (world.guest, PASSWORD), mode="token")
    token = guest.fetch_token(berth.url + "/service/token", "berth",
                              f"repository:{world.repo}:pull")
    headers = {"Authorization": f"Bearer {token}"}
    r = requests.post(berth.url + f"/v2/{world.repo}/blobs/uploads/", headers=headers,
                      timeout=10)
    assert r.status_code == 401
    _, params = parse_challenge(r.headers["WWW-Authenticate"])
    assert params.get("error") == "insufficient_scope", r.headers["WWW-Authenticate"]
    r = requests.get(berth.url + f"/v2/{world.repo}/tags/list",
                     headers={"Authorization": "Bearer not.a.token"}, timeout=10)
    assert r.status_code == 401
    _, params = parse_challenge(r.headers["WWW-Authenticate"])
    assert params.get("error") == "invalid_token"
    # Without a Bearer token there is nothing to call invalid.
    r = requests.get(berth.url + f"/v2/{world.repo}/tags/list", timeout=10)
    assert "error" not in parse_challenge(r.headers["WWW-Authenticate"])[1]


def test_robot_account_pushes_and_pulls_with_skopeo(berth, world, tmp_path):
    """A CI robot: created through Harbor's API, used by a real client, then disabled."""
    def api(method, path, **kw):
        return requests.request(method, berth.url + "/api/v2.0" + path, auth=berth.admin,
                                timeout=30, **kw)
    r = api("POST", "/robots", json={
        "name": f"ci-{uuid.uuid4().hex[:6]}", "level": "system", "duration": -1,
        "permissions": [{"kind": "project", "namespace": world.project, "access": [
            {"resource": "repository", "action": "pull"},
            {"resource": "repository", "action": "push"}]}]})
    assert r.status_code == 201, r.text
    robot = (r.json()["name"], r.json()["secret"])
    assert robot[0].startswith("robot$")

    src = f"docker://{berth.host}/{world.repo}:v1"
    dest = f"docker://{berth.host}/{world.project}/from-ci:1"
    p = skopeo_copy(src, dest, src_auth=robot, dst_auth=robot)
    assert p.returncode == 0, p.stderr
    p = skopeo_copy(dest, f"oci:{tmp_path / 'out'}:1", src_auth=robot)
    assert p.returncode == 0, p.stderr
    # Its grant is one project: not the public library's push, not another project.
    p = skopeo_copy(src, f"docker://{berth.host}/{world.public_repo}:ci", src_auth=robot,
                    dst_auth=robot)
    assert p.returncode != 0

    assert api("PUT", f"/robots/{r.json()['id']}", json={"disable": True}).status_code == 200
    p = skopeo_copy(dest, f"oci:{tmp_path / 'out2'}:1", src_auth=robot)
    assert p.returncode != 0
    assert "disabled" in p.stderr

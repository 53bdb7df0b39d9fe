"""Replication policies and executions end to end (issue 4): push Berth → CNCF registry
with name and tag filters and namespace flattening, pull CNCF → Berth, push to a second
Berth through the `harbor` provider, override off, replicated deletion, event and
scheduled triggers, stop, faults injected by a proxy in front of the destination, kill -9
in the middle of a chunked copy, and `berth replication run --wait`.

Every copied manifest is compared byte for byte with `skopeo inspect --raw` on both
sides, and every blob it names must be present at the destination.
"""
from __future__ import annotations

import datetime
import hashlib
import re
import time
import uuid

import pytest
import requests

from harness import oci, servers
from harness.client import Registry, skopeo_copy, skopeo_inspect_raw
from harness.faultproxy import Fault, FaultProxy
from harness.harbor import Admin
from harness.replication import ReplicationApi, cli

MIB = 1 << 20


def uid(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


# ---- fixtures: a Berth and a CNCF registry of this module's own ---------------------

@pytest.fixture(scope="module")
def rb(tmp_path_factory):
    server = servers.Berth(tmp_path_factory.mktemp("repl-berth") / "data",
                           extra_args=["--log-level", "debug"])
    server.start()
    yield server
    server.stop()
    servers.STARTED.remove(server)


@pytest.fixture(scope="module")
def dst(tmp_path_factory):
    server = servers.CncfRegistry(tmp_path_factory.mktemp("repl-dst") / "data")
    server.start()
    yield server
    server.stop()
    servers.STARTED.remove(server)


@pytest.fixture
def berth(rb):
    """This module's Berth, restarted on its data directory if a test left it dead."""
    if not rb.alive():
        rb.start()
    return rb


@pytest.fixture
def api(berth) -> ReplicationApi:
    a = ReplicationApi(berth)
    if not a.available():
        pytest.skip("the server answers 404 for /api/v2.0/replication/policies")
    return a


@pytest.fixture
def src(berth) -> Registry:
    return Registry(berth.url, berth.admin, mode="basic")


@pytest.fixture
def dclient(dst) -> Registry:
    return Registry(dst.url, None, mode="none")


@pytest.fixture
def admin(berth) -> Admin:
    return Admin(berth.url, berth.admin)


@pytest.fixture
def dst_id(api, dst) -> int:
    """The CNCF registry as a docker-registry endpoint (one per test: names are unique)."""
    return api.add_endpoint(uid("cncf"), dst.url)


@pytest.fixture
def project(admin) -> str:
    name = uid("rp")
    admin.create_project(name)
    return name


# ---- checks -------------------------------------------------------------------------

def raw_manifest(server, repo: str, ref: str, auth=None) -> bytes:
    sep = "@" if ref.startswith("sha256:") else ":"
    p = skopeo_inspect_raw(f"docker://{server.host}/{repo}{sep}{ref}", auth)
    assert p.returncode == 0, f"skopeo inspect {repo}{sep}{ref}: {p.stderr.decode()}"
    return p.stdout


def assert_copied(src_server, src_auth, src_repo, dst_server, dst_auth, dst_repo,
                  tag: str, content: oci.Content) -> None:
    """Identical manifest bytes (so digests) on both sides, equal to what was pushed, and
    every blob and child manifest present at the destination."""
    a = raw_manifest(src_server, src_repo, tag, src_auth)
    b = raw_manifest(dst_server, dst_repo, tag, dst_auth)
    assert a == content.manifest, f"source {src_repo}:{tag} is not what was pushed"
    assert b == a, f"{dst_repo}:{tag} differs from {src_repo}:{tag}"
    assert oci.sha256(b) == content.digest
    client = Registry(dst_server.url, dst_auth, mode="basic" if dst_auth else "none")
    for child in content.children:
        r = client.get_manifest(dst_repo, child.digest)
        assert r.status_code == 200 and r.content == child.manifest, (dst_repo, child.digest)
    for digest in content.all_blobs():
        assert client.blob_exists(dst_repo, digest), f"{dst_repo}: blob {digest} missing"


def tags_of(client: Registry, repo: str) -> list[str]:
    r = client.tags(repo)
    if r.status_code == 404:
        return []
    assert r.status_code == 200, (r.status_code, r.text)
    return sorted(r.json().get("tags") or [])


def catalog(client: Registry) -> list[str]:
    r = client.get("/v2/_catalog", params={"n": 1000})
    assert r.status_code == 200, r.text
    return r.json()["repositories"]


def small(arch: str = "amd64") -> oci.Content:
    return oci.image([4096, 2048], arch=arch)


def succeeded(api: ReplicationApi, e: dict) -> dict:
    assert e["status"] == "Succeed", f"{e}\n--- task logs ---\n{api.logs(e['id'])}"
    return e


# ---- push, pull, harbor provider ------------------------------------------------------

def test_push_name_tag_filters_and_flattening(api, src, dclient, berth, dst, dst_id,
                                              project):
    imgs = {("team/app", "v1"): small(), ("team/app", "v2"): small("arm64"),
            ("team/app", "dev-1"): small(), ("team/other", "v1"): small(),
            ("tools/cli", "v1"): small()}
    for (repo, tag), content in imgs.items():
        src.push(f"{project}/{repo}", content, tag)

    ns = uid("mirror")
    pid = api.create_policy(api.policy(
        uid("push"), dest=dst_id, dest_namespace=ns, dest_namespace_replace_count=1,
        filters=[{"type": "name", "value": f"{project}/team/*"},
                 {"type": "tag", "value": "v*", "decoration": "matches"}]))
    e = succeeded(api, api.run(pid))
    assert (e["total"], e["succeed"], e["failed"], e["in_progress"]) == (2, 2, 0, 0), e
    assert e["trigger"] == "manual" and e["end_time"]

    # replace_count 1 drops the project: <ns>/team/<name>; tags v* only
    assert sorted(r for r in catalog(dclient) if r.startswith(ns + "/")) == \
        [f"{ns}/team/app", f"{ns}/team/other"]
    assert tags_of(dclient, f"{ns}/team/app") == ["v1", "v2"]
    assert tags_of(dclient, f"{ns}/team/other") == ["v1"]
    for (repo, tag), content in imgs.items():
        if repo.startswith("team/") and tag.startswith("v"):
            assert_copied(berth, berth.admin, f"{project}/{repo}", dst, None,
                          f"{ns}/{repo}", tag, content)

    tasks = api.tasks(e["id"])
    assert len(tasks) == 2 and all(t["status"] == "Succeed" for t in tasks), tasks
    assert {t["operation"] for t in tasks} == {"copy"}
    assert all(t["execution_id"] == e["id"] for t in tasks)
    assert api.log(e["id"], tasks[0]["id"]).strip()

    # again: nothing to do, still Succeed and nothing changes
    succeeded(api, api.run(pid))
    assert tags_of(dclient, f"{ns}/team/app") == ["v1", "v2"]

    # tag excludes + legacy flattening (no replace_count: <ns>/<name>)
    flat = uid("flat")
    pid2 = api.create_policy(api.policy(
        uid("push-flat"), dest=dst_id, dest_namespace=flat,
        filters=[{"type": "name", "value": f"{project}/team/*"},
                 {"type": "tag", "value": "v*", "decoration": "excludes"}]))
    succeeded(api, api.run(pid2))
    assert [r for r in catalog(dclient) if r.startswith(flat + "/")] == [f"{flat}/app"]
    assert tags_of(dclient, f"{flat}/app") == ["dev-1"]
    assert_copied(berth, berth.admin, f"{project}/team/app", dst, None, f"{flat}/app",
                  "dev-1", imgs[("team/app", "dev-1")])


def test_pull_from_cncf(api, dclient, admin, berth, dst, dst_id):
    ns = uid("upstream")
    admin.create_project(ns)
    single = small()
    multi = oci.index([small("amd64"), small("arm64")])
    dclient.push(f"{ns}/single", single, "1.0")
    dclient.push(f"{ns}/multi", multi, "latest")
    dclient.push(f"{ns}/multi", small(), "old")
    dclient.push(uid("elsewhere") + "/x", small(), "1.0")

    pid = api.create_policy(api.policy(
        uid("pull"), src=dst_id, filters=[{"type": "name", "value": f"{ns}/**"},
                                          {"type": "tag", "value": "{1.0,latest}"}]))
    e = succeeded(api, api.run(pid))
    assert e["total"] == 2, e
    bclient = Registry(berth.url, berth.admin, mode="basic")
    assert tags_of(bclient, f"{ns}/single") == ["1.0"]
    assert tags_of(bclient, f"{ns}/multi") == ["latest"]
    assert_copied(dst, None, f"{ns}/single", berth, berth.admin, f"{ns}/single", "1.0",
                  single)
    assert_copied(dst, None, f"{ns}/multi", berth, berth.admin, f"{ns}/multi", "latest",
                  multi)


def test_push_to_second_berth_through_harbor_provider(api, src, berth, project, tmp_path):
    other = servers.Berth(tmp_path / "other", admin_password="Other-Berth-Pass-42")
    other.start()
    try:
        rid = api.add_endpoint(uid("berth2"), other.url, type_="harbor",
                               credential={"type": "basic", "access_key": "admin",
                                           "access_secret": other.admin_password})
        img, idx = small(), oci.index([small("amd64"), small("arm64")])
        src.push(f"{project}/app", img, "v1")
        src.push(f"{project}/multi", idx, "v1")
        pid = api.create_policy(api.policy(
            uid("to-berth2"), dest=rid, filters=[{"type": "name", "value": f"{project}/**"}]))
        succeeded(api, api.run(pid))
        # the project did not exist on the destination: the harbor provider made it,
        # private as the source project is
        r = requests.get(f"{other.url}/api/v2.0/projects/{project}", auth=other.admin,
                         timeout=30)
        assert r.status_code == 200, r.text
        assert r.json()["metadata"]["public"] == "false"
        # and public where the source project is, as Harbor does
        public = uid("pub")
        Admin(berth.url, berth.admin).create_project(public, public=True)
        src.push(f"{public}/app", img, "v1")
        pub_pid = api.create_policy(api.policy(
            uid("pub-to-berth2"), dest=rid, filters=[{"type": "name", "value": f"{public}/**"}]))
        succeeded(api, api.run(pub_pid))
        r = requests.get(f"{other.url}/api/v2.0/projects/{public}", timeout=30)
        assert r.status_code == 200 and r.json()["metadata"]["public"] == "true", r.text
        for repo, content in (("app", img), ("multi", idx)):
            assert_copied(berth, berth.admin, f"{project}/{repo}", other, other.admin,
                          f"{project}/{repo}", "v1", content)
    finally:
        other.stop()
        servers.STARTED.remove(other)


def test_override_off_leaves_a_differing_destination_tag_alone(api, src, dclient, berth,
                                                               dst, dst_id, project):
    ns = uid("ov")
    theirs, ours, new = small(), small(), small()
    dclient.push(f"{ns}/app", theirs, "v1")
    src.push(f"{project}/app", ours, "v1")
    src.push(f"{project}/app", new, "v2")
    body = api.policy(uid("no-override"), dest=dst_id, dest_namespace=ns,
                      dest_namespace_replace_count=1, override=False,
                      filters=[{"type": "name", "value": f"{project}/app"}])
    pid = api.create_policy(body)
    assert api.get_policy(pid)["override"] is False
    e = succeeded(api, api.run(pid))
    assert raw_manifest(dst, f"{ns}/app", "v1") == theirs.manifest
    assert_copied(berth, berth.admin, f"{project}/app", dst, None, f"{ns}/app", "v2", new)
    assert "override" in api.logs(e["id"]).lower(), "the conflict is not reported"

    api.update_policy(pid, {**body, "override": True})
    succeeded(api, api.run(pid))
    assert_copied(berth, berth.admin, f"{project}/app", dst, None, f"{ns}/app", "v1", ours)


# ---- triggers and deletion ------------------------------------------------------------

def wait_for(pred, timeout: float, what: str, poll: float = 0.25):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        v = pred()
        if v:
            return v
        time.sleep(poll)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def test_event_trigger_fires_on_push_and_replicates_deletion(api, src, dclient, berth,
                                                             dst, dst_id, project):
    ns = uid("ev")
    pid = api.create_policy(api.policy(
        uid("events"), dest=dst_id, dest_namespace=ns, dest_namespace_replace_count=1,
        trigger={"type": "event_based"}, replicate_deletion=True,
        filters=[{"type": "name", "value": f"{project}/**"},
                 {"type": "tag", "value": "release-*"}]))
    assert api.get_policy(pid)["replicate_deletion"] is True
    skipped, kept = small(), small()
    src.push(f"{project}/app", skipped, "scratch")   # the tag filter keeps it local
    src.push(f"{project}/app", kept, "release-1")
    e = api.wait_for_execution(pid, "event_based", timeout=60)
    succeeded(api, e)
    wait_for(lambda: "release-1" in tags_of(dclient, f"{ns}/app"), 30, "release-1 at dst")
    assert_copied(berth, berth.admin, f"{project}/app", dst, None, f"{ns}/app",
                  "release-1", kept)
    time.sleep(1)
    assert "scratch" not in tags_of(dclient, f"{ns}/app")

    # deletion at the source → deleted at the destination
    seen = {x["id"] for x in api.executions(pid)}
    r = src.delete(f"/v2/{project}/app/manifests/{kept.digest}")
    assert r.status_code == 202, r.text
    wait_for(lambda: dclient.get_manifest(f"{ns}/app", kept.digest).status_code == 404, 60,
             "the manifest to be deleted at the destination")
    assert dclient.get_manifest(f"{ns}/app", "release-1").status_code == 404
    e = api.wait_for_execution(pid, "event_based", timeout=30, exclude=seen)
    succeeded(api, e)
    tasks = api.tasks(e["id"])
    assert tasks and all(t["operation"] in ("deletion", "tag deletion") for t in tasks), tasks


def test_deletion_not_replicated_without_replicate_deletion(api, src, dclient, dst_id,
                                                            project):
    ns = uid("keep")
    pid = api.create_policy(api.policy(
        uid("events-keep"), dest=dst_id, dest_namespace=ns, dest_namespace_replace_count=1,
        trigger={"type": "event_based"}, filters=[{"type": "name", "value": f"{project}/**"}]))
    img = small()
    src.push(f"{project}/app", img, "v1")
    succeeded(api, api.wait_for_execution(pid, "event_based", timeout=60))
    r = src.delete(f"/v2/{project}/app/manifests/{img.digest}")
    assert r.status_code == 202, r.text
    time.sleep(3)
    assert dclient.get_manifest(f"{ns}/app", "v1").status_code == 200


def test_scheduled_trigger_fires(api, src, dclient, berth, dst, dst_id, project):
    img = small()
    src.push(f"{project}/app", img, "v1")
    now = datetime.datetime.now(datetime.timezone.utc)
    fire = (now + datetime.timedelta(seconds=8)).replace(second=0, microsecond=0) + \
        datetime.timedelta(minutes=1)  # the next minute at least 8 s away
    ns = uid("cron")
    pid = api.create_policy(api.policy(
        uid("cron"), dest=dst_id, dest_namespace=ns, dest_namespace_replace_count=1,
        trigger={"type": "scheduled",
                 "trigger_settings": {"cron": f"0 {fire.minute} * * * *"}},
        filters=[{"type": "name", "value": f"{project}/app"}]))
    assert api.executions(pid) == []
    wait = (fire - datetime.datetime.now(datetime.timezone.utc)).total_seconds()
    e = api.wait_for_execution(pid, "scheduled", timeout=wait + 30)
    succeeded(api, e)
    assert_copied(berth, berth.admin, f"{project}/app", dst, None, f"{ns}/app", "v1", img)


# ---- stop ------------------------------------------------------------------------------

def test_stop_mid_execution(api, src, dst_id, project):
    img = oci.image([12 * MIB])
    src.push(f"{project}/slow", img, "v1")
    # The test layers compress well: pick the speed from the real blob bytes so that
    # copying them takes about 20 s.
    total = sum(len(b) for b in img.blobs.values())
    kbps = max(8, total * 8 // 1000 // 20)
    pid = api.create_policy(api.policy(
        uid("slow"), dest=dst_id, dest_namespace=uid("stop"), speed=kbps,
        filters=[{"type": "name", "value": f"{project}/slow"}]))
    eid = api.start(pid)
    wait_for(lambda: any(t["status"] == "InProgress" for t in api.tasks(eid)), 30,
             "a running task")
    time.sleep(2)  # inside the layer
    assert api.execution(eid)["status"] == "InProgress"
    r = api.call("DELETE", f"/replication/policies/{pid}")
    assert r.status_code == 412, (r.status_code, r.text)
    t = time.monotonic()
    api.stop(eid)
    e = api.wait(eid, timeout=15, poll=0.1)
    took = time.monotonic() - t
    assert e["status"] == "Stopped", e
    assert took < 5, f"stop took {took:.1f}s"
    assert all(x["status"] == "Stopped" for x in api.tasks(eid))
    assert api.call("DELETE", f"/replication/policies/{pid}").status_code == 200


# ---- faults ----------------------------------------------------------------------------

@pytest.fixture
def proxy(dst):
    p = FaultProxy("127.0.0.1", dst.port).start()
    yield p
    p.stop()


@pytest.mark.parametrize("chunked", [False, True], ids=["monolithic", "chunked"])
def test_faults_between_berth_and_destination(api, src, berth, dst, proxy, project,
                                              chunked):
    rid = api.add_endpoint(uid("faulty"), proxy.url)  # registered before any fault
    imgs = {}
    for i in range(3):
        for tag in ("v1", "v2"):
            imgs[(f"app{i}", tag)] = oci.image([1 * MIB + 12345 * i, 200 << 10])
            src.push(f"{project}/app{i}", imgs[(f"app{i}", tag)], tag)
    rules = [
        proxy.add(Fault.status(500, method="POST", path=r"/blobs/uploads/", every=3,
                               times=4)),
        proxy.add(Fault.status(429, method="HEAD", path=r"/blobs/", every=4, times=4)),
        proxy.add(Fault.drop_request(after=64 << 10, method="PUT|PATCH",
                                     path=r"/blobs/uploads/", every=2, times=3)),
        proxy.add(Fault.drop_response(after=0, method="PUT", path=r"/manifests/", every=2,
                                      times=2)),
        proxy.add(Fault.stall(3, method="HEAD|GET", path=r"/manifests/", times=1)),
        proxy.add(Fault.status(503, fraction=0.05, seed=4, times=5)),
    ]
    ns = uid("faults")
    pid = api.create_policy(api.policy(
        uid("faults"), dest=rid, dest_namespace=ns, dest_namespace_replace_count=1,
        copy_by_chunk=chunked, filters=[{"type": "name", "value": f"{project}/app*"}]))
    e = api.run(pid, timeout=200)
    succeeded(api, e)
    for rule in rules[:5]:
        assert rule.fired > 0, f"fault never fired: {rule}"
    proxy.clear()
    for (repo, tag), content in imgs.items():
        assert_copied(berth, berth.admin, f"{project}/{repo}", dst, None, f"{ns}/{repo}",
                      tag, content)


# ---- kill -9 ----------------------------------------------------------------------------

@pytest.fixture
def berth2(tmp_path):
    """A second Berth as a destination: it keeps the bytes of a chunk whose connection
    broke and reports them on GET of the upload, so a copy can resume mid-blob."""
    other = servers.Berth(tmp_path / "berth2", admin_password="Other-Berth-Pass-42")
    other.start()
    yield other
    other.stop()
    servers.STARTED.remove(other)


def test_harbor_destination_tag_deletion_and_proxy_cache_projects(api, src, berth, berth2,
                                                                   project):
    """Against a Harbor-type destination (a second Berth): a deleted tag is deleted there
    through Harbor's tag API, keeping the manifest; projects that are proxy caches, there
    or here, are left out of a run instead of failing it, as Harbor does."""
    cred = {"type": "basic", "access_key": "admin", "access_secret": berth2.admin_password}
    rid = api.add_endpoint(uid("h2"), berth2.url, type_="harbor", credential=cred)
    other = Registry(berth2.url, berth2.admin, mode="basic")
    pid = api.create_policy(api.policy(
        uid("tagdel"), dest=rid, trigger={"type": "event_based"}, replicate_deletion=True,
        filters=[{"type": "name", "value": f"{project}/**"}]))
    img = small()
    src.push(f"{project}/app", img, "v1")
    src.put_manifest(f"{project}/app", "v2", img.manifest)
    wait_for(lambda: tags_of(other, f"{project}/app") == ["v1", "v2"], 60, "both tags there")
    seen = {x["id"] for x in api.executions(pid)}
    r = requests.delete(f"{berth.url}/api/v2.0/projects/{project}/repositories/app/artifacts"
                        f"/v2/tags/v2", auth=berth.admin, timeout=30)
    assert r.status_code == 200, r.text
    wait_for(lambda: tags_of(other, f"{project}/app") == ["v1"], 60, "v2 gone there")
    assert other.get_manifest(f"{project}/app", img.digest).status_code == 200
    succeeded(api, api.wait_for_execution(pid, "event_based", timeout=30, exclude=seen))
    api.call("PUT", f"/replication/policies/{pid}", json=api.policy(
        uid("tagdel"), dest=rid, enabled=False,
        filters=[{"type": "name", "value": f"{project}/**"}]))

    # A proxy-cache project at the destination: skipped, the run succeeds.
    there = ReplicationApi(berth2)
    up = there.add_endpoint(uid("up"), berth.url, type_="harbor", credential={
        "type": "basic", "access_key": "admin", "access_secret": berth.admin_password})
    cache = uid("cachep")
    r = requests.post(f"{berth2.url}/api/v2.0/projects", auth=berth2.admin, timeout=30,
                      json={"project_name": cache, "registry_id": up,
                            "metadata": {"public": "true"}})
    assert r.status_code == 201, r.text
    push = api.create_policy(api.policy(
        uid("to-cache"), dest=rid, dest_namespace=cache, dest_namespace_replace_count=1,
        filters=[{"type": "name", "value": f"{project}/app"}]))
    e = succeeded(api, api.run(push))
    assert cache in e["status_text"] and "proxy-cache" in e["status_text"], e
    assert tags_of(other, f"{cache}/app") == []

    # And here: a pull rule does not write into this Berth's own proxy-cache project.
    local_cache = uid("lcache")
    r = requests.post(f"{berth.url}/api/v2.0/projects", auth=berth.admin, timeout=30,
                      json={"project_name": local_cache, "registry_id": rid})
    assert r.status_code == 201, r.text
    pull = api.create_policy(api.policy(
        uid("into-cache"), src=rid, dest_namespace=local_cache,
        dest_namespace_replace_count=1, filters=[{"type": "name", "value": f"{project}/app"}]))
    e = succeeded(api, api.run(pull))
    assert local_cache in e["status_text"], e
    assert tags_of(src, f"{local_cache}/app") == []

    # A pull rule's label filter sees the labels of a Harbor source (its API's).
    r = requests.post(f"{berth2.url}/api/v2.0/labels", auth=berth2.admin, timeout=30,
                      json={"name": "prod", "scope": "g"})
    assert r.status_code == 201, r.text
    label_id = int(r.headers["Location"].rsplit("/", 1)[1])
    labelled, plain = small(), small()
    other.push(f"{project}/lab", labelled, "v1")
    other.push(f"{project}/lab", plain, "v2")
    r = requests.post(f"{berth2.url}/api/v2.0/projects/{project}/repositories/lab/artifacts/v1/"
                      "labels", auth=berth2.admin, timeout=30, json={"id": label_id})
    assert r.status_code == 200, r.text
    ns = uid("lab")
    by_label = api.create_policy(api.policy(
        uid("by-label"), src=rid, dest_namespace=ns, dest_namespace_replace_count=1,
        filters=[{"type": "name", "value": f"{project}/lab"},
                 {"type": "label", "value": ["prod"], "decoration": "matches"}]))
    succeeded(api, api.run(by_label))
    assert tags_of(src, f"{ns}/lab") == ["v1"]


def blob_digest_at(server, auth, repo: str, digest: str) -> str:
    h = hashlib.sha256()
    with requests.get(f"{server.url}/v2/{repo}/blobs/{digest}", auth=auth, stream=True,
                      timeout=120) as r:
        assert r.status_code == 200, r.status_code
        for chunk in r.iter_content(4 * MIB):
            h.update(chunk)
    return "sha256:" + h.hexdigest()


@pytest.mark.parametrize("destination", ["berth", "cncf"])
def test_kill9_mid_chunked_copy(api, berth, dst, project, big_layout, request, destination):
    """kill -9 in the middle of a chunked copy of a 160 MiB layer; after the restart the
    execution ends Succeed with identical bytes. A Berth destination keeps what arrived
    before the kill, so the copy resumes mid-blob. The CNCF registry (and every registry
    built on its code, Harbor's included) refuses an upload whose last chunk broke off
    (BLOB_UPLOAD_INVALID: the offset in its signed _state no longer matches), so there the
    blob starts again from zero; only the end result is checked."""
    layout, img = big_layout
    p = skopeo_copy(f"oci:{layout.path}:big",
                    f"docker://{berth.host}/{project}/big:v1", dst_auth=berth.admin)
    assert p.returncode == 0, p.stderr
    size = img.json["layers"][0]["size"]
    if destination == "berth":
        target = request.getfixturevalue("berth2")
        target_auth = target.admin
        credential = {"type": "basic", "access_key": "admin",
                      "access_secret": target.admin_password}
        kind = "harbor"
    else:
        target, target_auth, credential, kind = dst, None, None, "docker-registry"
    proxy = FaultProxy("127.0.0.1", target.port).start()
    try:
        rid = api.add_endpoint(uid("k9"), proxy.url, type_=kind, credential=credential)
        ns = uid("k9")
        pid = api.create_policy(api.policy(
            uid("k9"), dest=rid, dest_namespace=ns, dest_namespace_replace_count=1,
            copy_by_chunk=True, speed=240_000,  # 30 MB/s: about 6 s for the layer
            filters=[{"type": "name", "value": f"{project}/big"}]))
        eid = api.start(pid)
        wait_for(lambda: proxy.bytes_up >= 0.4 * size, 60, "40 % of the layer to be sent",
                 poll=0.02)
        berth.kill9()
        sent_before = proxy.bytes_up
        assert sent_before < 0.9 * size, "the copy ended before the kill"
        berth.start()
        e = api.wait(eid, timeout=180)
        succeeded(api, e)
        resent = proxy.bytes_up - sent_before
        if destination == "berth":
            assert resent < 0.8 * size, (
                f"after the restart {resent / MIB:.0f} MiB were sent for a "
                f"{size / MIB:.0f} MiB layer of which {sent_before / MIB:.0f} MiB had gone: "
                "not resumed mid-blob")
    finally:
        proxy.stop()
    raw = raw_manifest(target, f"{ns}/big", "v1", target_auth)
    assert raw == raw_manifest(berth, f"{project}/big", "v1", berth.admin) == img.manifest
    layer = img.json["layers"][0]["digest"]
    assert blob_digest_at(target, target_auth, f"{ns}/big", layer) == layer


# ---- CLI ---------------------------------------------------------------------------------

def test_cli_run_wait(api, src, berth, dst, dst_id, project):
    img = oci.image([3 * MIB])
    src.push(f"{project}/cli", img, "v1")
    ns = uid("cli")
    name = uid("cli")
    pid = api.create_policy(api.policy(
        name, dest=dst_id, dest_namespace=ns, dest_namespace_replace_count=1,
        filters=[{"type": "name", "value": f"{project}/cli"}]))
    p = cli(berth, "run", name, "--wait")  # POLICY by name
    out = p.stdout + p.stderr
    assert p.returncode == 0, out
    assert re.search(r"succe", out, re.I), out
    assert "artifacts" in p.stderr, f"no progress in:\n{out}"
    assert re.search(r"\d+(\.\d+)?\s*[KMG]i?B", p.stderr), f"no byte progress in:\n{out}"
    (e,) = api.executions(pid)
    assert e["status"] == "Succeed"
    p = cli(berth, "executions", "--policy", str(pid))
    assert p.returncode == 0 and str(e["id"]) in p.stdout, p.stdout + p.stderr
    assert_copied(berth, berth.admin, f"{project}/cli", dst, None, f"{ns}/cli", "v1", img)

"""Smoke test of the Harbor-compatible admin API (/api/v2.0)."""
from __future__ import annotations

import re
import uuid

import requests

from harness import oci
from harness.client import Registry, skopeo_inspect_raw


def api(berth, method, path, **kw):
    kw.setdefault("auth", berth.admin)
    kw.setdefault("timeout", 30)
    return requests.request(method, berth.url + "/api/v2.0" + path, **kw)


def harbor_error(r, status):
    assert r.status_code == status, (r.status_code, r.text)
    body = r.json()
    assert body["errors"] and "code" in body["errors"][0] and "message" in body["errors"][0]


def test_ping_and_systeminfo(berth):
    r = api(berth, "GET", "/ping", auth=None)
    assert r.status_code == 200 and "pong" in r.text.lower()
    r = api(berth, "GET", "/systeminfo")
    assert r.status_code == 200
    assert isinstance(r.json(), dict)


def test_current_user(berth):
    r = api(berth, "GET", "/users/current")
    assert r.status_code == 200
    body = r.json()
    assert body["username"] == "admin"
    assert body.get("sysadmin_flag") is True
    assert "password" not in body
    r = api(berth, "GET", "/users/current", auth=None)
    harbor_error(r, 401)


def test_request_id_is_echoed(berth):
    rid = "e2e-" + uuid.uuid4().hex
    r = api(berth, "GET", "/systeminfo", headers={"X-Request-Id": rid})
    assert r.headers.get("X-Request-Id") == rid
    r = requests.get(berth.url + "/v2/", headers={"X-Request-Id": rid}, timeout=10)
    assert r.headers.get("X-Request-Id") == rid


def test_projects_crud(berth):
    names = [f"proj{uuid.uuid4().hex[:8]}" for _ in range(3)]
    for name in names:
        r = api(berth, "POST", "/projects",
                json={"project_name": name, "metadata": {"public": "false"}})
        assert r.status_code == 201, r.text
    r = api(berth, "POST", "/projects", json={"project_name": names[0]})
    harbor_error(r, 409)
    r = api(berth, "GET", "/projects", params={"page": 1, "page_size": 1})
    assert r.status_code == 200
    total = int(r.headers["X-Total-Count"])
    assert total >= 4  # library + ours
    assert len(r.json()) == 1
    assert re.search(r'<[^>]*page=2[^>]*>;\s*rel="next"', r.headers["Link"]), r.headers["Link"]
    r = api(berth, "GET", "/projects", params={"name": names[1]})
    assert [p["name"] for p in r.json()] == [names[1]]
    r = api(berth, "GET", f"/projects/{names[1]}")
    assert r.status_code == 200
    body = r.json()
    assert body["name"] == names[1]
    assert body["metadata"]["public"] == "false"
    assert api(berth, "HEAD", "/projects", params={"project_name": names[1]}).status_code == 200
    assert api(berth, "HEAD", "/projects",
               params={"project_name": "nope" + names[1]}).status_code == 404
    r = api(berth, "GET", "/projects/library")
    assert r.status_code == 200 and r.json()["metadata"]["public"] == "true"
    assert api(berth, "DELETE", f"/projects/{names[2]}").status_code == 200
    harbor_error(api(berth, "GET", f"/projects/{names[2]}"), 404)
    r = api(berth, "POST", "/projects", json={"project_name": "Bad Name!"})
    harbor_error(r, 400)


def test_repositories_and_artifacts_after_push(berth):
    project = f"arts{uuid.uuid4().hex[:8]}"
    assert api(berth, "POST", "/projects",
               json={"project_name": project, "metadata": {"public": "true"}}
               ).status_code == 201
    c = Registry(berth.url, berth.admin)
    img = oci.image([3000, 1000])
    c.push(f"{project}/app", img, "v1")
    c.put_manifest(f"{project}/app", "latest", img.manifest)
    c.push(f"{project}/tools/cli", oci.image([10]), "1.0")
    r = api(berth, "GET", f"/projects/{project}/repositories")
    assert r.status_code == 200
    assert sorted(x["name"] for x in r.json()) == [f"{project}/app", f"{project}/tools/cli"]
    assert int(r.headers["X-Total-Count"]) == 2
    r = api(berth, "GET", f"/projects/{project}/repositories/app/artifacts",
            params={"with_tag": "true"})
    assert r.status_code == 200
    arts = r.json()
    assert [a["digest"] for a in arts] == [img.digest]
    assert sorted(t["name"] for t in arts[0]["tags"]) == ["latest", "v1"]
    # Nested repository names are URL-encoded twice in Harbor's API.
    r = api(berth, "GET", f"/projects/{project}/repositories/tools%252Fcli/artifacts")
    assert r.status_code == 200 and len(r.json()) == 1
    # A project with repositories cannot be deleted.
    r = api(berth, "DELETE", f"/projects/{project}")
    assert r.status_code in (400, 409, 412), r.status_code


def test_tag_description_search_and_statistics(berth):
    """What Harbor's artifact and repository pages and its top bar do, with a real
    client pulling the tag the API made."""
    project = f"tags{uuid.uuid4().hex[:8]}"
    assert api(berth, "POST", "/projects",
               json={"project_name": project, "metadata": {"public": "false"}}
               ).status_code == 201
    c = Registry(berth.url, berth.admin)
    img = oci.image([2000])
    c.push(f"{project}/app", img, "v1")
    arts = f"/projects/{project}/repositories/app/artifacts"

    r = api(berth, "POST", f"{arts}/v1/tags", json={"name": "release-1"})
    assert r.status_code == 201, r.text
    assert r.headers["Location"] == f"/api/v2.0{arts}/v1/tags/release-1"
    harbor_error(api(berth, "POST", f"{arts}/v1/tags", json={"name": "release-1"}), 409)
    harbor_error(api(berth, "POST", f"{arts}/v1/tags", json={"name": "-x"}), 400)
    # A real client pulls the new tag: the same manifest, byte for byte.
    p = skopeo_inspect_raw(f"docker://{berth.host}/{project}/app:release-1", berth.admin)
    assert p.returncode == 0, p.stderr.decode()
    assert oci.sha256(p.stdout) == img.digest
    assert sorted(c.tags(f"{project}/app").json()["tags"]) == ["release-1", "v1"]

    repo = f"/projects/{project}/repositories/app"
    assert api(berth, "PUT", repo, json={"description": "built nightly"}).status_code == 200
    assert api(berth, "GET", repo).json()["description"] == "built nightly"

    r = api(berth, "GET", "/search", params={"q": project})
    assert r.status_code == 200, r.text
    found = r.json()
    assert [p["name"] for p in found["project"]] == [project]
    assert [x["repository_name"] for x in found["repository"]] == [f"{project}/app"]
    assert found["repository"][0]["artifact_count"] == 1
    # Private: anonymous callers find nothing of it.
    r = api(berth, "GET", "/search", params={"q": project}, auth=None)
    assert r.json() == {"project": [], "repository": []}

    stats = api(berth, "GET", "/statistics").json()
    assert stats["private_project_count"] >= 1 and stats["total_repo_count"] >= 1
    assert stats["total_storage_consumption"] >= 2000
    harbor_error(api(berth, "GET", "/statistics", auth=None), 401)

"""JFrog Artifactory emulator (acme.jfrog.io): system ping, repository list/create
(/artifactory/api/repositories), per-repository Docker API
(/artifactory/api/docker/<key>/v2/...), and the /v2/ front (repository-path layout
/v2/<key>/<image>) over a docker-registry. Basic auth with --user/--password."""

import json
import sys
import urllib.parse
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common  # noqa: E402

HOST = "acme.jfrog.io"
REALM = f"https://{HOST}/artifactory/api/docker/token"


class ArtifactoryHandler(common.Handler):
    def route(self, method: str) -> bool:
        if self.host != HOST:
            return False
        path = self.url.path
        if path == "/artifactory/api/docker/token":
            self.token_endpoint(self.state.check_user)
            return True
        if path.startswith("/v2"):
            self.v2_front(REALM, HOST, self.may_write)
            return True
        if path.startswith("/artifactory/api/docker/"):
            rest = path[len("/artifactory/api/docker/"):]
            key, _, sub = rest.partition("/")
            if sub.startswith("v2/_catalog"):
                if self.bearer_subject() in (None, ""):
                    self.challenge(REALM, HOST)
                    return True
                names = [r[len(key) + 1:] for r in self.state.upstream.catalog()
                         if r.startswith(key + "/")]
                self.send_json(200, {"repositories": names})
                return True
            if sub.startswith("v2"):
                self.v2_front(REALM, HOST, path="/" + sub)
                return True
            return False
        creds = self.basic()
        if creds is not None and not self.state.check_user(*creds):
            self.send_json(401, {"errors": [{"status": 401, "message": "Bad credentials"}]})
            return True
        if path == "/artifactory/api/system/ping":
            self.send(200, b"OK", content_type="text/plain")
            return True
        if creds is None:
            self.send_json(401, {"errors": [{"status": 401, "message": "Unauthorized"}]})
            return True
        if method == "GET" and path == "/artifactory/api/repositories":
            wanted = self.query().get("packageType", "").lower()
            with self.state.lock:
                repos = [dict(r) for r in self.state.repos
                         if not wanted or r["packageType"].lower() == wanted]
            self.send_json(200, repos)
            return True
        if method == "PUT" and path.startswith("/artifactory/api/repositories/"):
            key = path.rsplit("/", 1)[1]
            body = self.json_body() or {}
            if body.get("key") != key or body.get("rclass") != "local":
                self.send_json(400, {"errors": [{"status": 400, "message": "bad repository"}]})
                return True
            with self.state.lock:
                if any(r["key"] == key for r in self.state.repos):
                    self.send_json(400, {"errors": [{"status": 400,
                                                     "message": "Repository already exists"}]})
                    return True
                self.state.repos.append({"key": key, "type": "LOCAL",
                                         "packageType": body.get("packageType", "docker").title(),
                                         "url": f"https://{HOST}/artifactory/{key}"})
            self.send(200, f"Successfully created repository '{key}'".encode(),
                      content_type="text/plain")
            return True
        return False

    def may_write(self, name: str):
        key = name.split("/")[0]
        with self.state.lock:
            if not any(r["key"] == key for r in self.state.repos):
                return (404, "NAME_UNKNOWN", f"repository {key} does not exist")
        return None


if __name__ == "__main__":
    args = common.arg_parser(__doc__).parse_args()
    state = common.State(args, Path(args.dir))
    state.repos = [{"key": "generic-files", "type": "LOCAL", "packageType": "Generic",
                    "url": f"https://{HOST}/artifactory/generic-files"}]
    common.serve(ArtifactoryHandler, state)

"""Docker Hub emulator: hub.docker.com API (login, namespaces, repositories),
auth.docker.io token realm, registry-1.docker.io fronting a docker-registry."""

import json
import sys
import urllib.parse
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common  # noqa: E402


class HubHandler(common.Handler):
    def route(self, method: str) -> bool:
        path = self.url.path
        if self.host == "registry-1.docker.io" and path.startswith("/v2"):
            self.v2_front("https://auth.docker.io/token", "registry.docker.io",
                          self.may_write)
            return True
        if self.host == "auth.docker.io" and path == "/token":
            self.token_endpoint(self.state.check_user)
            return True
        if self.host != "hub.docker.com":
            return False
        if method == "POST" and path == "/v2/auth/token":
            body = self.json_body() or {}
            if self.state.check_user(body.get("identifier", ""), body.get("secret", "")):
                token = self.state.tokens.issue(body["identifier"])
                self.send_json(200, {"access_token": token})
            else:
                self.send_json(401, {"detail": "Incorrect authentication credentials"})
            return True
        subject = self.bearer_subject()
        if not subject:
            self.send_json(401, {"detail": "Authentication credentials were not provided"})
            return True
        if method == "GET" and path == "/v2/repositories/namespaces":
            self.send_json(200, {"personal": subject, "namespaces": [subject]})
            return True
        parts = path.strip("/").split("/")
        if method == "GET" and len(parts) == 3 and parts[:2] == ["v2", "repositories"]:
            ns = parts[2]
            names = sorted({r.split("/")[1] for r in self.state.upstream.catalog()
                            if r.startswith(ns + "/") and r.count("/") == 1})
            q = self.query()
            page, size = int(q.get("page", "1")), int(q.get("page_size", "10"))
            chunk = names[(page - 1) * size: page * size]
            more = page * size < len(names)
            nxt = (f"https://hub.docker.com/v2/repositories/{ns}/?"
                   + urllib.parse.urlencode({"page": page + 1, "page_size": size})) if more else None
            self.send_json(200, {"count": len(names), "next": nxt, "previous": None,
                                 "results": [{"name": n, "namespace": ns} for n in chunk]})
            return True
        return False

    def may_write(self, name: str):
        # Hub repositories are <namespace>/<name>; only the user's namespace is writable.
        if name.split("/")[0] != self.bearer_subject() or name.count("/") != 1:
            return (403, "DENIED", "requested access to the resource is denied")
        return None


if __name__ == "__main__":
    args = common.arg_parser(__doc__).parse_args()
    common.serve(HubHandler, common.State(args, Path(args.dir)))

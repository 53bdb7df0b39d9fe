"""Huawei Cloud SWR emulator (stdlib only).

Host swr.<region>.myhuaweicloud.com (default cn-north-4). Credentials are the long-term
login: user "<region>@<AK>", password the login key (--user/--password).
  /v2/                         Bearer challenge (realm /swr/auth/v2/registry/auth/,
                               service "dockyard"), the realm takes Basic; pushes only into
                               organizations (namespaces) that exist (else DENIED).
  /dockyard/v2/namespaces      GET lists the account's namespaces; POST {"namespace": n}
                               creates one (400 bad name, 409 taken, also by --foreign ones).
  /dockyard/v2/namespaces/<n>  GET: 200 for own namespaces, 404 otherwise.
  /dockyard/v2/repositories?filter=center::self[|limit::N|offset::M]
                               JSON array of the account's repositories (Content-Range).
Every dockyard call needs Basic credentials (401 with an SWR error body otherwise).
"""

from __future__ import annotations

import re
import time
import urllib.parse
from pathlib import Path

import common

NAMESPACE = re.compile(r"^[a-z][a-z0-9._-]{0,62}[a-z0-9]$")
PUSH_PATH = re.compile(r"^/v2/(.+)/(blobs/uploads/.*|manifests/[^/]+)$")


class SwrState(common.State):
    def __init__(self, args, directory):
        super().__init__(args, directory)
        self.api_host = f"swr.{args.region}.myhuaweicloud.com"
        self.namespaces: dict[str, int] = {}
        self.foreign = set(args.foreign or [])


class SwrHandler(common.Handler):
    state: SwrState

    def route(self, method: str) -> bool:
        s = self.state
        if self.host != s.api_host:
            return False
        path = self.url.path
        if path.startswith("/swr/auth/v2/registry/auth"):
            self.token_endpoint(s.check_user)
            return True
        if path.startswith("/dockyard/"):
            if self.basic() is None or not s.check_user(*self.basic()):
                self.swr_error(401, "SVCSTG.SWR.4010001", "Authenticate Error")
                return True
            self.dockyard(method, path)
            return True
        if path.startswith("/v2"):
            if not self.bearer_subject():
                self.challenge(f"https://{s.api_host}/swr/auth/v2/registry/auth/", "dockyard")
                return True
            push = PUSH_PATH.match(path)
            if push and method in ("POST", "PUT", "PATCH"):
                ns = push.group(1).split("/")[0]
                with s.lock:
                    known = ns in s.namespaces
                if not known or "/" not in push.group(1):
                    self.registry_error(403, "DENIED",
                                        f"namespace {ns} not found or no permission")
                    return True
            self.proxy_v2()
            return True
        return False

    def swr_error(self, status: int, code: str, message: str) -> None:
        self.send_json(status, {"errorCode": code, "errorMessage": message})

    def namespace_json(self, name: str) -> dict:
        return {"id": self.state.namespaces[name], "name": name,
                "creator_name": self.state.args.user.split("@")[-1], "auth": 7}

    def dockyard(self, method: str, path: str) -> None:
        s = self.state
        if path == "/dockyard/v2/namespaces" and method == "GET":
            with s.lock:
                items = [self.namespace_json(n) for n in sorted(s.namespaces)]
            self.send_json(200, {"namespaces": items})
        elif path == "/dockyard/v2/namespaces" and method == "POST":
            body = self.json_body()
            name = body.get("namespace") if isinstance(body, dict) else None
            if not isinstance(name, str) or not NAMESPACE.match(name):
                self.swr_error(400, "SVCSTG.SWR.4000001", "Invalid namespace name")
                return
            with s.lock:
                if name in s.namespaces or name in s.foreign:
                    self.swr_error(409, "SVCSTG.SWR.4090001", "Namespace already exists")
                    return
                s.namespaces[name] = len(s.namespaces) + 1
            self.send(201, b"")
        elif path.startswith("/dockyard/v2/namespaces/") and method == "GET":
            name = urllib.parse.unquote(path[len("/dockyard/v2/namespaces/"):])
            with s.lock:
                reply = self.namespace_json(name) if name in s.namespaces else None
            if reply is None:
                self.swr_error(404, "SVCSTG.SWR.4040002", "Namespace not found")
            else:
                self.send_json(200, reply)
        elif path == "/dockyard/v2/repositories" and method == "GET":
            self.repositories()
        else:
            self.swr_error(404, "SVCSTG.SWR.4040001", "Not found")

    def repositories(self) -> None:
        s = self.state
        params = {}
        for part in self.query().get("filter", "").split("|"):
            key, _, value = part.partition("::")
            params[key] = value
        if params.get("center") != "self":
            self.swr_error(400, "SVCSTG.SWR.4000002", "filter must contain center::self")
            return
        limit = min(int(params.get("limit") or 1000), s.args.max_page)
        offset = int(params.get("offset") or 0)
        with s.lock:
            own = set(s.namespaces)
        repos = []
        for full in sorted(s.upstream.catalog()):
            ns, _, name = full.partition("/")
            if ns in own and name:
                repos.append({"name": name, "namespace": ns, "category": "other",
                              "path": f"{s.api_host}/{full}", "is_public": False,
                              "num_images": 1, "num_download": 0,
                              "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())})
        page = repos[offset:offset + limit]
        end = offset + len(page) - 1 if page else offset
        self.send_json(200, page, {"Content-Range": f"{offset}-{end}/{len(repos)}"})


def main() -> None:
    parser = common.arg_parser("Huawei Cloud SWR emulator")
    parser.add_argument("--region", default="cn-north-4")
    parser.add_argument("--foreign", action="append",
                        help="a namespace another account owns (repeatable)")
    parser.add_argument("--max-page", type=int, default=100,
                        help="most repositories per listing page")
    args = parser.parse_args()
    if args.user == "alice":
        args.user = f"{args.region}@AKEXAMPLE0000000001"
    common.serve(SwrHandler, SwrState(args, Path(args.dir)))


if __name__ == "__main__":
    main()

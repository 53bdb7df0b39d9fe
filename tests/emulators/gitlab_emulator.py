"""GitLab emulator: gitlab.com JWT realm (/jwt/auth) and REST API v4 (user, projects,
registry repositories, X-Next-Page paging), registry.gitlab.com fronting a
docker-registry. The personal access token is --password."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common  # noqa: E402

PROJECTS = [
    {"id": 1, "path_with_namespace": "alice/app", "container_registry_enabled": True},
    {"id": 2, "path_with_namespace": "alice/tools", "container_registry_enabled": True},
    {"id": 3, "path_with_namespace": "alice/docs", "container_registry_enabled": False},
]


class GitlabHandler(common.Handler):
    def route(self, method: str) -> bool:
        path = self.url.path
        if self.host == "registry.gitlab.com" and path.startswith("/v2"):
            self.v2_front("https://gitlab.com/jwt/auth", "container_registry", self.may_write)
            return True
        if self.host != "gitlab.com":
            return False
        if path == "/jwt/auth":
            self.token_endpoint(self.state.check_user)
            return True
        if not path.startswith("/api/v4/"):
            return False
        if self.headers.get("PRIVATE-TOKEN") != self.state.args.password:
            self.send_json(401, {"message": "401 Unauthorized"})
            return True
        parts = path.strip("/").split("/")[2:]
        if parts == ["user"]:
            self.send_json(200, {"id": 7, "username": self.state.args.user})
        elif parts == ["projects"]:
            self.paged(PROJECTS)
        elif len(parts) == 4 and parts[0] == "projects" and parts[2:] == ["registry",
                                                                          "repositories"]:
            project = next((p for p in PROJECTS if str(p["id"]) == parts[1]), None)
            if project is None:
                self.send_json(404, {"message": "404 Project Not Found"})
                return True
            if not project["container_registry_enabled"]:
                self.send_json(403, {"message": "403 Forbidden"})
                return True
            base = project["path_with_namespace"]
            repos = [r for r in self.state.upstream.catalog()
                     if r == base or r.startswith(base + "/")]
            self.paged([{"id": i + 100, "name": r[len(base):].lstrip("/"), "path": r,
                         "project_id": project["id"],
                         "location": "registry.gitlab.com/" + r}
                        for i, r in enumerate(repos)])
        else:
            return False
        return True

    def paged(self, items: list) -> None:
        q = self.query()
        page, per_page = int(q.get("page", "1")), int(q.get("per_page", "20"))
        per_page = min(per_page, 2)  # small pages so clients must follow X-Next-Page
        chunk = items[(page - 1) * per_page: page * per_page]
        more = page * per_page < len(items)
        self.send_json(200, chunk, {"X-Next-Page": str(page + 1) if more else "",
                                    "X-Total": str(len(items))})

    def may_write(self, name: str):
        if not any(name == p["path_with_namespace"] or
                   name.startswith(p["path_with_namespace"] + "/") for p in PROJECTS):
            return (403, "DENIED", "access forbidden: the project does not exist")
        return None


if __name__ == "__main__":
    args = common.arg_parser(__doc__).parse_args()
    common.serve(GitlabHandler, common.State(args, Path(args.dir)))

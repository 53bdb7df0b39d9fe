"""Quay emulator: quay.io token realm (/v2/auth), /v2/ front over a docker-registry
(pushes only into existing namespaces), organization API /api/v1/organization/ with an
OAuth2 bearer token (--oauth-token). --user/--password are account_name and
docker_cli_password."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common  # noqa: E402


class QuayHandler(common.Handler):
    def route(self, method: str) -> bool:
        if self.host != "quay.io":
            return False
        path = self.url.path
        if path == "/v2/auth":
            self.token_endpoint(self.state.check_user)
            return True
        if path.startswith("/v2"):
            self.v2_front("https://quay.io/v2/auth", "quay.io", self.may_write)
            return True
        if not path.startswith("/api/v1/organization"):
            return False
        if self.bearer() != self.state.args.oauth_token:
            self.send_json(401, {"error": "Requires authentication"})
            return True
        parts = path.strip("/").split("/")
        with self.state.lock:
            if method == "GET" and len(parts) == 4:
                if parts[3] in self.state.orgs:
                    self.send_json(200, {"name": parts[3]})
                else:
                    self.send_json(404, {"error_message": "Not Found"})
                return True
            if method == "POST" and len(parts) == 3:
                body = self.json_body() or {}
                name = body.get("name", "")
                if not name or not body.get("email"):
                    self.send_json(400, {"error_message": "name and email are required"})
                elif name in self.state.orgs or name == self.state.args.user:
                    self.send_json(400, {"error_message": "A user or organization with this "
                                                          "name already exists"})
                else:
                    self.state.orgs.add(name)
                    self.send(201, b'"Created"')
                return True
        return False

    def may_write(self, name: str):
        ns = name.split("/")[0]
        with self.state.lock:
            if ns != self.state.args.user and ns not in self.state.orgs:
                return (404, "NAME_UNKNOWN", f"namespace {ns} does not exist")
        return None


if __name__ == "__main__":
    parser = common.arg_parser(__doc__)
    parser.add_argument("--oauth-token", default="quay-oauth-token")
    args = parser.parse_args()
    state = common.State(args, Path(args.dir))
    state.orgs = set()
    common.serve(QuayHandler, state)

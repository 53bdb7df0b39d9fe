"""GitHub Container Registry emulator: ghcr.io token realm (/token) and a /v2/ front;
like the real one it has no /v2/_catalog."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common  # noqa: E402


class GhcrHandler(common.Handler):
    def route(self, method: str) -> bool:
        if self.host != "ghcr.io":
            return False
        path = self.url.path
        if path == "/token":
            self.token_endpoint(self.state.check_user)
            return True
        if path.startswith("/v2/_catalog"):
            self.registry_error(404, "NOT_FOUND", "catalog is not supported")
            return True
        if path.startswith("/v2"):
            self.v2_front("https://ghcr.io/token", "ghcr.io", self.may_write)
            return True
        return False

    def may_write(self, name: str):
        if name.split("/")[0] != self.bearer_subject():
            return (403, "DENIED", "permission_denied: write_package")
        return None


if __name__ == "__main__":
    args = common.arg_parser(__doc__).parse_args()
    common.serve(GhcrHandler, common.State(args, Path(args.dir)))

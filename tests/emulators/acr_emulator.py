"""Azure Container Registry emulator (myreg.azurecr.io): the /oauth2/token realm (Basic:
admin user/password, or user 00000000-0000-0000-0000-000000000000 with a refresh token;
answers access_token), POST /oauth2/exchange (AAD access token --aad-token → refresh
token), and a /v2/ front over a docker-registry."""

import secrets
import sys
import urllib.parse
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common  # noqa: E402

HOST = "myreg.azurecr.io"
ZERO_USER = "00000000-0000-0000-0000-000000000000"


class AcrHandler(common.Handler):
    def route(self, method: str) -> bool:
        if self.host != HOST:
            return False
        path = self.url.path
        if path == "/oauth2/token" and method == "GET":
            self.token_endpoint(self.check, field="access_token")
            return True
        if path == "/oauth2/exchange" and method == "POST":
            form = {k: v[-1] for k, v in
                    urllib.parse.parse_qs(self.body().decode()).items()}
            if (form.get("grant_type") != "access_token" or form.get("service") != HOST or
                    form.get("access_token") != self.state.args.aad_token):
                self.send_json(401, {"errors": [{"code": "UNAUTHORIZED",
                                                 "message": "invalid AAD access token"}]})
                return True
            refresh = secrets.token_hex(16)
            with self.state.lock:
                self.state.refresh_tokens.add(refresh)
            self.send_json(200, {"refresh_token": refresh})
            return True
        if path.startswith("/v2"):
            self.v2_front(f"https://{HOST}/oauth2/token", HOST)
            return True
        return False

    def check(self, user: str, password: str) -> bool:
        if user == ZERO_USER:
            with self.state.lock:
                return password in self.state.refresh_tokens
        return self.state.check_user(user, password)


if __name__ == "__main__":
    parser = common.arg_parser(__doc__)
    parser.add_argument("--aad-token", default="aad-access-token")
    args = parser.parse_args()
    state = common.State(args, Path(args.dir))
    state.refresh_tokens = set()
    common.serve(AcrHandler, state)

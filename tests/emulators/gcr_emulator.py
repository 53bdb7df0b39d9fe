"""Google Container Registry / Artifact Registry emulator (stdlib only).

At start it makes a service-account key (a real RSA key, openssl) and writes the JSON key
file to <dir>/service-account.json; the token service accepts exactly that key.

Hosts: gcr.io and us-docker.pkg.dev.
  /v2/           Bearer challenge realm="https://<host>/v2/token",service="<host>"
  /v2/token      Basic "_json_key:<service-account JSON>"; the JSON must parse (else GCR's
                 "Unable to parse json key."), be a service_account key and match the issued
                 client_email and private_key (else 401). Anonymous gets a token with no
                 rights. Tokens carry expires_in/issued_at.
  /v2/...        needs a token of the key; pushes only below "<project_id>/" (else DENIED);
                 forwarded to a docker-registry (catalog included).
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import common

HOSTS = ("gcr.io", "us-docker.pkg.dev")
PUSH_PATH = re.compile(r"^/v2/(.+)/(blobs/uploads/.*|manifests/[^/]+)$")


class GcrState(common.State):
    def __init__(self, args, directory):
        super().__init__(args, directory)
        directory.mkdir(parents=True, exist_ok=True)
        pem = subprocess.run(["openssl", "genpkey", "-algorithm", "RSA",
                              "-pkeyopt", "rsa_keygen_bits:2048"],
                             check=True, capture_output=True, text=True).stdout
        self.email = f"replicator@{args.project}.iam.gserviceaccount.com"
        self.key = {
            "type": "service_account", "project_id": args.project,
            "private_key_id": "0123456789abcdef", "private_key": pem,
            "client_email": self.email, "client_id": "100000000000000000001",
            "auth_uri": "https://accounts.google.com/o/oauth2/auth",
            "token_uri": "https://oauth2.googleapis.com/token"}
        (directory / "service-account.json").write_text(json.dumps(self.key, indent=2))


class GcrHandler(common.Handler):
    state: GcrState

    def route(self, method: str) -> bool:
        if self.host not in HOSTS or not self.url.path.startswith("/v2"):
            return False
        if self.url.path == "/v2/token":
            self.token()
            return True
        if self.bearer_subject() != self.state.email:
            self.challenge(f"https://{self.host}/v2/token", self.host)
            return True
        push = PUSH_PATH.match(self.url.path)
        if push and method in ("POST", "PUT", "PATCH", "DELETE") and \
                not push.group(1).startswith(self.state.args.project + "/"):
            self.registry_error(403, "DENIED",
                                f"Permission denied for \"{push.group(1)}\": push into "
                                f"{self.state.args.project}/...")
            return True
        self.proxy_v2()
        return True

    def token(self) -> None:
        creds = self.basic()
        if creds is None:
            self.send_json(200, {"token": self.state.tokens.issue(""), "expires_in": 3600,
                                 "issued_at": common.now_iso()})
            return
        user, secret = creds
        if user != "_json_key":
            self.send_json(401, {"errors": [{"code": "UNAUTHORIZED",
                                             "message": "Not Authorized."}]})
            return
        try:
            key = json.loads(secret)
        except ValueError:
            key = None
        if not isinstance(key, dict):
            self.send_json(400, {"errors": [{"code": "UNKNOWN",
                                             "message": "Unable to parse json key."}]})
            return
        expected = self.state.key
        if key.get("type") != "service_account" or any(
                key.get(f) != expected[f] for f in ("client_email", "private_key", "project_id")):
            self.send_json(401, {"errors": [{"code": "UNAUTHORIZED",
                                             "message": "Not Authorized."}]})
            return
        self.send_json(200, {"token": self.state.tokens.issue(self.state.email),
                             "expires_in": 3600, "issued_at": common.now_iso()})


def main() -> None:
    parser = common.arg_parser("Google Container Registry / Artifact Registry emulator")
    parser.add_argument("--project", default="berth-test-project")
    args = parser.parse_args()
    common.serve(GcrHandler, GcrState(args, Path(args.dir)))


if __name__ == "__main__":
    main()

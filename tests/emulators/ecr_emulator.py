"""Amazon ECR emulator (stdlib + Debian's python3-botocore).

Hosts (one TLS server, see common.py):
  api.ecr.<region>.amazonaws.com   the ECR JSON 1.1 API. Every request must carry a SigV4
      signature, recomputed here with botocore.auth.SigV4Auth (an independent
      implementation) from the emulator's key pair; mismatches get ECR's
      InvalidSignatureException, unknown key ids UnrecognizedClientException.
      Operations: GetAuthorizationToken, DescribeRepositories (repositoryNames or paging with
      maxResults/nextToken), CreateRepository.
  <account>.dkr.ecr.<region>.amazonaws.com   the registry: Basic AWS:<token from
      GetAuthorizationToken> (Basic challenge like ECR's), pushes only into repositories that
      were created through the API, no /v2/_catalog; forwarded to a docker-registry.
"""

from __future__ import annotations

import base64
import hmac
import re
import secrets
import time
from datetime import datetime, timezone
from pathlib import Path

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

import common

TARGET_PREFIX = "AmazonEC2ContainerRegistry_V20150921."
REPO_NAME = re.compile(r"^(?:[a-z0-9]+(?:[._-][a-z0-9]+)*/)*[a-z0-9]+(?:[._-][a-z0-9]+)*$")
AUTH_HEADER = re.compile(
    r"^AWS4-HMAC-SHA256 Credential=([^/,]+)/(\d{8})/([^/]+)/([^/]+)/aws4_request,\s*"
    r"SignedHeaders=([a-z0-9;-]+),\s*Signature=([0-9a-f]{64})$")
PUSH_PATH = re.compile(r"^/v2/(.+)/(blobs/uploads/.*|manifests/[^/]+)$")


class EcrState(common.State):
    def __init__(self, args, directory):
        super().__init__(args, directory)
        self.api_host = f"api.ecr.{args.region}.amazonaws.com"
        self.registry_host = f"{args.account}.dkr.ecr.{args.region}.amazonaws.com"
        self.repositories: dict[str, float] = {}  # name -> createdAt
        self.passwords: dict[str, float] = {}  # docker password -> expiresAt
        self.calls: list[str] = []


class EcrHandler(common.Handler):
    state: EcrState

    def route(self, method: str) -> bool:
        if self.host == self.state.api_host:
            if method == "POST" and self.url.path == "/":
                self.api()
            else:
                self.aws_error(404, "UnknownOperationException", "")
            return True
        if self.host == self.state.registry_host and self.url.path.startswith("/v2"):
            self.registry()
            return True
        return False

    # ---- API -------------------------------------------------------------------------
    def aws_error(self, status: int, kind: str, message: str) -> None:
        self.send_json(status, {"__type": kind, "message": message},
                       {"x-amzn-RequestId": secrets.token_hex(8)})

    def verify_signature(self) -> bool:
        """SigV4 check as AWS does it; answers the error itself and returns False."""
        s = self.state
        m = AUTH_HEADER.match(self.headers.get("Authorization", ""))
        if not m:
            self.aws_error(400, "MissingAuthenticationTokenException",
                           "Missing Authentication Token")
            return False
        key_id, date, region, service, signed, signature = m.groups()
        if key_id != s.args.access_key:
            self.aws_error(400, "UnrecognizedClientException",
                           "The security token included in the request is invalid.")
            return False
        if region != s.args.region:
            self.aws_error(400, "InvalidSignatureException",
                           f"Credential should be scoped to a valid region, not '{region}'.")
            return False
        if service != "ecr":
            self.aws_error(400, "InvalidSignatureException",
                           f"Credential should be scoped to correct service: 'ecr'.")
            return False
        amz_date = self.headers.get("X-Amz-Date", "")
        try:
            when = datetime.strptime(amz_date, "%Y%m%dT%H%M%SZ").replace(tzinfo=timezone.utc)
        except ValueError:
            self.aws_error(400, "IncompleteSignatureException", "X-Amz-Date is missing")
            return False
        if abs(time.time() - when.timestamp()) > 15 * 60 or date != amz_date[:8]:
            self.aws_error(400, "InvalidSignatureException", "Signature expired")
            return False
        names = signed.split(";")
        if "host" not in names or "x-amz-date" not in names:
            self.aws_error(400, "InvalidSignatureException",
                           "'Host' and 'X-Amz-Date' must be signed")
            return False
        headers = {}
        for name in names:
            value = self.headers.get(name)
            if value is None:
                self.aws_error(400, "InvalidSignatureException",
                               f"Signed header '{name}' is missing")
                return False
            headers[name] = value
        request = AWSRequest(method=self.command, url=f"https://{self.headers['Host']}{self.path}",
                             data=self.body(), headers=headers)
        request.context["timestamp"] = amz_date
        auth = SigV4Auth(Credentials(s.args.access_key, s.args.secret_key), "ecr", s.args.region)
        canonical = auth.canonical_request(request)
        expected = auth.signature(auth.string_to_sign(request, canonical), request)
        if not hmac.compare_digest(expected, signature):
            self.aws_error(400, "InvalidSignatureException",
                           "The request signature we calculated does not match the signature "
                           "you provided. Check your AWS Secret Access Key and signing method. "
                           "Consult the service documentation for details.")
            return False
        return True

    def api(self) -> None:
        if not self.verify_signature():
            return
        target = self.headers.get("X-Amz-Target", "")
        if not target.startswith(TARGET_PREFIX):
            self.aws_error(400, "UnknownOperationException", "")
            return
        if self.headers.get("Content-Type") != "application/x-amz-json-1.1":
            self.aws_error(400, "SerializationException", "expected application/x-amz-json-1.1")
            return
        body = self.json_body()
        if not isinstance(body, dict):
            self.aws_error(400, "SerializationException", "body is not a JSON object")
            return
        action = target[len(TARGET_PREFIX):]
        self.state.calls.append(action)
        registry_id = body.get("registryId")
        if registry_id is not None and registry_id != self.state.args.account:
            self.aws_error(400, "AccessDeniedException",
                           f"User is not authorized to access registry {registry_id}")
            return
        handler = {"GetAuthorizationToken": self.get_authorization_token,
                   "DescribeRepositories": self.describe_repositories,
                   "CreateRepository": self.create_repository}.get(action)
        if handler is None:
            self.aws_error(400, "UnknownOperationException", "")
            return
        handler(body)

    def get_authorization_token(self, body: dict) -> None:
        s = self.state
        for rid in body.get("registryIds") or []:
            if rid != s.args.account:
                self.aws_error(400, "AccessDeniedException",
                               f"User is not authorized to access registry {rid}")
                return
        password = secrets.token_urlsafe(48)
        expires = time.time() + 12 * 3600
        with s.lock:
            s.passwords[password] = expires
        token = base64.b64encode(f"AWS:{password}".encode()).decode()
        self.send_json(200, {"authorizationData": [{
            "authorizationToken": token, "expiresAt": expires,
            "proxyEndpoint": f"https://{s.registry_host}"}]})

    def repository(self, name: str) -> dict:
        s = self.state
        return {"repositoryArn": f"arn:aws:ecr:{s.args.region}:{s.args.account}:repository/{name}",
                "registryId": s.args.account, "repositoryName": name,
                "repositoryUri": f"{s.registry_host}/{name}",
                "createdAt": s.repositories[name], "imageTagMutability": "MUTABLE",
                "imageScanningConfiguration": {"scanOnPush": False},
                "encryptionConfiguration": {"encryptionType": "AES256"}}

    def not_found(self, name: str) -> None:
        self.aws_error(400, "RepositoryNotFoundException",
                       f"The repository with name '{name}' does not exist in the registry with "
                       f"id '{self.state.args.account}'")

    def describe_repositories(self, body: dict) -> None:
        s = self.state
        names = body.get("repositoryNames")
        with s.lock:
            if names:
                if "maxResults" in body or "nextToken" in body:
                    self.aws_error(400, "InvalidParameterException",
                                   "maxResults and nextToken cannot be used with repositoryNames")
                    return
                for name in names:
                    if name not in s.repositories:
                        self.not_found(name)
                        return
                self.send_json(200, {"repositories": [self.repository(n) for n in names]})
                return
            limit = min(int(body.get("maxResults") or 100), s.args.max_page)
            start = int(body.get("nextToken") or 0)
            ordered = sorted(s.repositories)
            page = ordered[start:start + limit]
            reply = {"repositories": [self.repository(n) for n in page]}
            if start + limit < len(ordered):
                reply["nextToken"] = str(start + limit)
        self.send_json(200, reply)

    def create_repository(self, body: dict) -> None:
        s = self.state
        name = body.get("repositoryName") or ""
        if not (2 <= len(name) <= 256) or not REPO_NAME.match(name):
            self.aws_error(400, "InvalidParameterException",
                           f"Invalid parameter at 'repositoryName' failed to satisfy constraint: "
                           f"'must satisfy regular expression '{REPO_NAME.pattern}''")
            return
        with s.lock:
            if name in s.repositories:
                self.aws_error(400, "RepositoryAlreadyExistsException",
                               f"The repository with name '{name}' already exists in the "
                               f"registry with id '{s.args.account}'")
                return
            s.repositories[name] = time.time()
            reply = {"repository": self.repository(name)}
        self.send_json(200, reply)

    # ---- registry --------------------------------------------------------------------
    def registry(self) -> None:
        s = self.state
        creds = self.basic()
        with s.lock:
            ok = (creds is not None and creds[0] == "AWS"
                  and s.passwords.get(creds[1], 0) > time.time())
        if not ok:
            self.registry_error(401, "UNAUTHORIZED", "Not Authorized", {
                "WWW-Authenticate":
                    f'Basic realm="https://{s.registry_host}/",service="ecr.amazonaws.com"'})
            return
        if self.url.path.startswith("/v2/_catalog"):
            self.registry_error(405, "UNSUPPORTED", "The operation is unsupported.")
            return
        push = PUSH_PATH.match(self.url.path)
        if push and self.command in ("POST", "PUT", "PATCH"):
            with s.lock:
                known = push.group(1) in s.repositories
            if not known:
                self.registry_error(404, "NAME_UNKNOWN",
                                    f"The repository with name '{push.group(1)}' does not exist "
                                    f"in the registry with id '{s.args.account}'")
                return
        self.proxy_v2()


def main() -> None:
    parser = common.arg_parser("Amazon ECR emulator")
    parser.add_argument("--region", default="us-east-1")
    parser.add_argument("--account", default="123456789012")
    parser.add_argument("--access-key", default="AKIAIOSFODNN7EXAMPLE")
    parser.add_argument("--secret-key", default="wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
    parser.add_argument("--max-page", type=int, default=1000,
                        help="most repositories per DescribeRepositories page")
    args = parser.parse_args()
    common.serve(EcrHandler, EcrState(args, Path(args.dir)))


if __name__ == "__main__":
    main()

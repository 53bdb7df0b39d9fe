"""Alibaba Cloud Container Registry emulator (stdlib only).

Hosts (region cn-hangzhou):
  cr.cn-hangzhou.aliyuncs.com      the CR OpenAPI, RPC style (Version 2018-12-01). Every call
      is checked the way Aliyun does: common parameters present, known AccessKeyId
      (InvalidAccessKeyId.NotFound), Timestamp within 15 minutes, nonce not reused, and the
      signature recomputed (HMAC-SHA1 over the canonicalised query, key "<secret>&";
      SignatureDoesNotMatch otherwise). Actions: GetAuthorizationToken (temporary user and
      password, ExpireTime in ms; InstanceId must name the EE instance when given) and
      ListRepository (EE only: InstanceId required; PageNo/PageSize; TotalCount as string).
  registry.cn-hangzhou.aliyuncs.com           personal edition registry, challenge service
      "registry.aliyuncs.com:cn-hangzhou:26842"
  myinst-registry.cn-hangzhou.cr.aliyuncs.com  Enterprise Edition instance, challenge
      service "registry.aliyuncs.com:cn-hangzhou:<instance id>"
  dockerauth.cn-hangzhou.aliyuncs.com/auth    the token realm: Basic with the temporary
      credentials only (the AccessKey itself is refused, like the real service).
Both registries forward authenticated /v2/ requests to one docker-registry.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time
import urllib.parse
from datetime import datetime, timezone
from pathlib import Path

import common

REGION = "cn-hangzhou"
PERSONAL_HOST = f"registry.{REGION}.aliyuncs.com"
EE_HOST = f"myinst-registry.{REGION}.cr.aliyuncs.com"
API_HOST = f"cr.{REGION}.aliyuncs.com"
AUTH_HOST = f"dockerauth.{REGION}.aliyuncs.com"
REQUIRED = ("Action", "Version", "Format", "AccessKeyId", "SignatureMethod", "SignatureVersion",
            "SignatureNonce", "Timestamp", "Signature")


def encode(text: str) -> str:
    return urllib.parse.quote(text, safe="-_.~")


def signature(secret: str, method: str, params: list[tuple[str, str]]) -> str:
    canonical = "&".join(f"{encode(k)}={encode(v)}" for k, v in sorted(params))
    to_sign = f"{method}&{encode('/')}&{encode(canonical)}"
    digest = hmac.new((secret + "&").encode(), to_sign.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


class AcrState(common.State):
    def __init__(self, args, directory):
        super().__init__(args, directory)
        self.temp: dict[str, float] = {}  # temporary password -> expiry (epoch seconds)
        self.nonces: set[str] = set()
        self.calls: list[str] = []


class AcrHandler(common.Handler):
    state: AcrState

    def route(self, method: str) -> bool:
        if self.host == API_HOST:
            self.api()
            return True
        if self.host == AUTH_HOST and self.url.path == "/auth":
            self.token_endpoint(self.check_temp)
            return True
        if self.host in (PERSONAL_HOST, EE_HOST) and self.url.path.startswith("/v2"):
            if not self.bearer_subject():
                service = (f"registry.aliyuncs.com:{REGION}:26842" if self.host == PERSONAL_HOST
                           else f"registry.aliyuncs.com:{REGION}:{self.state.args.instance_id}")
                self.challenge(f"https://{AUTH_HOST}/auth", service)
                return True
            self.proxy_v2()
            return True
        return False

    def check_temp(self, user: str, password: str) -> bool:
        with self.state.lock:
            return user == "cr_temp_user" and self.state.temp.get(password, 0) > time.time()

    def api_error(self, status: int, code: str, message: str) -> None:
        self.send_json(status, {"RequestId": secrets.token_hex(8).upper(), "HostId": API_HOST,
                                "Code": code, "Message": message})

    def api(self) -> None:
        s = self.state
        pairs = urllib.parse.parse_qsl(self.url.query, keep_blank_values=True)
        params = dict(pairs)
        missing = [p for p in REQUIRED if p not in params]
        if missing:
            self.api_error(400, "MissingParameter",
                           f"The input parameter \"{missing[0]}\" that is mandatory for "
                           f"processing this request is not supplied.")
            return
        if params["SignatureMethod"] != "HMAC-SHA1" or params["SignatureVersion"] != "1.0":
            self.api_error(400, "InvalidParameter", "SignatureMethod/SignatureVersion")
            return
        if params["AccessKeyId"] != s.args.access_key_id:
            self.api_error(404, "InvalidAccessKeyId.NotFound", "Specified access key is not found.")
            return
        try:
            when = datetime.strptime(params["Timestamp"], "%Y-%m-%dT%H:%M:%SZ")
            age = abs(time.time() - when.replace(tzinfo=timezone.utc).timestamp())
        except ValueError:
            age = None
        if age is None or age > 15 * 60:
            self.api_error(400, "InvalidTimeStamp.Expired",
                           "Specified time stamp or date value is expired.")
            return
        unsigned = [(k, v) for k, v in pairs if k != "Signature"]
        expected = signature(s.args.access_key_secret, self.command, unsigned)
        if not hmac.compare_digest(expected, params["Signature"]):
            self.api_error(400, "SignatureDoesNotMatch",
                           "Specified signature is not matched with our calculation.")
            return
        with s.lock:
            if params["SignatureNonce"] in s.nonces:
                self.api_error(400, "SignatureNonceUsed",
                               "Specified signature nonce was used already.")
                return
            s.nonces.add(params["SignatureNonce"])
            s.calls.append(params["Action"])
        if params["Version"] != "2018-12-01":
            self.api_error(400, "InvalidVersion", "Specified parameter Version is not valid.")
            return
        instance = params.get("InstanceId")
        if instance is not None and instance != s.args.instance_id:
            self.api_error(404, "INSTANCE_NOT_EXIST", "instance not exist")
            return
        action = params["Action"]
        if action == "GetAuthorizationToken":
            password = secrets.token_urlsafe(32)
            expires = time.time() + 3600
            with s.lock:
                s.temp[password] = expires
            self.send_json(200, {"RequestId": secrets.token_hex(8).upper(), "Code": "success",
                                 "IsSuccess": True, "TempUsername": "cr_temp_user",
                                 "AuthorizationToken": password,
                                 "ExpireTime": int(expires * 1000)})
        elif action == "ListRepository":
            if instance is None:
                self.api_error(400, "MissingInstanceId", "InstanceId is mandatory")
                return
            page_no = int(params.get("PageNo") or 1)
            page_size = min(int(params.get("PageSize") or 30), s.args.max_page)
            names = sorted(s.upstream.catalog())
            chunk = names[(page_no - 1) * page_size:page_no * page_size]
            repos = []
            for full in chunk:
                ns, _, name = full.rpartition("/")
                repos.append({"RepoId": "crr-" + hashlib.sha1(full.encode()).hexdigest()[:16],
                              "InstanceId": instance, "RepoNamespaceName": ns, "RepoName": name,
                              "RepoStatus": "NORMAL", "RepoType": "PRIVATE",
                              "RepoBuildType": "MANUAL", "TagImmutability": False})
            self.send_json(200, {"RequestId": secrets.token_hex(8).upper(), "Code": "success",
                                 "IsSuccess": True, "PageNo": page_no, "PageSize": page_size,
                                 "TotalCount": str(len(names)), "Repositories": repos})
        else:
            self.api_error(400, "InvalidAction.NotFound",
                           "Specified api is not found, please check your url and method.")


def main() -> None:
    parser = common.arg_parser("Alibaba Cloud Container Registry emulator")
    parser.add_argument("--access-key-id", default="LTAI5tBerthEmulatorKey")
    parser.add_argument("--access-key-secret", default="berthEmulatorSecret0123456789abc")
    parser.add_argument("--instance-id", default="cri-berthemulator01")
    parser.add_argument("--max-page", type=int, default=100)
    args = parser.parse_args()
    common.serve(AcrHandler, AcrState(args, Path(args.dir)))


if __name__ == "__main__":
    main()

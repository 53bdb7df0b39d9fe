"""Harbor's replication API (/api/v2.0/registries, /replication/policies, /executions) as
used by the end-to-end tests and the replication benchmark: endpoints, policies, starting
and waiting for executions, tasks, logs, stop, and the `berth replication` CLI."""
from __future__ import annotations

import os
import subprocess
import time

import requests

from . import servers

FINAL = ("Succeed", "Failed", "Stopped")


class ReplicationApi:
    def __init__(self, berth: servers.Berth):
        self.berth = berth
        self.base = berth.url + "/api/v2.0"
        self.s = requests.Session()
        self.s.auth = berth.admin

    def call(self, method: str, path: str, **kw) -> requests.Response:
        kw.setdefault("timeout", 60)
        return self.s.request(method, self.base + path, **kw)

    def available(self) -> bool:
        """False while the server answers 404 for /replication/policies."""
        return self.call("GET", "/replication/policies").status_code != 404

    # ---- endpoints and policies ---------------------------------------------------
    def add_endpoint(self, name: str, url: str, type_: str = "docker-registry",
                     credential: dict | None = None, insecure: bool = False) -> int:
        body = {"name": name, "type": type_, "url": url, "insecure": insecure}
        if credential:
            body["credential"] = credential
        r = self.call("POST", "/registries", json=body)
        assert r.status_code == 201, (r.status_code, r.text)
        return int(r.headers["Location"].rsplit("/", 1)[1])

    @staticmethod
    def policy(name: str, src: int | None = None, dest: int | None = None,
               filters: list[dict] | None = None, trigger: dict | None = None,
               **fields) -> dict:
        """A ReplicationPolicy body: push when `dest` is given, pull when `src` is."""
        body = {"name": name, "filters": filters or [],
                "trigger": trigger or {"type": "manual"}, "enabled": True,
                "override": True}
        if src:
            body["src_registry"] = {"id": src}
        if dest:
            body["dest_registry"] = {"id": dest}
        body.update(fields)
        return body

    def create_policy(self, body: dict) -> int:
        r = self.call("POST", "/replication/policies", json=body)
        assert r.status_code == 201, (r.status_code, r.text)
        return int(r.headers["Location"].rsplit("/", 1)[1])

    def update_policy(self, policy_id: int, body: dict) -> None:
        r = self.call("PUT", f"/replication/policies/{policy_id}", json=body)
        assert r.status_code == 200, (r.status_code, r.text)

    def get_policy(self, policy_id: int) -> dict:
        r = self.call("GET", f"/replication/policies/{policy_id}")
        assert r.status_code == 200, (r.status_code, r.text)
        return r.json()

    # ---- executions ---------------------------------------------------------------
    def start(self, policy_id: int) -> int:
        r = self.call("POST", "/replication/executions", json={"policy_id": policy_id})
        assert r.status_code == 201, (r.status_code, r.text)
        return int(r.headers["Location"].rsplit("/", 1)[1])

    def execution(self, execution_id: int) -> dict:
        r = self.call("GET", f"/replication/executions/{execution_id}")
        assert r.status_code == 200, (r.status_code, r.text)
        return r.json()

    def executions(self, policy_id: int, **params) -> list[dict]:
        r = self.call("GET", "/replication/executions",
                      params={"policy_id": policy_id, "page_size": 100, **params})
        assert r.status_code == 200, (r.status_code, r.text)
        return r.json()

    def wait(self, execution_id: int, timeout: float = 120, poll: float = 0.2) -> dict:
        """Polls until the execution is final; returns it (asserts on timeout)."""
        deadline = time.monotonic() + timeout
        e = {}
        while time.monotonic() < deadline:
            e = self.execution(execution_id)
            if e["status"] in FINAL:
                return e
            time.sleep(poll)
        raise AssertionError(f"execution {execution_id} not final after {timeout}s: {e}")

    def run(self, policy_id: int, timeout: float = 120) -> dict:
        return self.wait(self.start(policy_id), timeout)

    def wait_for_execution(self, policy_id: int, trigger: str | None = None,
                           timeout: float = 60, final: bool = True,
                           exclude: set[int] = frozenset()) -> dict:
        """The first execution of `policy_id` (with `trigger`, not in `exclude`) to appear,
        waited until final when `final`."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for e in self.executions(policy_id):
                if e["id"] in exclude or (trigger and e["trigger"] != trigger):
                    continue
                if not final:
                    return e
                return self.wait(e["id"], max(deadline - time.monotonic(), 1))
            time.sleep(0.25)
        raise AssertionError(f"no {trigger or ''} execution of policy {policy_id} "
                             f"within {timeout}s")

    def stop(self, execution_id: int) -> None:
        r = self.call("PUT", f"/replication/executions/{execution_id}")
        assert r.status_code == 200, (r.status_code, r.text)

    def tasks(self, execution_id: int) -> list[dict]:
        r = self.call("GET", f"/replication/executions/{execution_id}/tasks",
                      params={"page_size": 100})
        assert r.status_code == 200, (r.status_code, r.text)
        return r.json()

    def log(self, execution_id: int, task_id: int) -> str:
        r = self.call("GET", f"/replication/executions/{execution_id}/tasks/{task_id}/log")
        assert r.status_code == 200, (r.status_code, r.text)
        assert r.headers["Content-Type"].startswith("text/plain"), r.headers
        return r.text

    def logs(self, execution_id: int) -> str:
        return "\n".join(self.log(execution_id, t["id"]) for t in self.tasks(execution_id))


def cli(berth: servers.Berth, *args: str, timeout: float = 300
        ) -> subprocess.CompletedProcess:
    """`berth replication ARGS --url URL` as the admin (credentials from the environment)."""
    env = dict(os.environ, BERTH_USERNAME=berth.admin[0], BERTH_PASSWORD=berth.admin[1])
    return subprocess.run([str(servers.berth_binary()), "replication", *args,
                           "--url", berth.url], env=env, capture_output=True, text=True,
                          timeout=timeout)

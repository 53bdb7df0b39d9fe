"""Harbor-style admin API helpers (/api/v2.0) used to set up projects, users, members."""
from __future__ import annotations

import requests

ROLE_PROJECT_ADMIN, ROLE_DEVELOPER, ROLE_GUEST, ROLE_MAINTAINER = 1, 2, 3, 4


class Admin:
    def __init__(self, base_url: str, auth: tuple[str, str]):
        self.base = base_url.rstrip("/") + "/api/v2.0"
        self.s = requests.Session()
        self.s.auth = auth

    def call(self, method: str, path: str, **kw) -> requests.Response:
        kw.setdefault("timeout", 30)
        return self.s.request(method, self.base + path, **kw)

    def create_project(self, name: str, public: bool = False) -> None:
        r = self.call("POST", "/projects", json={
            "project_name": name, "metadata": {"public": "true" if public else "false"}})
        assert r.status_code == 201, (r.status_code, r.text)

    def create_user(self, username: str, password: str) -> None:
        r = self.call("POST", "/users", json={
            "username": username, "password": password,
            "email": f"{username}@example.com", "realname": username.title()})
        assert r.status_code == 201, (r.status_code, r.text)

    def add_member(self, project: str, username: str, role_id: int) -> None:
        r = self.call("POST", f"/projects/{project}/members", json={
            "role_id": role_id, "member_user": {"username": username}})
        assert r.status_code == 201, (r.status_code, r.text)

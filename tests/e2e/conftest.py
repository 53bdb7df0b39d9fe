"""Fixtures for the end-to-end tests: Berth and the CNCF registry as real processes,
clients for them, and OCI layouts generated once per session.

Servers shared by many tests are session-scoped and restarted transparently if a test
left one dead; tests isolate themselves with unique repository names. Tests that need an
empty server (catalog, crash recovery) use `fresh_berth`. When a test fails, the tail of
every server's log is attached to its report.
"""
from __future__ import annotations

import os
import signal
import sys
import uuid
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import oci, servers  # noqa: E402
from harness.client import Registry  # noqa: E402
from harness.harbor import Admin  # noqa: E402

CNCF_USER = ("tester", "Tester-Pass-1")


def unique(prefix: str = "repo") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    if rep.failed:
        for server in servers.STARTED:
            state = "running" if server.alive() else f"exited {server.proc.returncode}"
            rep.sections.append((f"{server.name} log ({server.host}, {state})",
                                 server.log_tail()))


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item):
    """Bounds every test's run time (E2E_TEST_TIMEOUT seconds, default 240) without a
    plugin: SIGALRM interrupts whatever the test is blocked on."""
    limit = int(os.environ.get("E2E_TEST_TIMEOUT", "240"))

    def on_alarm(signum, frame):
        raise TimeoutError(f"test exceeded {limit}s (E2E_TEST_TIMEOUT)")

    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.alarm(limit)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


class Target:
    """One server under test plus an admin-level client and a name factory."""

    def __init__(self, kind: str, server: servers.Server, auth):
        self.kind = kind
        self.server = server
        self.auth = auth
        self.client = Registry(server.url, auth, mode="basic" if auth else "none")

    def repo(self, prefix: str = "repo") -> str:
        return f"library/{unique(prefix)}"

    def __repr__(self):
        return f"Target({self.kind})"


def _ensure(server: servers.Server) -> servers.Server:
    if not server.alive():
        server.start()
    return server


@pytest.fixture(scope="session")
def _berth_session(tmp_path_factory):
    server = servers.Berth(tmp_path_factory.mktemp("berth") / "data")
    server.start()
    yield server
    server.stop()


@pytest.fixture
def berth(_berth_session) -> servers.Berth:
    """The shared Berth (admin password `servers.ADMIN_PASSWORD`)."""
    return _ensure(_berth_session)


@pytest.fixture
def fresh_berth(tmp_path):
    """A Berth of its own on an empty data directory."""
    server = servers.Berth(tmp_path / "data")
    server.start()
    yield server
    server.stop()
    servers.STARTED.remove(server)


@pytest.fixture
def berth_client(berth) -> Registry:
    """Admin client for the shared Berth, Basic auth."""
    return Registry(berth.url, berth.admin, mode="basic")


@pytest.fixture
def berth_admin(berth) -> Admin:
    return Admin(berth.url, berth.admin)


@pytest.fixture(scope="session")
def _cncf_session(tmp_path_factory):
    server = servers.CncfRegistry(tmp_path_factory.mktemp("cncf") / "data")
    server.start()
    yield server
    server.stop()


@pytest.fixture
def cncf(_cncf_session) -> servers.CncfRegistry:
    """The shared CNCF registry, anonymous access."""
    return _ensure(_cncf_session)


@pytest.fixture(scope="session")
def _cncf_auth_session(tmp_path_factory):
    server = servers.CncfRegistry(tmp_path_factory.mktemp("cncf-auth") / "data",
                                  users=dict([CNCF_USER]))
    server.start()
    yield server
    server.stop()


@pytest.fixture
def cncf_auth(_cncf_auth_session) -> servers.CncfRegistry:
    """The shared CNCF registry with htpasswd basic auth (user CNCF_USER)."""
    return _ensure(_cncf_auth_session)


@pytest.fixture(params=["berth", "cncf"])
def target(request) -> Target:
    """Generic spec behaviour, run against Berth and against the CNCF registry."""
    if request.param == "berth":
        server = request.getfixturevalue("berth")
        return Target("berth", server, server.admin)
    return Target("cncf", request.getfixturevalue("cncf"), None)


@pytest.fixture
def berth_target(berth) -> Target:
    return Target("berth", berth, berth.admin)


# ---- generated content, made once per session ------------------------------------------

@pytest.fixture(scope="session")
def layouts(tmp_path_factory):
    """OCI layouts generated once: `multi` (a 3-layer image, ~24 MiB), `index` (two
    platforms), `artifact` (an image and an SBOM-like referrer)."""
    root = tmp_path_factory.mktemp("layouts")

    multi = oci.Layout(root / "multi")
    multi_img = multi.add(oci.image([16 << 20, 6 << 20, 2 << 20]), "v1")

    idx_layout = oci.Layout(root / "index")
    amd = oci.image([256 << 10, 64 << 10], arch="amd64")
    arm = oci.image([256 << 10, 64 << 10], arch="arm64")
    idx = idx_layout.add(oci.index([amd, arm]), "multi")

    art_layout = oci.Layout(root / "artifact")
    subject = art_layout.add(oci.image([128 << 10]), "v1")
    sbom = oci.artifact(subject, "application/vnd.example.sbom.v1",
                        payload=b'{"spdxVersion":"SPDX-2.3","name":"e2e"}',
                        payload_type="application/spdx+json")
    art_layout.add(sbom, "sbom")
    return {"root": root, "multi": (multi, multi_img), "index": (idx_layout, idx),
            "artifact": (art_layout, subject, sbom)}


@pytest.fixture(scope="session")
def big_layout(tmp_path_factory):
    """A single-layer image of 160 MiB, streamed to disk once per session."""
    layout = oci.Layout(tmp_path_factory.mktemp("big-layout"))
    img = layout.add_big_image("big", [160 << 20])
    return layout, img

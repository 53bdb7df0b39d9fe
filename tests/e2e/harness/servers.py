"""Start and stop the servers under test as plain child processes on loopback.

Every server gets a free port, its own data directory and a log file; `stop()` ends it
with SIGTERM (SIGKILL after a grace period); `kill9()` simulates a crash. `log_tail()`
returns the end of the server's log for failure reports.
"""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from pathlib import Path

import requests

REPO_ROOT = Path(__file__).resolve().parents[3]
ADMIN_USER = "admin"
ADMIN_PASSWORD = "Berth-Admin-12345"

# Every server started by this process, so that failure reports can show their logs.
STARTED: list["Server"] = []


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def berth_binary() -> Path:
    """BERTH_BIN when set; otherwise build/berth (or build/src/berth/berth)."""
    if "BERTH_BIN" in os.environ:
        candidates = [Path(os.environ["BERTH_BIN"])]
    else:
        candidates = [REPO_ROOT / "build" / "berth", REPO_ROOT / "build" / "src" / "berth" / "berth"]
    for path in candidates:
        if path.is_file() and os.access(path, os.X_OK):
            return path
    raise RuntimeError(f"berth binary not found at {candidates[0]}: build it or set BERTH_BIN")


class Server:
    """A child process serving HTTP on 127.0.0.1:port."""

    name = "server"

    def __init__(self, data_dir: Path, port: int | None = None):
        self.data_dir = Path(data_dir)
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.port = port or free_port()
        self.proc: subprocess.Popen | None = None
        self.log_path = self.data_dir.parent / f"{self.data_dir.name}.{self.name}.log"
        self.starts = 0

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def url(self) -> str:
        return f"http://{self.host}"

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def command(self) -> list[str]:
        raise NotImplementedError

    def env(self) -> dict[str, str]:
        return dict(os.environ)

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def start(self, timeout: float = 20.0) -> "Server":
        self.starts += 1
        log = open(self.log_path, "ab")
        log.write(f"\n===== start #{self.starts}: {' '.join(self.command())}\n".encode())
        log.flush()
        self.proc = subprocess.Popen(
            self.command(), stdout=log, stderr=subprocess.STDOUT, env=self.env(),
            start_new_session=True)
        log.close()
        if self not in STARTED:
            STARTED.append(self)
        self.wait_ready(timeout)
        return self

    def wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(
                    f"{self.name} exited with {self.proc.returncode} during start-up:\n"
                    + self.log_tail())
            try:
                r = requests.get(self.url + "/v2/", timeout=1)
                if r.status_code in (200, 401):
                    return
                last = r.status_code
            except requests.RequestException as e:
                last = e
            time.sleep(0.05)
        raise RuntimeError(f"{self.name} not ready after {timeout}s (last: {last}):\n"
                           + self.log_tail())

    def stop(self, grace: float = 10.0) -> int | None:
        if self.proc is None or self.proc.poll() is not None:
            return None if self.proc is None else self.proc.returncode
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(grace)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            return self.proc.wait(5)

    def kill9(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(5)

    def restart(self) -> "Server":
        self.stop()
        return self.start()

    def peak_rss_kib(self) -> int | None:
        """VmHWM of the live process in KiB (None once it has exited)."""
        try:
            for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
        except (OSError, AssertionError):
            return None
        return None

    def log_tail(self, lines: int = 40) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return "(no log)"
        return "\n".join(text.splitlines()[-lines:])


class Berth(Server):
    """`berth serve` with a known admin password."""

    name = "berth"

    def __init__(self, data_dir: Path, port: int | None = None,
                 admin_password: str = ADMIN_PASSWORD, extra_args: list[str] | None = None):
        super().__init__(data_dir, port)
        self.admin_password = admin_password
        self.extra_args = extra_args or []
        self.binary = berth_binary()

    @property
    def admin(self) -> tuple[str, str]:
        return (ADMIN_USER, self.admin_password)

    def command(self) -> list[str]:
        return [str(self.binary), "serve", "--listen", self.host, "--data",
                str(self.data_dir), *self.extra_args]

    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        env["BERTH_ADMIN_PASSWORD"] = self.admin_password
        return env


class CncfRegistry(Server):
    """The CNCF registry (`docker-registry` 2.8), optionally with htpasswd basic auth."""

    name = "cncf"

    def __init__(self, data_dir: Path, port: int | None = None,
                 users: dict[str, str] | None = None):
        super().__init__(data_dir, port)
        self.users = users or {}
        self.config_path = self.data_dir.parent / f"{self.data_dir.name}.cncf.yml"
        self._write_config()

    @property
    def admin(self) -> tuple[str, str] | None:
        return next(iter(self.users.items()), None)

    def _write_config(self) -> None:
        auth = ""
        if self.users:
            htpasswd = self.data_dir.parent / f"{self.data_dir.name}.htpasswd"
            htpasswd.unlink(missing_ok=True)
            for user, password in self.users.items():
                flags = "-Bbc" if not htpasswd.exists() else "-Bb"
                subprocess.run(["htpasswd", flags, str(htpasswd), user, password],
                               check=True, capture_output=True)
            auth = (f"auth:\n  htpasswd:\n    realm: basic-realm\n"
                    f"    path: {htpasswd}\n")
        self.config_path.write_text(
            "version: 0.1\n"
            "log:\n  level: error\n  accesslog:\n    disabled: true\n"
            f"storage:\n  filesystem:\n    rootdirectory: {self.data_dir}\n"
            "  delete:\n    enabled: true\n"
            f"http:\n  addr: {self.host}\n  secret: e2e-local-secret\n" + auth)

    def command(self) -> list[str]:
        return ["docker-registry", "serve", str(self.config_path)]

"""The provider emulators of tests/emulators as e2e servers.

An emulator is an HTTPS server on a free loopback port, answering for the provider's
real host names with a self-signed certificate, and fronting a docker-registry of its
own (the data plane). `Emulator.start()` runs `<name>_emulator.py`, waits for its ready
line and exposes the port, the certificate, the emulator's working directory (some write
keys there, e.g. GCR's service-account JSON) and the backing registry's address, so a
test can seed images straight into the data plane and compare what it serves.
"""
from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

import requests

from . import servers

EMULATOR_DIR = servers.REPO_ROOT / "tests" / "emulators"


class Emulator(servers.Server):
    def __init__(self, kind: str, data_dir: Path, args: list[str] | None = None):
        self.name = f"{kind}-emulator"
        self.kind = kind
        self.args = list(args or [])
        super().__init__(data_dir)
        self.ca_path: Path | None = None

    def command(self) -> list[str]:
        return [sys.executable, str(EMULATOR_DIR / f"{self.kind}_emulator.py"),
                "--dir", str(self.data_dir), *self.args]

    def start(self, timeout: float = 30.0) -> "Emulator":
        self.starts += 1
        log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(self.command(), stdout=subprocess.PIPE, stderr=log,
                                     start_new_session=True)
        log.close()
        if self not in servers.STARTED:
            servers.STARTED.append(self)
        line = b""
        deadline = time.monotonic() + timeout
        while not line.endswith(b"\n") and time.monotonic() < deadline:
            ready, _, _ = select.select([self.proc.stdout], [], [], 0.1)
            if ready:
                byte = os.read(self.proc.stdout.fileno(), 1)
                if not byte:
                    break
                line += byte
        if not line.endswith(b"\n"):
            self.stop()
            raise RuntimeError(f"{self.name} did not report ready:\n{self.log_tail()}")
        info = json.loads(line)
        self.port = int(info["port"])
        self.ca_path = Path(info["ca"])
        return self

    def stop(self, grace: float = 10.0) -> int | None:
        # SIGTERM makes the emulator stop its docker-registry too.
        if self.proc is None or self.proc.poll() is not None:
            return None if self.proc is None else self.proc.returncode
        self.proc.send_signal(signal.SIGTERM)
        try:
            code = self.proc.wait(grace)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            code = self.proc.wait(5)
        if self.proc.stdout:
            self.proc.stdout.close()
        return code

    @property
    def url(self) -> str:
        return f"https://{self.host}"

    @property
    def ca_pem(self) -> str:
        assert self.ca_path is not None, "not started"
        return self.ca_path.read_text()

    @property
    def upstream_host(self) -> str:
        """host:port of the backing docker-registry (plain HTTP, no auth)."""
        config = (self.data_dir / "upstream" / "registry.yml").read_text()
        for line in config.splitlines():
            line = line.strip()
            if line.startswith("addr:"):
                return line.split(":", 1)[1].strip()
        raise RuntimeError(f"no addr in the {self.name} upstream config")

    def upstream_alive(self) -> bool:
        try:
            return requests.get(f"http://{self.upstream_host}/v2/", timeout=2).ok
        except requests.RequestException:
            return False

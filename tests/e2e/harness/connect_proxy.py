"""An HTTP CONNECT proxy that sends provider host names to local servers.

Berth has no setting to point `registry-1.docker.io` or `*.amazonaws.com` at a local
emulator, but libcurl honours the usual `https_proxy` environment variable. A Berth
started with `https_proxy` naming this proxy opens every outbound HTTPS connection as
`CONNECT host:443`; the proxy looks the host up in its routes and tunnels the bytes to
127.0.0.1:<port>. TLS runs end to end between Berth and the emulator, so the emulator's
certificate (for the real host names) must be trusted by Berth, e.g. as the endpoint's
`ca_certificate`.

A host without a route, or whose port refuses the connection, gets `502 Bad Gateway`.
Every CONNECT target is recorded in `connects` (host names, in order).
"""
from __future__ import annotations

import socket
import threading


class ConnectProxy:
    def __init__(self):
        self._lock = threading.Lock()
        self._routes: dict[str, int] = {}
        self._open: set[socket.socket] = set()
        self.connects: list[str] = []
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(64)
        self.port = self._listener.getsockname()[1]
        self._stopped = False

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def route(self, hosts, port: int) -> None:
        """Tunnels CONNECTs to any of `hosts` to 127.0.0.1:port from now on."""
        with self._lock:
            for host in hosts:
                self._routes[host.lower()] = port

    def connected(self, host: str) -> bool:
        with self._lock:
            return host.lower() in self.connects

    def start(self) -> "ConnectProxy":
        threading.Thread(target=self._accept_loop, daemon=True).start()
        return self

    def stop(self) -> None:
        self._stopped = True
        try:
            self._listener.close()
        except OSError:
            pass
        with self._lock:
            sockets = list(self._open)
            self._open.clear()
        for s in sockets:
            _close(s)

    # ---- internals -------------------------------------------------------------------
    def _accept_loop(self) -> None:
        while not self._stopped:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _track(self, s: socket.socket) -> None:
        with self._lock:
            self._open.add(s)

    def _serve(self, client: socket.socket) -> None:
        self._track(client)
        client.settimeout(30)
        head = b""
        try:
            while b"\r\n\r\n" not in head:
                chunk = client.recv(4096)
                if not chunk:
                    _close(client)
                    return
                head += chunk
                if len(head) > 65536:
                    raise ValueError("request head too long")
        except (OSError, ValueError):
            _close(client)
            return
        head, _, rest = head.partition(b"\r\n\r\n")
        parts = head.split(b"\r\n", 1)[0].decode("latin-1").split()
        if len(parts) != 3 or parts[0] != "CONNECT":
            self._answer(client, "405 Method Not Allowed")
            return
        host = parts[1].rsplit(":", 1)[0].strip("[]").lower()
        with self._lock:
            self.connects.append(host)
            port = self._routes.get(host)
        if port is None:
            self._answer(client, "502 Bad Gateway")
            return
        try:
            upstream = socket.create_connection(("127.0.0.1", port), timeout=5)
        except OSError:
            self._answer(client, "502 Bad Gateway")
            return
        self._track(upstream)
        try:
            client.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
            if rest:
                upstream.sendall(rest)
        except OSError:
            _close(client)
            _close(upstream)
            return
        client.settimeout(None)
        upstream.settimeout(None)
        threading.Thread(target=_pump, args=(upstream, client), daemon=True).start()
        _pump(client, upstream)

    @staticmethod
    def _answer(client: socket.socket, status: str) -> None:
        try:
            client.sendall(f"HTTP/1.1 {status}\r\nContent-Length: 0\r\n"
                           f"Connection: close\r\n\r\n".encode())
        except OSError:
            pass
        _close(client)


def _pump(src: socket.socket, dst: socket.socket) -> None:
    try:
        while True:
            data = src.recv(65536)
            if not data:
                break
            dst.sendall(data)
    except OSError:
        pass
    _close(src)
    _close(dst)


def _close(s: socket.socket) -> None:
    try:
        s.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    try:
        s.close()
    except OSError:
        pass

"""A fault-injecting HTTP/1.1 proxy to put between Berth and a destination registry.

The proxy listens on a free loopback port and forwards every connection to one upstream
(`host:port`), request by request, streaming bodies both ways (Content-Length, chunked,
or until close) through a fixed-size buffer: blobs are never held in memory. The Host
header passes through unchanged, so absolute `Location`s the upstream builds from it
point back at the proxy.

Faults are rules added at runtime (thread-safe, also while traffic flows). A rule matches
requests by method and path regexes (`re.search` on the request target, query included)
and fires on every k-th matching request (`every`), on a random fraction of them
(`fraction`, seeded), or on all; `times` caps how often it fires. The first rule that
fires on a request decides its fate:

  Fault.status(500)                      answer 500 without asking the upstream
  Fault.status(429, retry_after="1")     answer 429 with Retry-After
  Fault.drop_request(after=N)            forward N bytes of the request body, then close
  Fault.drop_response(after=N)           forward the response head and N body bytes, close
  Fault.stall(seconds=S)                 wait S s before forwarding the request
  Fault.stall(seconds=S, after=N)        forward N response body bytes, wait S s, go on

    proxy = FaultProxy("127.0.0.1", cncf.port).start()
    rule = proxy.add(Fault.status(500, method="PUT", path=r"/blobs/uploads/", every=3))
    ... point Berth at proxy.url ...
    assert rule.fired > 0
    proxy.stop()

`requests`, `bytes_up` and `bytes_down` count what went through (bodies only).
"""
from __future__ import annotations

import random
import re
import socket
import threading
import time
from dataclasses import dataclass, field

BUF = 256 << 10
_HOP = re.compile(r"\r?\n")


@dataclass
class Fault:
    action: str  # status | drop_request | drop_response | stall
    method: str = ".*"
    path: str = ".*"
    every: int = 1
    fraction: float | None = None
    times: int | None = None
    status_code: int = 500
    retry_after: str | None = None
    after: int = 0
    seconds: float = 0.0
    seed: int = 1
    # counters, updated by the proxy
    matched: int = 0
    fired: int = 0
    _rng: random.Random = field(default=None, repr=False)

    def __post_init__(self):
        self._method = re.compile(self.method, re.I)
        self._path = re.compile(self.path)
        self._rng = random.Random(self.seed)

    @classmethod
    def status(cls, code: int = 500, retry_after: str | None = None, **kw) -> "Fault":
        if code == 429 and retry_after is None:
            retry_after = "1"
        return cls("status", status_code=code, retry_after=retry_after, **kw)

    @classmethod
    def drop_request(cls, after: int = 0, **kw) -> "Fault":
        return cls("drop_request", after=after, **kw)

    @classmethod
    def drop_response(cls, after: int = 0, **kw) -> "Fault":
        return cls("drop_response", after=after, **kw)

    @classmethod
    def stall(cls, seconds: float, after: int | None = None, **kw) -> "Fault":
        """Without `after`: before the request is forwarded. With `after`: in the
        response body once `after` bytes went out."""
        if after is None:
            return cls("stall", seconds=seconds, after=-1, **kw)
        return cls("stall", seconds=seconds, after=after, **kw)

    def _decide(self, method: str, target: str) -> bool:
        """Called under the proxy's lock."""
        if not (self._method.fullmatch(method) and self._path.search(target)):
            return False
        self.matched += 1
        if self.times is not None and self.fired >= self.times:
            return False
        if self.fraction is not None:
            hit = self._rng.random() < self.fraction
        else:
            hit = self.matched % max(self.every, 1) == 0
        if hit:
            self.fired += 1
        return hit


class _Closed(Exception):
    """The peer went away (or a fault closed the connection)."""


class _Reader:
    """Buffered reads from a socket: lines for heads, bounded chunks for bodies."""

    def __init__(self, sock: socket.socket):
        self.sock = sock
        self.buf = bytearray()

    def _fill(self) -> bool:
        data = self.sock.recv(BUF)
        if not data:
            return False
        self.buf += data
        return True

    def head(self) -> bytes | None:
        """Bytes up to and including the blank line; None on a clean close before any."""
        while True:
            i = self.buf.find(b"\r\n\r\n")
            if i >= 0:
                out = bytes(self.buf[: i + 4])
                del self.buf[: i + 4]
                return out
            if len(self.buf) > 1 << 20:
                raise _Closed("header too large")
            if not self._fill():
                if self.buf:
                    raise _Closed("truncated head")
                return None

    def line(self) -> bytes:
        while True:
            i = self.buf.find(b"\n")
            if i >= 0:
                out = bytes(self.buf[: i + 1])
                del self.buf[: i + 1]
                return out
            if not self._fill():
                raise _Closed("truncated line")

    def some(self, limit: int) -> bytes:
        """Up to `limit` bytes (at least one); b"" at end of stream."""
        if not self.buf:
            if not self._fill():
                return b""
        out = bytes(self.buf[:limit])
        del self.buf[:limit]
        return out


def _parse_head(head: bytes) -> tuple[str, list[tuple[str, str]]]:
    lines = _HOP.split(head.decode("latin-1").rstrip("\r\n"))
    headers = []
    for line in lines[1:]:
        if ":" in line:
            k, v = line.split(":", 1)
            headers.append((k.strip(), v.strip()))
    return lines[0], headers


def _get(headers, name: str) -> str | None:
    name = name.lower()
    for k, v in headers:
        if k.lower() == name:
            return v
    return None


class _Body:
    """Streams one message body from `reader` to `sink` (a callable taking bytes), in
    its original framing. `budget` bytes may pass before `on_budget` is called (which
    raises to drop, or sleeps to stall and returns)."""

    def __init__(self, reader: _Reader, sink, budget: int | None = None, on_budget=None):
        self.reader, self.sink = reader, sink
        self.budget, self.on_budget = budget, on_budget
        self.sent = 0

    def _out(self, data: bytes) -> None:
        while data:
            if self.budget is not None and self.sent + len(data) >= self.budget:
                n = self.budget - self.sent
                if n > 0:
                    self.sink(data[:n])
                    self.sent += n
                data = data[n:]
                budget_cb, self.budget = self.on_budget, None
                budget_cb()
                continue
            self.sink(data)
            self.sent += len(data)
            return

    def length(self, n: int) -> None:
        while n > 0:
            data = self.reader.some(min(n, BUF))
            if not data:
                raise _Closed("body truncated")
            n -= len(data)
            self._out(data)

    def chunked(self) -> None:
        while True:
            line = self.reader.line()
            self._out(line)
            size = int(line.split(b";")[0].strip() or b"0", 16)
            if size == 0:
                while True:  # trailers up to the blank line
                    t = self.reader.line()
                    self._out(t)
                    if t in (b"\r\n", b"\n"):
                        return
            self.length(size)
            self._out(self.reader.line())

    def until_close(self) -> None:
        while data := self.reader.some(BUF):
            self._out(data)


def _request_has_body(headers) -> tuple[str, int]:
    te = _get(headers, "Transfer-Encoding")
    if te and "chunked" in te.lower():
        return "chunked", 0
    cl = _get(headers, "Content-Length")
    if cl is not None:
        return "length", int(cl)
    return "none", 0


class FaultProxy:
    def __init__(self, upstream_host: str, upstream_port: int, listen_port: int = 0):
        self.upstream = (upstream_host, upstream_port)
        self.lock = threading.Lock()
        self.rules: list[Fault] = []
        self.requests = 0
        self.bytes_up = 0    # request body bytes forwarded to the upstream (framing too)
        self.bytes_down = 0  # response body bytes forwarded to clients
        self.log: list[str] = []  # "METHOD target -> action" for every fired fault
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", listen_port))
        self.sock.listen(128)
        self.port = self.sock.getsockname()[1]
        self._stopping = False
        self._conns: set[socket.socket] = set()
        self._thread: threading.Thread | None = None

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def url(self) -> str:
        return f"http://{self.host}"

    # ---- control ------------------------------------------------------------------
    def start(self) -> "FaultProxy":
        self._thread = threading.Thread(target=self._accept_loop, daemon=True,
                                        name=f"faultproxy-{self.port}")
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping = True
        try:
            self.sock.close()
        except OSError:
            pass
        with self.lock:
            conns = list(self._conns)
        for c in conns:
            _close(c)

    def add(self, fault: Fault) -> Fault:
        with self.lock:
            self.rules.append(fault)
        return fault

    def clear(self) -> None:
        with self.lock:
            self.rules.clear()

    def fired(self) -> int:
        with self.lock:
            return sum(r.fired for r in self.rules)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    # ---- plumbing -----------------------------------------------------------------
    def _accept_loop(self) -> None:
        while not self._stopping:
            try:
                client, _ = self.sock.accept()
            except OSError:
                return
            client.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            with self.lock:
                self._conns.add(client)
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _counting(self, send, counter: str):
        def sink(data: bytes) -> None:
            send(data)
            with self.lock:
                setattr(self, counter, getattr(self, counter) + len(data))
        return sink

    def _pick(self, method: str, target: str) -> Fault | None:
        with self.lock:
            self.requests += 1
            for rule in self.rules:
                if rule._decide(method, target):
                    self.log.append(f"{method} {target} -> {rule.action}")
                    return rule
        return None

    def _serve(self, client: socket.socket) -> None:
        upstream: socket.socket | None = None
        try:
            creader = _Reader(client)
            ureader: _Reader | None = None
            while not self._stopping:
                head = creader.head()
                if head is None:
                    return
                request_line, headers = _parse_head(head)
                parts = request_line.split(" ")
                if len(parts) < 3:
                    return
                method, target = parts[0], parts[1]
                fault = self._pick(method, target)
                kind, n = _request_has_body(headers)

                if fault and fault.action == "status":
                    if (_get(headers, "Expect") or "").lower() != "100-continue":
                        body = _Body(creader, lambda b: None)
                        if kind == "chunked":
                            body.chunked()
                        elif kind == "length":
                            body.length(n)
                        keep = True
                    else:
                        keep = False
                    client.sendall(_status_response(fault, keep))
                    if not keep:
                        return
                    continue
                if fault and fault.action == "stall" and fault.after < 0:
                    time.sleep(fault.seconds)

                if upstream is None:
                    upstream = socket.create_connection(self.upstream, timeout=None)
                    upstream.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                    ureader = _Reader(upstream)
                    with self.lock:
                        self._conns.add(upstream)
                if (_get(headers, "Expect") or "").lower() == "100-continue":
                    # answered here, so the body never waits on the upstream's 100
                    head = re.sub(rb"(?im)^expect:[^\r\n]*\r\n", b"", head)
                    client.sendall(b"HTTP/1.1 100 Continue\r\n\r\n")
                upstream.sendall(head)

                budget = on_budget = None
                if fault and fault.action == "drop_request":
                    budget, on_budget = fault.after, _raise_closed
                body = _Body(creader, self._counting(upstream.sendall, "bytes_up"), budget,
                             on_budget)
                if kind == "chunked":
                    body.chunked()
                elif kind == "length":
                    body.length(n)
                if fault and fault.action == "drop_request":
                    return  # the body was shorter than `after`: drop anyway

                client_close = (_get(headers, "Connection") or "").lower() == "close"
                upstream_close = self._relay_response(method, fault, ureader, client)
                if upstream_close:
                    _close(upstream)
                    with self.lock:
                        self._conns.discard(upstream)
                    upstream, ureader = None, None
                if client_close:
                    return
        except (_Closed, OSError, ValueError):
            return
        finally:
            _close(client)
            if upstream is not None:
                _close(upstream)
            with self.lock:
                self._conns.discard(client)
                if upstream is not None:
                    self._conns.discard(upstream)

    def _relay_response(self, method: str, fault: Fault | None, ureader: _Reader,
                        client: socket.socket) -> bool:
        """Streams one response (skipping over 1xx); True when the upstream connection
        must be closed afterwards."""
        while True:
            head = ureader.head()
            if head is None:
                raise _Closed("upstream closed")
            status_line, headers = _parse_head(head)
            code = int(status_line.split(" ")[1])
            client.sendall(head)
            if 100 <= code < 200:
                continue
            break
        budget = on_budget = None
        if fault and fault.action == "drop_response":
            budget, on_budget = fault.after, _raise_closed
            if budget == 0:
                raise _Closed("dropped after the response head")
        elif fault and fault.action == "stall" and fault.after >= 0:
            budget, on_budget = fault.after, lambda: time.sleep(fault.seconds)
        body = _Body(ureader, self._counting(client.sendall, "bytes_down"), budget, on_budget)
        closing = (_get(headers, "Connection") or "").lower() == "close"
        if method == "HEAD" or code in (204, 304):
            pass
        else:
            kind, n = _request_has_body(headers)
            if kind == "chunked":
                body.chunked()
            elif kind == "length":
                body.length(n)
            else:
                body.until_close()
                closing = True
        if fault and fault.action == "drop_response":
            raise _Closed("dropped at the end of a short response")
        return closing


def _raise_closed() -> None:
    raise _Closed("fault: connection dropped")


def _status_response(fault: Fault, keep_alive: bool) -> bytes:
    reasons = {429: "Too Many Requests", 500: "Internal Server Error",
               502: "Bad Gateway", 503: "Service Unavailable"}
    body = (b'{"errors":[{"code":"UNKNOWN","message":"injected fault %d"}]}'
            % fault.status_code)
    lines = [f"HTTP/1.1 {fault.status_code} {reasons.get(fault.status_code, 'Error')}",
             "Content-Type: application/json", f"Content-Length: {len(body)}",
             "Connection: " + ("keep-alive" if keep_alive else "close")]
    if fault.retry_after is not None:
        lines.append(f"Retry-After: {fault.retry_after}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def _close(sock: socket.socket) -> None:
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    try:
        sock.close()
    except OSError:
        pass

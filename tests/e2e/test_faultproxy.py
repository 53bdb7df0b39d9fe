"""The fault-injecting proxy (harness/faultproxy.py) in front of the CNCF registry: clean
pass-through of big streamed bodies in both framings, and every fault kind doing what it
says, on the requests it is meant for."""
from __future__ import annotations

import hashlib
import http.client
import os
import resource
import socket
import time
import uuid

import pytest
import requests

from harness.client import Registry
from harness.faultproxy import Fault, FaultProxy

MIB = 1 << 20


@pytest.fixture
def proxy(cncf):
    p = FaultProxy("127.0.0.1", cncf.port).start()
    yield p
    p.stop()


def name() -> str:
    return f"library/fp-{uuid.uuid4().hex[:10]}"


def _stream(size: int, h):
    block = os.urandom(MIB)
    sent = 0
    while sent < size:
        chunk = (sent.to_bytes(8, "little") + block[8:])[: min(MIB, size - sent)]
        h.update(chunk)
        sent += len(chunk)
        yield chunk


def test_streams_big_bodies_without_buffering(proxy):
    """96 MiB up (chunked request body) and down (Content-Length response) through the
    proxy, running in this process: its peak RSS grows by far less than the body."""
    repo, size = name(), 96 * MIB
    client = Registry(proxy.url, None, mode="none")
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    r = client.start_upload(repo)
    assert r.status_code == 202, r.text
    h = hashlib.sha256()
    r = requests.patch(client.location(r), data=_stream(size, h), timeout=120,
                       headers={"Content-Type": "application/octet-stream"})
    assert r.status_code == 202, r.text
    digest = "sha256:" + h.hexdigest()
    r = requests.put(client.location(r), params={"digest": digest}, timeout=60)
    assert r.status_code == 201, r.text
    got = hashlib.sha256()
    with requests.get(f"{proxy.url}/v2/{repo}/blobs/{digest}", stream=True,
                      timeout=60) as r:
        assert r.status_code == 200
        assert int(r.headers["Content-Length"]) == size
        for chunk in r.iter_content(MIB):
            got.update(chunk)
    assert "sha256:" + got.hexdigest() == digest
    grown_mib = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    assert grown_mib < 48, f"proxy buffered: peak RSS grew {grown_mib:.0f} MiB"
    assert proxy.requests >= 4
    assert proxy.bytes_up >= size and proxy.bytes_down >= size


def test_push_and_pull_an_image_keep_alive(proxy, layouts):
    _, img = layouts["multi"]
    repo = name()
    client = Registry(proxy.url, None, mode="none")
    assert client.push(repo, img, "v1") == img.digest
    r = client.get_manifest(repo, "v1")
    assert r.status_code == 200 and r.content == img.manifest
    assert client.head(f"/v2/{repo}/blobs/{img.json['config']['digest']}").status_code == 200


def test_status_faults_every_kth_and_times(proxy):
    rule = proxy.add(Fault.status(500, method="GET", path=r"^/v2/$", every=2, times=2))
    s = requests.Session()
    codes = [s.get(proxy.url + "/v2/", timeout=10).status_code for _ in range(6)]
    assert codes == [200, 500, 200, 500, 200, 200]
    assert rule.matched == 6 and rule.fired == 2
    r = s.get(proxy.url + "/v2/_catalog", timeout=10)  # path does not match
    assert r.status_code == 200
    proxy.clear()
    proxy.add(Fault.status(429, method="HEAD|GET"))
    r = s.get(proxy.url + "/v2/", timeout=10)
    assert r.status_code == 429 and r.headers["Retry-After"] == "1"
    assert r.json()["errors"][0]["code"] == "UNKNOWN"


def test_status_fault_drains_the_body_and_keeps_the_connection(proxy):
    repo = name()
    proxy.add(Fault.status(500, method="PUT", times=1))
    c = http.client.HTTPConnection("127.0.0.1", proxy.port, timeout=10)
    c.request("PUT", f"/v2/{repo}/blobs/uploads/x", body=b"z" * (3 * MIB))
    r = c.getresponse()
    assert r.status == 500 and r.getheader("Connection") == "keep-alive"
    r.read()
    c.request("GET", "/v2/")
    assert c.getresponse().status == 200


def test_fraction_is_seeded_and_roughly_right(proxy):
    rule = proxy.add(Fault.status(503, path=r"^/v2/$", fraction=0.3, seed=7))
    s = requests.Session()
    codes = [s.get(proxy.url + "/v2/", timeout=10).status_code for _ in range(100)]
    assert 15 <= codes.count(503) <= 45 and codes.count(503) == rule.fired


def test_drop_response_after_n_bytes(proxy):
    repo = name()
    data = os.urandom(2 * MIB)
    client = Registry(proxy.url, None, mode="none")
    digest = client.push_blob(repo, data)
    rule = proxy.add(Fault.drop_response(after=1000, method="GET", path=r"/blobs/",
                                         times=1))
    try:  # urllib3 1.26 does not enforce Content-Length: a short body may pass silently
        got = requests.get(f"{proxy.url}/v2/{repo}/blobs/{digest}", timeout=10).content
    except (requests.exceptions.ChunkedEncodingError, requests.exceptions.ConnectionError):
        got = b""
    assert len(got) < len(data)
    assert rule.fired == 1
    # raw check: exactly 1000 body bytes arrived
    rule2 = proxy.add(Fault.drop_response(after=1000, method="GET", path=r"/blobs/",
                                          times=1))
    with socket.create_connection(("127.0.0.1", proxy.port), timeout=10) as sock:
        sock.sendall(f"GET /v2/{repo}/blobs/{digest} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
        got = b""
        while chunk := sock.recv(65536):
            got += chunk
    head, _, body = got.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200") and len(body) == 1000
    assert rule2.fired == 1
    r = requests.get(f"{proxy.url}/v2/{repo}/blobs/{digest}", timeout=10)
    assert r.status_code == 200 and r.content == data


def test_drop_request_after_n_bytes(proxy, cncf):
    repo = name()
    client = Registry(proxy.url, None, mode="none")
    rule = proxy.add(Fault.drop_request(after=64 << 10, method="PATCH", times=1))
    r = client.start_upload(repo)
    loc = client.location(r)
    with pytest.raises(requests.exceptions.ConnectionError):
        requests.patch(loc, data=os.urandom(4 * MIB), timeout=10,
                       headers={"Content-Type": "application/octet-stream"})
    assert rule.fired == 1
    # the upstream saw a truncated body: the upload holds at most what was forwarded
    time.sleep(0.3)
    r = requests.get(loc.replace(proxy.host, cncf.host), timeout=10)
    if r.status_code == 204 and "Range" in r.headers:
        assert int(r.headers["Range"].split("-")[1]) < 64 << 10


def test_stall_before_request_and_mid_response(proxy):
    repo = name()
    data = os.urandom(MIB)
    client = Registry(proxy.url, None, mode="none")
    digest = client.push_blob(repo, data)
    proxy.add(Fault.stall(1.0, method="GET", path=r"^/v2/$", times=1))
    t = time.monotonic()
    assert requests.get(proxy.url + "/v2/", timeout=10).status_code == 200
    assert time.monotonic() - t >= 0.95
    proxy.add(Fault.stall(1.0, after=4096, method="GET", path=r"/blobs/", times=1))
    t = time.monotonic()
    with pytest.raises((requests.exceptions.ReadTimeout, requests.exceptions.ConnectionError)):
        r = requests.get(f"{proxy.url}/v2/{repo}/blobs/{digest}", timeout=(5, 0.4))
        r.content  # noqa: B018
    time.sleep(1)
    t = time.monotonic()
    proxy.add(Fault.stall(0.6, after=4096, method="GET", path=r"/blobs/", times=1))
    r = requests.get(f"{proxy.url}/v2/{repo}/blobs/{digest}", timeout=10)
    assert r.content == data and time.monotonic() - t >= 0.55


def test_expect_100_continue(proxy):
    repo = name()
    r = requests.post(f"{proxy.url}/v2/{repo}/blobs/uploads/", timeout=10)
    path = r.headers["Location"].split(proxy.host, 1)[-1]
    data = os.urandom(300 << 10)
    digest = "sha256:" + hashlib.sha256(data).hexdigest()
    c = http.client.HTTPConnection("127.0.0.1", proxy.port, timeout=10)
    c.putrequest("PUT", f"{path}{'&' if '?' in path else '?'}digest={digest}")
    c.putheader("Content-Length", str(len(data)))
    c.putheader("Expect", "100-continue")
    c.endheaders()
    interim = c.sock.recv(100)
    assert interim.startswith(b"HTTP/1.1 100"), interim
    c.send(data)
    assert c.getresponse().status == 201

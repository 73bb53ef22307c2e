"""The simulator's HTTP server under hostile clients: a slow client is cut off, bodies above the route's limit
get a 413 unread, deep JSON labelled multipart gets a 400, and a client hanging up prints no traceback."""

from __future__ import annotations

import json
import socket
import struct
import threading
import time
from urllib.parse import urlsplit

import pytest

from helpers.maintainer import simulator_server as server_module
from helpers.maintainer.simulator_server import serve
from helpers.offline.simulator import Simulator
from tests.test_sim_server import Spy

MINI = "gpt-image-1-mini"
GOOD = json.dumps({"model": MINI, "prompt": "A red fox", "quality": "low"}).encode()




def connect(url: str) -> socket.socket:
    parts = urlsplit(url)
    return socket.create_connection((parts.hostname, parts.port), timeout=30)


def read_answer(sock: socket.socket) -> tuple[int, dict]:
    data = b""
    while chunk := sock.recv(65536):
        data += chunk
    status_line, _, rest = data.partition(b"\r\n")
    _, _, payload = rest.partition(b"\r\n\r\n")
    return int(status_line.split()[1]), json.loads(payload)


def test_a_client_trickling_its_body_is_cut_off_with_a_408_before_it_finishes():
    spy = Spy(Simulator())
    total = 4000  # at one byte per 10 ms this would hold a thread for 40 s
    with serve(spy, request_deadline_s=0.5, body_timeout_s=5) as url, connect(url) as sock:
        sock.sendall(f"POST /v1/images/generations HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                     f"Content-Length: {total}\r\n\r\n".encode())
        sent = 0
        try:
            while sent < total:
                sock.sendall(b" ")
                sent += 1
                time.sleep(0.01)
                sock.setblocking(False)
                try:
                    if sock.recv(1, socket.MSG_PEEK):
                        break  # the server answered while the body was still arriving
                except BlockingIOError:
                    pass
                finally:
                    sock.setblocking(True)
        except (BrokenPipeError, ConnectionResetError):
            pass
        status, payload = read_answer(sock)
    assert sent < total, "the server waited for the whole trickled body"
    assert status == 408 and "did not arrive within" in payload["error"]["message"] and spy.answers == []


def test_headers_that_never_end_are_cut_off_too():
    spy = Spy(Simulator())
    with serve(spy, request_deadline_s=0.5, body_timeout_s=5) as url, connect(url) as sock:
        sock.sendall(b"POST /v1/images/generations HTTP/1.1\r\nHost: x\r\n")
        for i in range(4000):
            try:
                sock.sendall(f"X-Slow-{i}: 1\r\n".encode())
            except (BrokenPipeError, ConnectionResetError):
                break
            time.sleep(0.01)
            sock.setblocking(False)
            try:
                if sock.recv(1, socket.MSG_PEEK) in (b"", b"H"):
                    break
            except BlockingIOError:
                pass
            finally:
                sock.setblocking(True)
        else:
            pytest.fail("the server kept reading headers")
    assert spy.answers == []


@pytest.mark.parametrize("path, length, status", [
    ("/v1/images/generations", 200 * 1024 * 1024, 413),
    ("/v1/responses", 200 * 1024 * 1024, 413),
    ("/v1/files", 300 * 1024 * 1024, 413),
    ("/v1/images/edits", 900 * 1024 * 1024, 413),
])
def test_a_body_above_its_route_limit_gets_a_413_without_being_read(path, length, status):
    spy = Spy(Simulator())
    with serve(spy) as url, connect(url) as sock:
        sock.sendall(f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                     f"Content-Length: {length}\r\n\r\n".encode())
        got, payload = read_answer(sock)
    assert got == status and f"takes at most {server_module.body_limit(path)}" in payload["error"]["message"]
    assert spy.answers == []


def test_route_limits_follow_the_api_where_it_gives_one():
    mb = 1024 * 1024
    assert server_module.body_limit("/v1/images/edits") >= 16 * 50 * mb + 4 * mb
    assert 200 * mb <= server_module.body_limit("/v1/files") < 300 * mb
    assert server_module.body_limit("/v1/images/generations") < 200 * mb


def test_a_chunked_body_above_its_route_limit_gets_a_413():
    spy = Spy(Simulator())
    limit = server_module.body_limit("/v1/images/generations")
    with serve(spy) as url, connect(url) as sock:
        sock.sendall(b"POST /v1/images/generations HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                     + f"{limit + 1:x}\r\n".encode())
        got, payload = read_answer(sock)
    assert got == 413 and spy.answers == []


@pytest.mark.parametrize("path", ["/v1/images/generations", "/v1/responses"])
def test_deep_json_sent_as_multipart_gets_a_400_not_a_500(path):
    deep = b'{"model": "' + MINI.encode() + b'", "prompt": "x", "extra": ' + b"[" * 5000 + b"]" * 5000 + b"}"
    spy = Spy(Simulator())
    with serve(spy) as url, connect(url) as sock:
        sock.sendall(f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; boundary=x\r\n"
                     f"Content-Length: {len(deep)}\r\nConnection: close\r\n\r\n".encode() + deep)
        status, payload = read_answer(sock)
    assert status == 400 and "nests deeper" in payload["error"]["message"]


class SlowAnswer:
    """Answers a large body only once the client has hung up, so writing it must fail."""

    def __init__(self):
        self.hung_up, self.answered = threading.Event(), threading.Event()

    def handle(self, method, path, query, headers, body):
        self.hung_up.wait(10)
        answer = Simulator().handle(method, path, query, headers, body)
        answer = type(answer)(answer.status, body={"pad": "x" * (8 * 1024 * 1024)}, headers=answer.headers)
        return answer


def test_a_client_hanging_up_mid_answer_prints_no_traceback(capfd):
    slow = SlowAnswer()
    with serve(slow) as url:
        sock = connect(url)
        sock.sendall(f"POST /v1/images/generations HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                     f"Content-Length: {len(GOOD)}\r\n\r\n".encode() + GOOD)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))  # hang up with a reset
        sock.close()
        slow.hung_up.set()
        for _ in range(200):  # until the handler thread has finished with the dead connection
            if not any(t.name.startswith("Thread-") and "process_request" in t.name and t.is_alive()
                       for t in threading.enumerate()):
                break
            time.sleep(0.05)
        # The server still answers others.
        with connect(url) as other:
            other.sendall(f"POST /v1/images/generations HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                          f"Content-Length: {len(GOOD)}\r\nConnection: close\r\n\r\n".encode() + GOOD)
            status, _ = read_answer(other)
    err = capfd.readouterr().err
    assert status == 200
    assert "Traceback" not in err and "ConnectionResetError" not in err and "BrokenPipeError" not in err

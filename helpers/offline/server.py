"""The offline simulator behind a real HTTP socket on 127.0.0.1.

For clients that need a URL rather than an injected transport (curl, raw ``requests``, another
SDK). Streams go out with chunked transfer encoding, one SSE event per chunk, flushed as written,
so a client sees the events arrive separately as it would from the API.

    with serve(Simulator()) as base_url:
        client = openai.OpenAI(base_url=base_url, api_key="sk-test")
"""

from __future__ import annotations

import json
import threading
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Iterator
from urllib.parse import parse_qsl, urlsplit

from . import recording, wire
from .errors import SIMULATED
from .simulator import Simulator

LOOPBACK = "127.0.0.1"


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, and chunked streams
    simulator: Simulator

    def do_GET(self) -> None:
        self._answer()

    do_POST = do_PUT = do_PATCH = do_DELETE = do_GET

    def _answer(self) -> None:
        body = self._read_body()
        url = urlsplit(self.path)
        try:
            result = self.simulator.handle(self.command, url.path, dict(parse_qsl(url.query)),
                                           dict(self.headers.items()), body)
        except Exception as exc:  # a simulator bug: answer it instead of dropping the connection
            # x-should-retry stops the SDK from repeating a request that will fail the same way.
            self._send_json(500, {"error": {"message": f"{SIMULATED}The simulator failed: {exc!r}",
                                            "type": "server_error", "param": None, "code": None}},
                            {"x-should-retry": "false"})
            return
        if result.events is None:
            self._send_json(result.status, result.body, result.headers)
            return
        self.send_response(result.status)
        self._send_headers(result.headers, {"Content-Type": "text/event-stream", "Cache-Control": "no-cache",
                                            "Transfer-Encoding": "chunked"})
        # wfile is unbuffered (StreamRequestHandler.wbufsize is 0): each write leaves as its own chunk.
        for frame in wire.encode_sse(result.events):
            self.wfile.write(b"%x\r\n%s\r\n" % (len(frame), frame))
        self.wfile.write(b"0\r\n\r\n")

    def _send_json(self, status: int, body: dict | None, headers) -> None:
        media = "application/json"
        if recording.is_jsonl_payload(body):  # a file download (Batch results): send the file itself
            payload, media = recording.jsonl_bytes(body), recording.JSONL_MEDIA_TYPE
        else:
            payload = json.dumps(body).encode()
        self.send_response(status)
        self._send_headers(headers, {"Content-Type": media, "Content-Length": str(len(payload))})
        self.wfile.write(payload)

    def _send_headers(self, headers, framing: dict[str, str]) -> None:
        own = {k.lower() for k in framing}
        for name, value in headers.items():
            if name.lower() not in own:
                self.send_header(name, value)
        for name, value in framing.items():
            self.send_header(name, value)
        self.end_headers()

    def _read_body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            data = bytearray()
            while size := int(self.rfile.readline().split(b";")[0].strip() or b"0", 16):
                data += self.rfile.read(size)
                self.rfile.readline()
            while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                pass  # trailers
            return bytes(data)
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def log_message(self, format: str, *args) -> None:
        pass  # one line per request would flood notebook and test output


@contextmanager
def serve(simulator: Simulator, host: str = LOOPBACK, port: int = 0) -> Iterator[str]:
    """Run ``simulator`` on ``host:port`` (port 0 picks a free one); yields the base URL ending in ``/v1``."""
    if host != LOOPBACK:
        raise ValueError(f"the simulator server binds to {LOOPBACK} only, not {host!r}")
    handler = type("SimulatorHandler", (_Handler,), {"simulator": simulator})
    server = ThreadingHTTPServer((host, port), handler)
    server.daemon_threads = True
    # A short poll keeps shutdown quick when the block exits.
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, name="simulator-server",
                              daemon=True)
    thread.start()
    try:
        yield f"http://{host}:{server.server_address[1]}/v1"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()

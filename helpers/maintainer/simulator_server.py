"""The offline simulator behind a real HTTP socket on 127.0.0.1.

For clients that need a URL rather than an injected transport (curl, raw ``requests``, another
SDK). Streams go out with chunked transfer encoding, one SSE event per chunk, flushed as written,
so a client sees the events arrive separately as it would from the API.

    with serve(Simulator()) as base_url:
        client = openai.OpenAI(base_url=base_url, api_key="sk-test")

It stays on 127.0.0.1 and answers malformed HTTP before the simulator sees it: a bad or conflicting
``Content-Length``, broken chunked framing or JSON nested deeper than ``MAX_JSON_DEPTH`` (whatever the
``Content-Type`` claims) get a 400; a body over its route's limit (``body_limit``: the API's own limits
where the reference gives them, else the kit's) gets a 413 before it is read; a request whose headers and
body have not all arrived within ``request_deadline_s`` (however slowly they trickle in), or that sends
nothing for ``body_timeout_s``, gets a 408 and its connection is closed, so a slow client cannot hold a
thread. Those answers say "(simulated)": they are this server's, not OpenAI's. A client that hangs up
mid-answer is let go quietly (no traceback).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import re
import socket
import sys
import threading
import contextlib
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Callable, Iterator, Optional
from urllib.parse import parse_qsl, urlsplit

from .. import wire
from ..api_errors import SIMULATED
from ..transports import recording
from ..offline.simulator import Simulator

LOOPBACK = "127.0.0.1"
MB = 1024 * 1024
# Room for multipart headers and text fields beside the files of a request.
FORM_OVERHEAD_BYTES = 1 * MB
# /v1/images/edits: up to 16 images under 50 MB each plus a mask under 4 MB ([SDK] openai/types/
# image_edit_params.py:15-24 and :86-92, in the kit's reference notes).
EDIT_BODY_BYTES = 16 * 50 * MB + 4 * MB + FORM_OVERHEAD_BYTES
# /v1/files: the simulator's files are Batch input files, "up to 200 MB" ([SDK] openai/types/
# batch_create_params.py:14-51). The Files API's own limit for other purposes is not in the reference.
FILE_BODY_BYTES = 200 * MB + FORM_OVERHEAD_BYTES
# Every other route (generations, Responses, Batch, a model's details): the kit's own limit, not an API figure. A
# generation's prompt is at most 32,000 characters ([SDK] image_generate_params.py:20-24); no request the
# lessons send comes near 64 MB.
OTHER_BODY_BYTES = 64 * MB
BODY_LIMITS = {"/v1/images/edits": EDIT_BODY_BYTES, "/v1/files": FILE_BODY_BYTES, "/v1/uploads": FILE_BODY_BYTES}
# The largest body any route takes.
MAX_BODY_BYTES = max(EDIT_BODY_BYTES, FILE_BODY_BYTES, OTHER_BODY_BYTES)
# Routes whose multipart bodies are read as multipart (file parts are binary, so not JSON-checked).
MULTIPART_ROUTES = ("/v1/images/edits", "/v1/files", "/v1/uploads")
# Deeper JSON is refused before parsing (no request the API takes nests anywhere near this).
MAX_JSON_DEPTH = 64
# Seconds a client may leave a request body (or the next request on a kept-alive connection) unsent.
BODY_TIMEOUT_S = 10.0
# Seconds a whole request (request line, headers and body) may take to arrive: the kit's own limit. On
# 127.0.0.1 the largest edit arrives in a few seconds; a client trickling bytes is cut off here.
REQUEST_DEADLINE_S = 60.0


def body_limit(path: str) -> int:
    """The largest request body (bytes) this server reads for the request path ``path`` (see BODY_LIMITS)."""
    route = urlsplit(path).path.rstrip("/")
    return next((limit for prefix, limit in BODY_LIMITS.items() if route == prefix or route.startswith(prefix + "/")),
                OTHER_BODY_BYTES)
_DIGITS = re.compile(rb"[0-9]{1,12}")
_CHUNK_SIZE = re.compile(rb"([0-9A-Fa-f]{1,8})(;[^\r\n]*)?\r?\n")
_JSON_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.S)  # the unrolled form: fast on long data URLs
_JSON_BRACKETS = re.compile(rb"[\[\]{}]")


class BadRequest(Exception):
    """A request this server refuses before the simulator sees it: (status, message)."""


def json_depth(body: bytes) -> int:
    """How deeply a JSON text nests arrays and objects (0 for a scalar), without parsing it."""
    depth = deepest = 0
    for match in _JSON_BRACKETS.finditer(_JSON_STRING.sub(b'""', body)):
        depth += 1 if match[0] in b"[{" else -1
        deepest = max(deepest, depth)
    return deepest


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, and chunked streams
    simulator: Simulator
    timeout = BODY_TIMEOUT_S  # applied to the socket by StreamRequestHandler.setup
    request_deadline_s = REQUEST_DEADLINE_S
    _cut_off = False
    _deadline: Optional[threading.Timer] = None

    def setup(self) -> None:
        super().setup()
        # Headers and body leave in separate writes: without this, delayed ACKs stall each answer ~40 ms.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def handle_one_request(self) -> None:
        """One request, read under ``request_deadline_s``: when it passes, reading stops (the socket's read
        side is shut, so a blocked read returns at once) and the request is answered 408."""
        self._cut_off = False
        self._deadline = threading.Timer(self.request_deadline_s, self._stop_reading)
        self._deadline.daemon = True
        self._deadline.start()
        try:
            super().handle_one_request()
        except (ConnectionError, TimeoutError):
            self.close_connection = True  # the client went away, or stopped sending: nothing to answer
        finally:
            self._deadline.cancel()

    def _stop_reading(self) -> None:
        self._cut_off = True
        try:
            self.connection.shutdown(socket.SHUT_RD)
        except OSError:
            pass

    def _late(self) -> BadRequest:
        return BadRequest(408, f"The request did not arrive within {self.request_deadline_s:g} s.")

    def do_GET(self) -> None:
        self._answer()

    do_POST = do_PUT = do_PATCH = do_DELETE = do_GET

    def _refuse(self, status: int, message: str) -> None:
        self.close_connection = True  # the framing is not to be trusted after this
        self._send_json(status, {"error": {"message": f"{SIMULATED}{message}", "type": "invalid_request_error",
                                           "param": None, "code": None}}, {"Connection": "close"})

    def _answer(self) -> None:
        url = urlsplit(self.path)
        try:
            if self._cut_off:
                raise self._late()
            try:
                body = self._read_body()
            except BadRequest:
                if self._cut_off:  # the body stopped short because the deadline shut the reading side
                    raise self._late() from None
                raise
            if self._cut_off:
                raise self._late()
            self._deadline.cancel()  # all of it arrived: answering (and streaming) is not bounded
            # Only a multipart route reads a multipart body as multipart; on any other route the body reaches
            # json.loads in the simulator, whatever its Content-Type says.
            multipart = (self.headers.get("Content-Type") or "").startswith("multipart/")
            if not (multipart and url.path.rstrip("/").startswith(MULTIPART_ROUTES)) \
                    and json_depth(body) > MAX_JSON_DEPTH:
                raise BadRequest(400, f"The JSON body nests deeper than {MAX_JSON_DEPTH} levels.")
        except BadRequest as refused:
            self._refuse(*refused.args)
            return
        except TimeoutError:
            self._refuse(408, f"The request body did not arrive within {self.timeout:g} s.")
            return
        try:
            self._respond(url, body)
        except ConnectionError:
            self.close_connection = True  # the client hung up mid-answer: nothing more to send

    def _respond(self, url, body: bytes) -> None:
        try:
            result = self.simulator.handle(self.command, url.path, dict(parse_qsl(url.query)),
                                           dict(self.headers.items()), body)
        except RecursionError:  # nesting the checks above could not see (inside a form field)
            self._refuse(400, f"The request nests deeper than {MAX_JSON_DEPTH} levels.")
            return
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
        """The request body, by Content-Length or chunked framing; BadRequest when the framing is wrong."""
        lengths = self.headers.get_all("Content-Length") or []
        chunked = (self.headers.get("Transfer-Encoding") or "").strip().lower()
        if chunked and lengths:
            raise BadRequest(400, "A request cannot have both Content-Length and Transfer-Encoding.")
        if chunked:
            if chunked != "chunked":
                raise BadRequest(400, f"Unsupported Transfer-Encoding {chunked!r}.")
            return self._read_chunked()
        if not lengths:
            return b""
        if len(set(lengths)) != 1 or not _DIGITS.fullmatch(lengths[0].strip().encode()):
            raise BadRequest(400, "The Content-Length header is not a single non-negative integer.")
        length, limit = int(lengths[0]), body_limit(self.path)
        if length > limit:
            raise BadRequest(413, f"The body is {length} bytes; {urlsplit(self.path).path} takes at most {limit}.")
        body = self.rfile.read(length)
        if len(body) != length:
            raise BadRequest(400, f"The body ended after {len(body)} of {length} bytes.")
        return body

    def _read_chunked(self) -> bytes:
        data, limit = bytearray(), body_limit(self.path)
        while True:
            match = _CHUNK_SIZE.fullmatch(self.rfile.readline(1024))
            if match is None:
                raise BadRequest(400, "Broken chunked encoding: a chunk size line is not hexadecimal.")
            size = int(match[1], 16)
            if len(data) + size > limit:
                raise BadRequest(413, f"The chunked body is over {limit} bytes, the most "
                                      f"{urlsplit(self.path).path} takes.")
            if size == 0:
                break
            chunk = self.rfile.read(size)
            if len(chunk) != size or self.rfile.readline(3) not in (b"\r\n", b"\n"):
                raise BadRequest(400, "Broken chunked encoding: a chunk is not the size its line gives.")
            data += chunk
        for _ in range(100):  # trailers, up to the blank line
            if self.rfile.readline(8192) in (b"\r\n", b"\n", b""):
                return bytes(data)
        raise BadRequest(400, "Broken chunked encoding: too many trailer lines.")

    def log_message(self, format: str, *args) -> None:
        pass  # one line per request would flood notebook and test output


class _Server(ThreadingHTTPServer):
    def handle_error(self, request, client_address) -> None:
        """A client that hung up or stopped sending is not a server error: no traceback for those."""
        if isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
            return
        super().handle_error(request, client_address)


@contextmanager
def serve(simulator: Simulator, host: str = LOOPBACK, port: int = 0, *,
          body_timeout_s: float = BODY_TIMEOUT_S, request_deadline_s: float = REQUEST_DEADLINE_S) -> Iterator[str]:
    """Run ``simulator`` on ``host:port`` (port 0 picks a free one); yields the base URL ending in ``/v1``.

    ``body_timeout_s`` (seconds) bounds how long a connection may sit with nothing sent;
    ``request_deadline_s`` (seconds) how long one request's line, headers and body may take to arrive.
    Raises ValueError for any host but 127.0.0.1.
    """
    if host != LOOPBACK:
        raise ValueError(f"the simulator server binds to {LOOPBACK} only, not {host!r}")
    handler = type("SimulatorHandler", (_Handler,), {"simulator": simulator, "timeout": body_timeout_s,
                                                     "request_deadline_s": request_deadline_s})
    server = _Server((host, port), handler)
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


def main(argv: Optional[list[str]] = None, *, ready: Callable[[str], None] = print,
         wait: Callable[[], None] = threading.Event().wait) -> None:
    """``python -m helpers.maintainer.simulator_server [--day YYYY-MM-DD] [--port N]``: serve the simulator on 127.0.0.1
    until interrupted, answering for ``--day`` (default: today, so a model shut down today gets the
    shut-down answer). ``ready`` receives the line that gives the base URL; ``wait`` blocks until stop."""
    parser = argparse.ArgumentParser(prog="python -m helpers.maintainer.simulator_server", description=main.__doc__.split("\n")[0])
    parser.add_argument("--day", type=_iso_day, default=None,
                        help="the day the simulator answers for (YYYY-MM-DD; default: today)")
    parser.add_argument("--port", type=int, default=8000, help="port on 127.0.0.1 (0 picks a free one; default 8000)")
    args = parser.parse_args(argv)
    simulator = Simulator(day=args.day)
    with contextlib.ExitStack() as stack:
        try:
            base_url = stack.enter_context(serve(simulator, port=args.port))
        except OSError as error:  # the port is taken, or not ours to open
            parser.exit(1, f"cannot serve on 127.0.0.1:{args.port}: {error.strerror or error}. Pick another "
                           "port with --port (0 picks a free one).\n")
        ready(f"The kit's offline simulator (not OpenAI), answering for {simulator.day}, at {base_url}\n"
              f"  export OPENAI_BASE_URL={base_url} OPENAI_API_KEY=sk-simulator   (Ctrl-C stops it)")
        try:
            wait()
        except KeyboardInterrupt:
            pass


def _iso_day(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date like 2026-12-02") from None


if __name__ == "__main__":
    main()

"""Recordings: one JSON file per notebook holding request/response pairs.

A request is stored in a normalised form that is also its matching key: method, path, sorted
query and body, where JSON is compared as data, multipart is parsed into fields, and uploaded or
inlined images are identified by their decoded pixels (a re-encoded PNG still matches). Request
headers are never stored, so keys, organization and project ids cannot leak. Responses keep their
status, body (JSON or SSE events) and a few headers the SDK acts on. Large images in responses
are stored as small thumbnails and expanded back to their original size and format on replay.
"""

from __future__ import annotations

import base64
import difflib
import hashlib
import io
import json
import re
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Optional

from PIL import Image

from ..secrets import scrub, scrub_request, scrub_text
from ..writes import FolderLock, LockHeld, atomic_write_text, remove_stale_temporaries
from .. import request as request_record
from .. import settings

FORMAT_VERSION = 1
SIMULATOR = "simulator"
OPENAI_API = "openai-api"

# Response headers the SDK reads (retries, request ids); everything else is dropped.
KEPT_RESPONSE_HEADERS = ("content-type", "x-request-id", "openai-version", "x-should-retry", "retry-after",
                         "retry-after-ms", "x-ratelimit-limit-requests", "x-ratelimit-remaining-requests",
                         "x-ratelimit-reset-requests", "x-ratelimit-limit-tokens", "x-ratelimit-remaining-tokens",
                         "x-ratelimit-reset-tokens")
IMAGE_FIELDS = ("b64_json", "result", "partial_image_b64")
STORED_IMAGE_MAX_SIDE = 256
_DATA_URL = re.compile(r"^data:(image/[a-z+.-]+);base64,(.+)$", re.S)


class RecordingMismatch(LookupError):
    """A request that no recording holds. Deliberately not an HTTP error, so the SDK never retries it."""


class RecordingError(ValueError):
    """A recording file that is corrupted or not a recording; the message names the file and the fault."""


class RecordingLocked(LockHeld):
    """Another process is writing (or promoting) the same recording."""




# --- request normalisation -------------------------------------------------------------------

def image_fingerprint(data: bytes) -> Optional[dict]:
    """Identify an image by its pixels, not its encoding; None when the bytes are not an image."""
    try:
        with Image.open(io.BytesIO(data)) as img:
            img.load()
            rgba = img.convert("RGBA")
            mode, size = img.mode, img.size
    except Exception:
        return None
    digest = hashlib.sha256(rgba.tobytes()).hexdigest()[:16]
    return {"image": f"{size[0]}x{size[1]}", "mode": mode, "pixels_sha256": digest}


def file_fingerprint(data: bytes) -> dict:
    return image_fingerprint(data) or {"bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()[:16]}


def _inline_images(value: Any) -> Any:
    """Replace base64 data URLs (Responses input images and masks) by their pixel fingerprint."""
    if isinstance(value, dict):
        return {k: _inline_images(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_inline_images(v) for v in value]
    if isinstance(value, str) and value.startswith("data:image/"):
        match = _DATA_URL.match(value)
        if match:
            return {"data_url": match.group(1), **file_fingerprint(base64.b64decode(match.group(2)))}
    return value


def normalise(parsed: request_record.Request) -> dict:
    """The stored form of a request (``helpers.request.Request``): what recordings match on.

    JSON bodies are kept with input images replaced by fingerprints; multipart bodies become their
    text fields and one fingerprint per file; any other body (or one that does not parse) a fingerprint.
    """
    request: dict[str, Any] = {"method": parsed.method, "path": parsed.path}
    if parsed.query:
        request["query"] = [list(p) for p in parsed.query]
    if not parsed.body:
        return request
    if parsed.media_type == "application/json" and not parsed.json_invalid:
        request["json"] = _inline_images(parsed.json)
    elif parsed.parts:
        files: dict[str, list] = {}
        for part in parsed.files:
            files.setdefault(part.name, []).append(file_fingerprint(part.data))
        request["form"] = dict(parsed.fields)
        request["files"] = files
    else:
        request["body"] = file_fingerprint(parsed.body)
    return request


def normalise_request(method: str, path: str, query: Iterable[tuple[str, str]], content_type: str,
                      body: bytes) -> dict:
    """``normalise`` of a request given by its pieces (method, URL path, query pairs, content type, body)."""
    return normalise(request_record.from_parts(method, path, query, content_type, body))


def request_key(request: dict) -> str:
    return json.dumps(request, sort_keys=True, separators=(",", ":"))


# --- response images --------------------------------------------------------------------------

def shrink_image(b64: str) -> dict:
    """A thumbnail plus what is needed to expand it back to the claimed size and format."""
    raw = base64.b64decode(b64)
    with Image.open(io.BytesIO(raw)) as img:
        img.load()
        fmt = (img.format or "PNG").lower()
        width, height = img.size
        has_alpha = img.mode in ("RGBA", "LA") or (img.mode == "P" and "transparency" in img.info)
        thumb = img.convert("RGBA" if has_alpha else "RGB")
    thumb.thumbnail((STORED_IMAGE_MAX_SIDE, STORED_IMAGE_MAX_SIDE))
    out = io.BytesIO()
    if has_alpha:
        thumb.quantize(128, method=Image.Quantize.FASTOCTREE).save(out, "PNG", optimize=True)
    else:
        thumb.save(out, "JPEG", quality=80)
    return {"$image": {"format": "jpeg" if fmt == "jpg" else fmt, "width": width, "height": height,
                       "alpha": has_alpha, "thumbnail": base64.b64encode(out.getvalue()).decode()}}


# The largest image the API returns: 3840x2160 (the gpt-image-2 size rules); a stored marker may not
# expand to anything larger, nor to a format the API does not return.
MAX_EXPANDED_SIDE = 3840
MAX_EXPANDED_PIXELS = 3840 * 2160
EXPANDED_FORMATS = ("png", "jpeg", "webp")


def expand_image(marker: dict) -> str:
    """The stored thumbnail expanded back to its recorded size and format. Raises ValueError if the
    marker claims a size or format the API cannot return, or the thumbnail is not a small image."""
    info = marker["$image"]
    width, height, fmt = info.get("width"), info.get("height"), str(info.get("format", "")).lower()
    if not (isinstance(width, int) and isinstance(height, int) and 0 < width <= MAX_EXPANDED_SIDE
            and 0 < height <= MAX_EXPANDED_SIDE and width * height <= MAX_EXPANDED_PIXELS):
        raise ValueError(f"a stored image claims {width}x{height}, a size the API does not return")
    if fmt not in EXPANDED_FORMATS:
        raise ValueError(f"a stored image claims format {fmt!r}; the API returns {', '.join(EXPANDED_FORMATS)}")
    with Image.open(io.BytesIO(base64.b64decode(info["thumbnail"], validate=True))) as thumb:
        if max(thumb.size) > STORED_IMAGE_MAX_SIDE:
            raise ValueError(f"a stored thumbnail is {thumb.size[0]}x{thumb.size[1]}, larger than the "
                             f"{STORED_IMAGE_MAX_SIDE} px the kit stores")
        img = thumb.convert("RGBA" if info["alpha"] else "RGB")
    img = img.resize((width, height), Image.Resampling.BICUBIC)
    fmt = fmt.upper()
    if fmt == "JPEG" and img.mode == "RGBA":
        img = img.convert("RGB")
    out = io.BytesIO()
    # Replay expands every stored image it serves: the fastest PNG level takes a third of the
    # default's time on an upscaled picture, and these bytes are never stored.
    img.save(out, fmt, **({"compress_level": 1} if fmt == "PNG" else {}))
    return base64.b64encode(out.getvalue()).decode()


def _map_images(value: Any, convert) -> Any:
    if isinstance(value, dict):
        if "$image" in value and len(value) == 1:
            return convert(value)
        return {k: (convert(v) if k in IMAGE_FIELDS and _is_image_value(v) else _map_images(v, convert))
                for k, v in value.items()}
    if isinstance(value, list):
        return [_map_images(v, convert) for v in value]
    return value


def _is_image_value(value: Any) -> bool:
    return (isinstance(value, str) and len(value) > 1000) or (isinstance(value, dict) and "$image" in value)


def _shrink_if_image(value: Any) -> Any:
    if isinstance(value, dict):
        return value
    try:
        return shrink_image(value)
    except Exception:  # a long string that is not an image stays as it is
        return value


# --- JSON Lines bodies ------------------------------------------------------------------------
# A Batch file download is JSON Lines, not JSON. It is stored as {"$jsonl": [line, ...]} so the
# images inside its lines are shrunk like any others, and replay writes it back one line per object.
JSONL_KEY = "$jsonl"
JSONL_MEDIA_TYPE = "application/jsonl"


def jsonl_payload(lines: Iterable[Any]) -> dict:
    return {JSONL_KEY: list(lines)}


def is_jsonl_payload(value: Any) -> bool:
    return isinstance(value, dict) and set(value) == {JSONL_KEY}


def jsonl_bytes(payload: dict) -> bytes:
    return "".join(json.dumps(line, separators=(",", ":")) + "\n" for line in payload[JSONL_KEY]).encode()


def parse_jsonl(body: bytes) -> Optional[dict]:
    """The stored form of a body holding one JSON object per line; None for any other body."""
    try:
        lines = [json.loads(line) for line in body.decode("utf-8").splitlines() if line.strip()]
    except (UnicodeDecodeError, json.JSONDecodeError):
        return None
    return jsonl_payload(lines) if lines and all(isinstance(line, dict) for line in lines) else None


def shrink_images(body: Any) -> Any:
    return _map_images(body, _shrink_if_image)


def expand_images(body: Any) -> Any:
    return _map_images(body, lambda v: expand_image(v) if isinstance(v, dict) else v)


# --- the recording file ----------------------------------------------------------------------

@dataclass
class StoredResponse:
    status: int
    headers: dict[str, str]
    json: Any = None
    sse: Optional[list[dict]] = None

    def to_dict(self) -> dict:
        out: dict[str, Any] = {"status": self.status, "headers": self.headers}
        if self.sse is not None:
            out["sse"] = shrink_images(self.sse)
        else:
            out["json"] = shrink_images(self.json)
        return out

    @classmethod
    def from_dict(cls, data: dict) -> "StoredResponse":
        return cls(data["status"], dict(data.get("headers", {})),
                   json=expand_images(data.get("json")),
                   sse=expand_images(data["sse"]) if "sse" in data else None)


def kept_headers(headers: Iterable[tuple[str, str]]) -> dict[str, str]:
    return {k.lower(): v for k, v in headers if k.lower() in KEPT_RESPONSE_HEADERS}


@dataclass
class Recording:
    """The interactions of one notebook. Identical requests are served in recorded order; the last repeats."""

    path: Path
    interactions: list[dict] = field(default_factory=list)
    _served: dict[str, int] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @classmethod
    def load(cls, path: Path) -> "Recording":
        """Read a recording (an absent file is an empty one). Raises RecordingError naming the file and fault."""
        path = Path(path)
        if not path.exists():
            return cls(path)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
            raise RecordingError(f"{path}: not a readable JSON recording ({error}). Restore it with 'git "
                                 f"checkout {path.name}' or rebuild it (README, 'Rebuilding recordings').") from None
        if not isinstance(data, dict) or data.get("format") != FORMAT_VERSION:
            found = data.get("format") if isinstance(data, dict) else type(data).__name__
            raise RecordingError(f"{path}: not a recording of format {FORMAT_VERSION} (found {found!r})")
        interactions = data.get("interactions")
        if not isinstance(interactions, list):
            raise RecordingError(f"{path}: 'interactions' must be a list")
        for number, item in enumerate(interactions, 1):
            problem = _interaction_problem(item)
            if problem:
                raise RecordingError(f"{path}: interaction {number} {problem}")
        return cls(path, list(interactions))

    @property
    def sources(self) -> list[str]:
        return sorted({i["source"] for i in self.interactions})

    def lookup(self, request: dict) -> tuple[StoredResponse, dict]:
        """The stored answer to ``request``, compared as it was stored (``secrets.scrub_request``: the body
        and prompt text exactly as sent, only secret query values redacted).

        Raises RecordingMismatch when nothing matches, RecordingError when the match cannot be replayed.
        """
        key = request_key(scrub_request(request))
        with self._lock:
            matches = [i for i in self.interactions if request_key(i["request"]) == key]
            if not matches:
                raise RecordingMismatch(self.explain_miss(request))
            index = self._served.get(key, 0)
            self._served[key] = index + 1
        chosen = matches[min(index, len(matches) - 1)]
        try:
            return StoredResponse.from_dict(chosen["response"]), chosen
        except (ValueError, KeyError, TypeError, OSError) as error:
            number = self.interactions.index(chosen) + 1
            raise RecordingError(f"{self.path}: interaction {number} cannot be replayed: {error}") from None

    def explain_miss(self, request: dict) -> str:
        """Why ``request`` matched nothing: the closest recorded request as a diff (secrets scrubbed)."""
        return scrub_text(self._explain_miss(request))

    def _explain_miss(self, request: dict) -> str:
        same_route = [i["request"] for i in self.interactions
                      if i["request"]["method"] == request["method"] and i["request"]["path"] == request["path"]]
        head = (f"No recording in {self.path.name} matches {request['method']} {request['path']}.\n"
                "Replay is strict: every parameter must equal a recorded request. Undo the change, or rebuild "
                "the recordings (see README, 'Rebuilding recordings').\n")
        if not same_route:
            routes = sorted({f"{r['request']['method']} {r['request']['path']}" for r in self.interactions})
            return head + "Recorded routes: " + (", ".join(routes) or "none (empty recording)")
        sent = _pretty(request)
        closest = max(same_route, key=lambda r: difflib.SequenceMatcher(None, _pretty(r), sent).ratio())
        diff = difflib.unified_diff(_pretty(closest).splitlines(), sent.splitlines(),
                                    "closest recorded request", "request sent", lineterm="", n=1)
        return head + "\n".join(diff)

    def add(self, request: dict, response: StoredResponse, source: str, credentials: Iterable[str] = ()) -> None:
        """Append one exchange and save. The answer loses every key, organization and project id and each
        of ``credentials`` (the values the request authenticated with); the request is stored as it is
        matched (``secrets.scrub_request``): its prompt text is never rewritten."""
        stored = {"source": source, "request": scrub_request(request),
                  "response": scrub(response.to_dict(), credentials)}
        with self._lock:
            self.interactions.append(stored)
            self.save()

    def save(self) -> None:
        """Write atomically: a crash mid-write leaves the previous file intact."""
        from .. import __version__ as kit_version
        from openai import __version__ as sdk_version

        document = {
            "format": FORMAT_VERSION,
            "recorded_with": {"openai": sdk_version, "kit": kit_version},
            "sources": self.sources,
            "note": ("Responses marked 'simulator' were produced by the kit's offline simulator, not by OpenAI. "
                     "Images are stored as thumbnails and expanded to their original size on replay."),
            "interactions": self.interactions,
        }
        atomic_write_text(self.path, json.dumps(document, indent=1, sort_keys=True) + "\n")


def _interaction_problem(item: Any) -> Optional[str]:
    """What is wrong with one stored interaction, or None."""
    if not isinstance(item, dict):
        return "is not an object"
    request, response = item.get("request"), item.get("response")
    if not isinstance(item.get("source"), str):
        return "has no 'source'"
    if not isinstance(request, dict) or not isinstance(request.get("method"), str) \
            or not isinstance(request.get("path"), str):
        return "has no request with a method and a path"
    if not isinstance(response, dict) or not isinstance(response.get("status"), int) \
            or isinstance(response.get("status"), bool):
        return "has no response with an integer status"
    if not isinstance(response.get("headers", {}), dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in response.get("headers", {}).items()):
        return "has response headers that are not text"
    if "sse" in response and not (isinstance(response["sse"], list)
                                  and all(isinstance(e, dict) and "data" in e for e in response["sse"])):
        return "has an event stream that is not a list of events"
    return None


# --- one writer per recording -----------------------------------------------------------------
# A recording is written by one process at a time. The writer holds an exclusive lock on
# ``<name>.lock`` beside the file (released by the OS if the process dies). ``rebuild`` takes the
# lock itself, writes a token into the lock file and hands the token to the notebook's kernel in
# LOCK_TOKEN_ENV, so the kernel it started may write while every other process is refused.
LOCK_TOKEN_ENV = "COOKBOOK_RECORDING_LOCK_TOKEN"


def lock_path(path: Path) -> Path:
    """The lock file for the recording at ``path`` (``01_generate.new.json`` -> ``01_generate.lock``)."""
    path = Path(path)
    name = path.name.removesuffix(".json").removesuffix(".new")
    return path.with_name(f"{name}.lock")


class WriterLock(FolderLock):
    """An exclusive, non-blocking lock on a recording; ``token`` lets a child process share it."""

    def __init__(self, path: Path, token: str = ""):
        super().__init__(lock_path(path), f"recording {Path(path).name}", note=token)
        self.token = token

    def acquire(self) -> "WriterLock":
        """Take the lock or raise RecordingLocked at once (never waits)."""
        try:
            super().acquire()
        except LockHeld:
            raise RecordingLocked(f"{self.path.name}: another process is recording or promoting this lesson's "
                                  "recording. Wait for it to finish (or stop it), then try again.") from None
        return self


def _held_for_us(path: Path) -> bool:
    """True when a parent process (rebuild) holds the lock and handed its token to this one."""
    token = settings.recording_lock_token()
    if not token:
        return False
    try:
        content = lock_path(path).read_text(encoding="utf-8").split()
    except OSError:
        return False
    return len(content) == 2 and content[1] == token


_OPEN_FOR_RECORDING: dict[Path, Recording] = {}
_WRITER_LOCKS: dict[Path, WriterLock] = {}
_OPEN_LOCK = threading.Lock()


def open_for_recording(path: Path) -> Recording:
    """One fresh recording per path and process, so several clients in a notebook share it.

    Takes the recording's writer lock for the life of the process (unless a parent process holds
    it for this one, see LOCK_TOKEN_ENV). Raises RecordingLocked if another process holds it.
    Temporary files a killed writer left beside it are removed.
    """
    path = Path(path).resolve()
    with _OPEN_LOCK:
        if path not in _OPEN_FOR_RECORDING:
            if path not in _WRITER_LOCKS and not _held_for_us(path):
                _WRITER_LOCKS[path] = WriterLock(path).acquire()
            remove_stale_temporaries(path)
            _OPEN_FOR_RECORDING[path] = Recording(path)
        return _OPEN_FOR_RECORDING[path]


def _pretty(request: dict) -> str:
    return json.dumps(request, indent=1, sort_keys=True)

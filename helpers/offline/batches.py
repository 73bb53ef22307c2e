"""The offline simulator's Files and Batch API, for image batches.

Routes (reached through ``Simulator._route``):

* ``POST /v1/files`` (multipart: ``file`` and ``purpose``), ``GET /v1/files/{id}``,
  ``GET /v1/files/{id}/content`` (JSON Lines);
* ``POST /v1/batches``, ``GET /v1/batches/{id}``.

Shapes follow the pinned SDK: ``FileObject`` (openai/types/file_object.py), ``Batch`` and
``BatchRequestCounts`` (openai/types/batch.py, batch_request_counts.py); the endpoints and the one
completion window come from openai/types/batch_create_params.py. Each output line is
``{id, custom_id, response: {status_code, request_id, body}, error}``.

What is simulated, not documented:

* A batch moves one status per poll (validating, in_progress, finalizing, completed), so a polling
  loop shows every stage at once instead of within 24 hours.
* Lines are answered by a ``Simulator`` of their own, so they never count against the per-minute
  limit of a rate-limited simulator: the kit does not model Batch queue limits.
* Lines that fail go to the error file: a line the endpoint rejects keeps the endpoint's error
  response; a model the registry marks as not supporting Batch and a streamed line get a line
  ``error`` instead. ``/v1/images/edits`` lines use the official JSON body
  (``registry.EDITS_JSON_BODY``: ``images`` and an optional ``mask`` as ``image_url`` or ``file_id``).
* Uploaded files keep their bytes, so ``file_id`` image inputs and masks work, up to
  ``KEPT_UPLOAD_BYTES`` in all: past that the oldest uploads' bytes are dropped (their ``File``
  objects stay), and a request that needs them is told so.
* Lines that cannot be read at all (bad JSON, a missing field, a repeated custom_id, a url other
  than the batch's endpoint) fail the whole batch at validation, with ``errors`` naming the line.
"""

from __future__ import annotations

import base64
import json
import threading
import weakref
from dataclasses import dataclass, field
from typing import Any, Optional

from .. import registry
from .. import wire
from ..transports import recording
from ..api_errors import SIMULATED, bad_value, reject
from .answers import created_at, hex_id, json_body, multipart_parts

BATCH_ENDPOINTS = ("/v1/responses", "/v1/chat/completions", "/v1/embeddings", "/v1/completions",
                   "/v1/moderations", "/v1/images/generations", "/v1/images/edits", "/v1/videos")
IMAGE_ENDPOINTS = ("/v1/images/generations", "/v1/images/edits")
COMPLETION_WINDOWS = ("24h",)
FILE_PURPOSES = ("assistants", "assistants_output", "batch", "batch_output", "fine-tune", "fine-tune-results",
                 "vision", "user_data")
BATCH_FILE_TTL_S = 30 * 86400  # "files with purpose=batch expire after 30 days" (file_create_params.py)
COMPLETION_WINDOW_S = 24 * 3600
# Simulated seconds between the stages of a batch; only the order of the timestamps means anything.
STAGE_STEP_S = 90

STAGES = ("validating", "in_progress", "finalizing", "completed")


# Simulated bound on the bytes the Files store keeps (not an API limit): a long session cannot grow
# without end.
KEPT_UPLOAD_BYTES = 64 * 1024 * 1024


@dataclass
class _File:
    json: dict
    lines: Optional[list]  # the parsed JSON Lines, when the content is JSON Lines
    data: Optional[bytes] = None  # the uploaded bytes, while the store keeps them


@dataclass
class _Batch:
    json: dict
    requests: list[dict]
    polls: int = 0
    invalid: list[dict] = field(default_factory=list)
    output: list[dict] = field(default_factory=list)
    errors: list[dict] = field(default_factory=list)


@dataclass
class _Store:
    """The files and batches of one simulator."""

    files: dict[str, _File] = field(default_factory=dict)
    batches: dict[str, _Batch] = field(default_factory=dict)
    worker: Any = None  # a Simulator of the owner's class

    def keep(self, file_id: str, stored: _File) -> None:
        """Add a file; drop the oldest uploads' bytes while more than KEPT_UPLOAD_BYTES are held."""
        self.files[file_id] = stored
        held = [f for f in self.files.values() if f.data is not None]
        total = sum(len(f.data) for f in held)
        for oldest in held:
            if total <= KEPT_UPLOAD_BYTES or oldest is stored:
                break
            total -= len(oldest.data)
            oldest.data = None


_STORES: "weakref.WeakKeyDictionary[Any, _Store]" = weakref.WeakKeyDictionary()
_STORES_LOCK = threading.Lock()


def _store(owner: Any) -> _Store:
    with _STORES_LOCK:
        if owner not in _STORES:
            # The owner's class (no import back into the simulator), answering for the owner's day.
            worker = type(owner)(day=getattr(owner, "day", None))
            worker.files_owner = weakref.ref(owner)  # edit lines name files uploaded to the owner
            _STORES[owner] = _Store(worker=worker)
        return _STORES[owner]


def export_state(owner: Any) -> dict:
    """The owner's files and batches as JSON-ready data (``import_state`` reads it back)."""
    store = _store(owner)
    return {
        "files": {fid: {"json": f.json, "lines": f.lines,
                        "data": base64.b64encode(f.data).decode("ascii") if f.data is not None else None}
                  for fid, f in store.files.items()},
        "batches": {bid: {"json": b.json, "requests": b.requests, "polls": b.polls, "invalid": b.invalid,
                          "output": b.output, "errors": b.errors} for bid, b in store.batches.items()},
    }


def import_state(owner: Any, state: dict) -> None:
    """Add ``state`` (from ``export_state``, maybe another process's) to the owner's files and batches."""
    store = _store(owner)
    store.files |= {fid: _File(f["json"], f["lines"], base64.b64decode(f["data"]) if f["data"] is not None else None)
                   for fid, f in state.get("files", {}).items()}
    store.batches |= {bid: _Batch(b["json"], b["requests"], b["polls"], b["invalid"], b["output"], b["errors"])
                     for bid, b in state.get("batches", {}).items()}


def route(owner: Any, method: str, path: str, content_type: str, body: bytes, seed: str) -> dict:
    """Answer a Files or Batches request for ``owner`` (called with the simulator's lock held)."""
    store = _store(owner)
    parts = path.strip("/").split("/")  # ["v1", "files", id, "content"]
    if method == "POST" and parts == ["v1", "files"]:
        return _upload(store, content_type, body, seed, getattr(owner, "day", None))
    if method == "GET" and len(parts) == 3 and parts[1] == "files":
        return _file(store, parts[2]).json
    if method == "GET" and len(parts) == 4 and parts[1] == "files" and parts[3] == "content":
        return _content(_file(store, parts[2]))
    if method == "POST" and parts == ["v1", "batches"]:
        return _create_batch(store, json_body(body), seed, getattr(owner, "day", None))
    if method == "GET" and len(parts) == 3 and parts[1] == "batches":
        return _poll(store, parts[2])
    raise reject("not_found", message=f"The simulator has no route for {method} {path}.")


# --- files -----------------------------------------------------------------------------------

def file_bytes(owner: Any, file_id: Any, param: str) -> bytes:
    """The bytes of an uploaded file, for ``file_id`` image inputs; Rejected when unknown or dropped."""
    stored = _store(owner).files.get(file_id) if isinstance(file_id, str) else None
    if stored is None:
        raise reject("not_found", message=f"No such File object: {file_id}")
    if stored.data is None:
        raise bad_value(param, f"The simulator no longer keeps the bytes of {file_id} (it keeps "
                               f"{KEPT_UPLOAD_BYTES // (1024 * 1024)} MB of uploads): upload it again.")
    return stored.data


def _upload(store: _Store, content_type: str, body: bytes, seed: str, day=None) -> dict:
    parts = multipart_parts(content_type, body, not_multipart="File uploads take a multipart/form-data body.")
    purpose = wire.form_fields(parts).get("purpose")
    if purpose not in FILE_PURPOSES:
        raise bad_value("purpose", f"Invalid value: {purpose!r}. Supported values are: {', '.join(FILE_PURPOSES)}.")
    files = wire.file_parts(parts, "file")
    if len(files) != 1:
        raise bad_value("file", "Missing required parameter: 'file'.", "missing_required_parameter")
    upload = files[0]
    lines = _read_lines(upload.data)
    if purpose == "batch" and lines is None:
        raise bad_value("file", "A file for the Batch API must be JSON Lines (UTF-8, one JSON object per line).",
                       "invalid_file_format")
    created = created_at(seed, day)
    file_id = "file-" + hex_id(seed, "file")
    store.keep(file_id, _File(_file_object(file_id, upload.filename or "upload", purpose, len(upload.data), created),
                              lines, upload.data))
    return store.files[file_id].json


def _read_lines(data: bytes) -> Optional[list]:
    """Each line parsed, or the text of a line that is not JSON; None when the bytes are not UTF-8 text."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    lines: list = []
    for line in text.splitlines():
        if not line.strip():
            continue
        try:
            lines.append(json.loads(line))
        except json.JSONDecodeError:
            lines.append(line)
    return lines


def _file_object(file_id: str, filename: str, purpose: str, size: int, created: int) -> dict:
    expires = created + BATCH_FILE_TTL_S if purpose in ("batch", "batch_output") else None
    return {"id": file_id, "object": "file", "bytes": size, "created_at": created, "filename": filename,
            "purpose": purpose, "status": "processed", "expires_at": expires, "status_details": None}


def _file(store: _Store, file_id: str) -> _File:
    if file_id not in store.files:
        raise reject("not_found", message=f"No such File object: {file_id}")
    return store.files[file_id]


def _content(stored: _File) -> dict:
    if stored.lines is None or not all(isinstance(line, dict) for line in stored.lines):
        raise bad_value(None, "The simulator serves the content of JSON Lines files only.", "invalid_file_format")
    return recording.jsonl_payload(stored.lines)


# --- batches ---------------------------------------------------------------------------------

def _create_batch(store: _Store, body: dict, seed: str, day=None) -> dict:
    window = body.get("completion_window")
    if window not in COMPLETION_WINDOWS:
        raise bad_value("completion_window", f"Invalid value: {window!r}. Supported values are: '24h'.")
    endpoint = body.get("endpoint")
    if endpoint not in BATCH_ENDPOINTS:
        raise bad_value("endpoint", f"Invalid value: {endpoint!r}. Supported values are: {', '.join(BATCH_ENDPOINTS)}.")
    if endpoint not in IMAGE_ENDPOINTS:
        raise bad_value("endpoint", f"The simulator runs image batches only, not {endpoint}.", "unsupported_endpoint")
    input_id = body.get("input_file_id")
    stored = _file(store, input_id) if isinstance(input_id, str) else None
    if stored is None:
        raise bad_value("input_file_id", "Missing required parameter: 'input_file_id'.", "missing_required_parameter")
    if stored.json["purpose"] != "batch":
        raise bad_value("input_file_id", f"File {input_id} was uploaded with purpose "
                                        f"'{stored.json['purpose']}'; a batch needs purpose 'batch'.")
    created = created_at(seed, day)
    batch_id = "batch_" + hex_id(seed, "batch")
    requests = list(stored.lines or [])
    models = {r["body"].get("model") for r in requests if isinstance(r, dict) and isinstance(r.get("body"), dict)}
    batch = {
        "id": batch_id, "object": "batch", "endpoint": endpoint, "input_file_id": input_id,
        "completion_window": window, "status": "validating", "created_at": created,
        "expires_at": created + COMPLETION_WINDOW_S, "metadata": body.get("metadata"),
        "model": models.pop() if len(models) == 1 else None,
        "request_counts": {"total": 0, "completed": 0, "failed": 0},
        "errors": None, "output_file_id": None, "error_file_id": None,
        "in_progress_at": None, "finalizing_at": None, "completed_at": None, "failed_at": None,
        "expired_at": None, "cancelling_at": None, "cancelled_at": None,
    }
    store.batches[batch_id] = _Batch(batch, requests, invalid=_validate(requests, endpoint))
    return dict(batch)


def _validate(requests: list, endpoint: str) -> list[dict]:
    """Problems that fail the whole batch, as ``BatchError`` records (1-based line numbers)."""
    problems, seen = [], set()
    for number, line in enumerate(requests, start=1):
        def problem(code: str, message: str, param: Optional[str] = None) -> None:
            problems.append({"code": code, "line": number, "message": SIMULATED + message, "param": param})

        if not isinstance(line, dict):
            problem("invalid_json_line", "This line is not a JSON object.")
            continue
        missing = [k for k in ("custom_id", "method", "url", "body") if k not in line]
        if missing:
            problem("missing_required_parameter", f"Missing required field(s): {', '.join(missing)}.", missing[0])
            continue
        if line["custom_id"] in seen:
            problem("duplicate_custom_id", f"The custom_id {line['custom_id']!r} is used more than once.",
                    "custom_id")
        seen.add(line["custom_id"])
        if line["method"] != "POST":
            problem("invalid_method", f"Method {line['method']!r}: batch requests use POST.", "method")
        if line["url"] != endpoint:
            problem("mismatched_url", f"The url {line['url']!r} differs from the batch endpoint {endpoint}.", "url")
        if not isinstance(line["body"], dict):
            problem("invalid_body", "The body must be a JSON object.", "body")
    return problems


def _poll(store: _Store, batch_id: str) -> dict:
    if batch_id not in store.batches:
        raise reject("not_found", message=f"No batch found with id '{batch_id}'.")
    run = store.batches[batch_id]
    batch = run.json
    if batch["status"] in ("completed", "failed"):
        return dict(batch)
    run.polls += 1
    stamp = batch["created_at"] + run.polls * STAGE_STEP_S
    if batch["status"] == "validating":
        if run.invalid:
            batch.update(status="failed", failed_at=stamp, errors={"object": "list", "data": run.invalid})
            return dict(batch)
        _run_lines(store, run)
        total = len(run.requests)
        half_done = run.output[: (len(run.output) + 1) // 2], run.errors[: len(run.errors) // 2]
        batch.update(status="in_progress", in_progress_at=stamp,
                     request_counts={"total": total, "completed": len(half_done[0]), "failed": len(half_done[1])})
    elif batch["status"] == "in_progress":
        batch.update(status="finalizing", finalizing_at=stamp,
                     request_counts={"total": len(run.requests), "completed": len(run.output),
                                     "failed": len(run.errors)})
    elif batch["status"] == "finalizing":
        batch.update(status="completed", completed_at=stamp,
                     output_file_id=_result_file(store, batch_id, "output", run.output, stamp),
                     error_file_id=_result_file(store, batch_id, "error", run.errors, stamp))
    return dict(batch)


def _result_file(store: _Store, batch_id: str, kind: str, lines: list[dict], created: int) -> Optional[str]:
    if not lines:
        return None
    file_id = "file-" + hex_id(batch_id, kind)
    size = len(recording.jsonl_bytes(recording.jsonl_payload(lines)))
    store.files[file_id] = _File(_file_object(file_id, f"{batch_id}_{kind}.jsonl", "batch_output", size, created),
                                 lines)
    return file_id


def _run_lines(store: _Store, run: _Batch) -> None:
    """Answer every line with the worker simulator; each result goes to the output or the error file."""
    endpoint = run.json["endpoint"]
    for line in run.requests:
        line_id = "batch_req_" + hex_id(run.json["id"] + line["custom_id"], "line", 32)
        refusal = _line_refusal(endpoint, line["body"])
        if refusal is not None:
            run.errors.append({"id": line_id, "custom_id": line["custom_id"], "response": None, "error": refusal})
            continue
        answer = store.worker.handle("POST", endpoint, {}, {"content-type": "application/json"},
                                     json.dumps(line["body"]).encode())
        record = {"id": line_id, "custom_id": line["custom_id"],
                  "response": {"status_code": answer.status, "request_id": answer.headers.get("x-request-id"),
                               "body": answer.body},
                  "error": None}
        (run.output if answer.status == 200 else run.errors).append(record)


def _line_refusal(endpoint: str, body: dict) -> Optional[dict]:
    if body.get("stream") in (True, "true"):
        return {"code": "invalid_value", "message": SIMULATED + "Batch requests cannot stream."}
    model = body.get("model")
    record = registry.MODELS.get(model) if isinstance(model, str) else None
    if record is not None and record.capabilities is not None and record.capabilities.batch is False:
        return {"code": "model_not_supported",
                "message": SIMULATED + f"The model '{model}' does not support the Batch API."}
    return None

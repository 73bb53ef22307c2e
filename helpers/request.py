"""One outgoing request, read once: method, route, fields and files in a small frozen record.

``read(request)`` parses an ``httpx2.Request`` body (JSON or multipart/form-data) and keeps the
record on the request (``request.extensions``), so the pre-send check, the spending cap, the
recorder and replay all receive the same record and a body is parsed once however many layers it
crosses. ``from_parts`` builds the record from a request's pieces (the recordings store uses it for
requests that are not httpx2 requests).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cached_property
from typing import Any, Iterable, Mapping, Optional

import httpx2

from . import wire

_EXTENSION = "helpers.request"

# Route names, from the URL path's ending (the API's own resource names).
ROUTES = (("/images/generations", "images.generate"), ("/images/edits", "images.edit"),
          ("/responses", "responses"), ("/files", "files"), ("/batches", "batches"))


@dataclass(frozen=True)
class Request:
    """A request as the kit's layers read it.

    ``json`` is the parsed JSON body (None for any other body); ``parts`` the multipart parts in
    order (empty for any other body); ``body`` the raw bytes. ``fields`` gives the JSON object or the
    multipart text fields; ``files`` the multipart file parts.
    """

    method: str
    path: str
    query: tuple[tuple[str, str], ...]
    content_type: str
    body: bytes
    json: Any = None
    parts: tuple[wire.Part, ...] = ()
    json_invalid: bool = False  # the body said JSON but did not parse

    @property
    def media_type(self) -> str:
        return self.content_type.split(";")[0].strip().lower()

    @property
    def route(self) -> str:
        """"images.generate", "images.edit", "responses", "files", "batches", or "other"."""
        path = self.path.rstrip("/")
        return next((name for ending, name in ROUTES if path.endswith(ending)), "other")

    @cached_property
    def fields(self) -> Mapping[str, Any]:
        """The JSON object, or the multipart text fields (repeated names become lists); {} otherwise."""
        if isinstance(self.json, dict):
            return self.json
        return wire.form_fields(self.parts) if self.parts else {}

    @property
    def files(self) -> tuple[wire.Part, ...]:
        return tuple(p for p in self.parts if p.is_file)

    @property
    def model(self) -> Optional[str]:
        value = self.fields.get("model")
        return value if isinstance(value, str) else None


def from_parts(method: str, path: str, query: Iterable[tuple[str, str]], content_type: str, body: bytes) -> Request:
    """The record of a request given by its pieces. A body that does not parse as its content type
    says is kept raw (``json_invalid`` for JSON; no parts for multipart): each layer decides what that means."""
    media = content_type.split(";")[0].strip().lower()
    parsed, parts, invalid = None, (), False
    if body and media == "application/json":
        try:
            parsed = json.loads(body)
        except (ValueError, UnicodeDecodeError):
            invalid = True
    elif body and media == "multipart/form-data":
        try:
            parts = tuple(wire.parse_multipart(content_type, body))
        except ValueError:
            parts = ()
    return Request(method.upper(), path, tuple(sorted((str(k), str(v)) for k, v in query)), content_type, body,
                   parsed, parts, invalid)


def read(request: httpx2.Request) -> Request:
    """The record of an ``httpx2.Request``, parsed on first call and kept on the request after that."""
    found = request.extensions.get(_EXTENSION)
    if found is None:
        found = from_parts(request.method, request.url.path, request.url.params.multi_items(),
                           request.headers.get("content-type", ""), request.read())
        request.extensions = {**request.extensions, _EXTENSION: found}
    return found

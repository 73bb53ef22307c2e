"""What travels over HTTP: multipart form parts and server-sent events.

Shared by the recorder (to normalise requests) and the simulator (to read uploads).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from email.parser import BytesParser
from email.policy import HTTP
from typing import Any, Iterable, Iterator, Optional


@dataclass(frozen=True)
class Part:
    name: str
    data: bytes
    filename: Optional[str] = None
    content_type: Optional[str] = None

    @property
    def is_file(self) -> bool:
        return self.filename is not None

    def text(self) -> str:
        return self.data.decode("utf-8")


def parse_multipart(content_type: str, body: bytes) -> list[Part]:
    """Split a multipart/form-data body into its parts, in order (RFC 7578, via the email parser)."""
    header = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode()
    message = BytesParser(policy=HTTP).parsebytes(header + body)
    if not message.is_multipart():
        raise ValueError("body is not multipart/form-data")
    parts = []
    for sub in message.iter_parts():
        name = sub.get_param("name", header="content-disposition")
        filename = sub.get_filename()
        data = sub.get_payload(decode=True) or b""
        parts.append(Part(name=name, data=data, filename=filename,
                          content_type=sub.get_content_type() if filename else None))
    return parts


def form_fields(parts: Iterable[Part]) -> dict[str, Any]:
    """Text fields as a dict; repeated names (``image[]``) become lists."""
    fields: dict[str, Any] = {}
    for part in parts:
        if part.is_file:
            continue
        value = part.text()
        if part.name in fields:
            existing = fields[part.name]
            fields[part.name] = (existing if isinstance(existing, list) else [existing]) + [value]
        else:
            fields[part.name] = value
    return fields


def file_parts(parts: Iterable[Part], *names: str) -> list[Part]:
    return [p for p in parts if p.is_file and p.name in names]


def encode_sse(events: Iterable[dict]) -> Iterator[bytes]:
    """Render ``{"event": name, "data": obj}`` records as SSE frames, one chunk per event."""
    for event in events:
        lines = []
        if event.get("event"):
            lines.append(f"event: {event['event']}")
        data = event["data"]
        payload = data if isinstance(data, str) else json.dumps(data, separators=(",", ":"))
        lines.extend(f"data: {line}" for line in payload.split("\n"))
        yield ("\n".join(lines) + "\n\n").encode()


def decode_sse(body: bytes) -> list[dict]:
    """Parse an SSE body into ``{"event", "data"}`` records; JSON data is parsed, other data kept as text."""
    events = []
    text = body.decode("utf-8").replace("\r\n", "\n")
    for block in text.split("\n\n"):
        name, data_lines = None, []
        for line in block.split("\n"):
            if not line or line.startswith(":"):
                continue
            field, _, value = line.partition(":")
            value = value[1:] if value.startswith(" ") else value
            if field == "event":
                name = value
            elif field == "data":
                data_lines.append(value)
        if not data_lines:
            continue
        raw = "\n".join(data_lines)
        try:
            data: Any = json.loads(raw)
        except json.JSONDecodeError:
            data = raw
        events.append({"event": name, "data": data})
    return events

"""The small shared pieces of the offline simulator's answers: ids, timestamps and bodies.

The Images/Responses simulator and the Files and Batches simulator both build their answers from here;
ids and timestamps derive from a hash of the request, so the same calls give the same answers.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import time
from dataclasses import dataclass, field
from typing import Mapping, Optional

from .. import registry, wire
from ..api_errors import bad_value


@dataclass(frozen=True)
class SimulatedResponse:
    status: int
    body: dict | None = None  # JSON body (None when events is set)
    events: tuple[dict, ...] | None = None  # SSE stream: each {"event": name_or_None, "data": dict}
    headers: Mapping[str, str] = field(default_factory=dict)


def multipart_parts(content_type: str, body: bytes, *, not_multipart: str) -> list[wire.Part]:
    """The parts of a multipart/form-data body; raises Rejected (400 ``invalid_content_type``) with
    ``not_multipart`` for another content type, or when the body cannot be parsed."""
    if not content_type.startswith("multipart/form-data"):
        raise bad_value(None, not_multipart, "invalid_content_type")
    try:
        return wire.parse_multipart(content_type, body)
    except ValueError:
        raise bad_value(None, "The multipart body could not be parsed.", "invalid_content_type") from None


def hex_id(seed: str, label: str, length: int = 24) -> str:
    return hashlib.sha256(f"{seed}:{label}".encode()).hexdigest()[:length]


# Simulated timestamps fall in the first half of the simulator's day (UTC), so ``created`` is never
# after the day the request is answered for, and later stages of a batch still fit in that day.
DAY_SPREAD_S = 12 * 3600


def day_start(day: Optional[dt.date] = None) -> int:
    """Unix seconds at 00:00 UTC of ``day`` (default: the registry's as-of date)."""
    day = day or registry.as_of_day()
    return int(dt.datetime(day.year, day.month, day.day, tzinfo=dt.timezone.utc).timestamp())


def created_at(seed: str, day: Optional[dt.date] = None) -> int:
    """A stable simulated timestamp (Unix seconds) on ``day``: never after the date the request was answered
    for, and never after now (answering for today, a spread timestamp could otherwise lie in the future)."""
    return min(day_start(day) + int(seed[:12], 16) % DAY_SPREAD_S, int(time.time()))


def json_body(body: bytes) -> dict:
    try:
        parsed = json.loads(body or b"{}")
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise bad_value(None, "The request body is not valid JSON.", "invalid_json") from None
    if not isinstance(parsed, dict):
        raise bad_value(None, "The request body must be a JSON object.", "invalid_json")
    return parsed

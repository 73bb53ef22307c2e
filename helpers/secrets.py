"""Secrets: keys, organization and project ids removed where they are secrets, and nowhere else.

Where scrubbing applies:

- **Answers** (``scrub_answer_bytes``, ``scrub_headers``, ``scrub``): every response header and
  body, error bodies included, before the SDK, a recording or a file sees them. JSON is decoded
  first, so escaped forms (``sk\\u002d...``, ``\\"sk-proj-...\\"``) are caught, then re-encoded. The
  exact credentials the client sent (the ``Authorization`` bearer value, ``OpenAI-Organization``,
  ``OpenAI-Project``) are removed too, whatever their shape: a gateway key such as ``gw_live_...``
  that the upstream echoes never reaches a recording. Fields that echo the learner's own words
  (``ECHO_FIELDS``: the revised prompt, the model's reply) lose only those exact credentials.
- **Requests** (``scrub_request``): never their body. Prompt text and every other field recordings
  match on are stored exactly as sent, so ``sk-8board`` and ``sk-9lives`` stay two prompts and a
  changed prompt never matches an old recording. Only the query string is scrubbed, by this rule:
  a query value is kept as sent only when its parameter is one of the API's own query parameters
  (``API_QUERY_PARAMETERS``) and the value is not shaped like a secret. Any other query value (an
  ``extra_query`` the learner added: ``api_key``, ``project``, a gateway ``token``) is stored as
  ``[redacted]``, since the kit cannot tell a gateway credential from an ordinary word. Its name is
  kept, so a request with that parameter still matches its recording.
- **Messages and files** (``scrub_text``): text about to be shown or written (error summaries,
  reports) loses every secret-shaped word.
"""

from __future__ import annotations

import json
import re
from typing import Any, Iterable, Mapping

PLACEHOLDER = "[redacted]"

# API keys (sk-..., sk-proj-..., sk-svcacct-..., sk-admin-...), organization ids (org-...) and
# project ids (proj_...). The look-behind lets "req_org-..." match but not "task-...".
SECRET_PATTERNS = (
    re.compile(r"(?<![A-Za-z0-9])sk-[A-Za-z0-9_-]{6,}"),
    re.compile(r"(?<![A-Za-z0-9])org-[A-Za-z0-9]{6,}"),
    re.compile(r"(?<![A-Za-z0-9])proj_[A-Za-z0-9]{6,}"),
)
_BYTE_PATTERNS = tuple(re.compile(p.pattern.encode()) for p in SECRET_PATTERNS)

# The query parameters of the routes the kit calls, from the pinned SDK (openai 3.52):
# files.list/batches.list/responses.input_items.list (after, before, limit, order, purpose),
# responses.retrieve (include, include_obfuscation, starting_after, stream).
API_QUERY_PARAMETERS = frozenset({"after", "before", "limit", "order", "purpose", "include", "include[]",
                                  "include_obfuscation", "starting_after", "stream"})
# Request headers whose values are the caller's credentials, removed from answers wherever they appear.
CREDENTIAL_HEADERS = ("authorization", "openai-organization", "openai-project", "api-key", "x-api-key")
# A credential shorter than this is not looked for (it would match ordinary words).
MIN_CREDENTIAL_CHARS = 8


def is_secret_shaped(text: str) -> bool:
    """True if ``text`` contains a key, organization id or project id."""
    return any(p.search(text) for p in SECRET_PATTERNS)


def credentials_of(headers: Iterable[tuple[str, str]]) -> tuple[str, ...]:
    """The credential values a request carries (bearer token, organization, project), longest first."""
    found = set()
    for name, value in headers:
        if name.lower() not in CREDENTIAL_HEADERS or not value:
            continue
        value = value.strip()
        if name.lower() == "authorization" and " " in value:
            value = value.split(" ", 1)[1].strip()
        if len(value) >= MIN_CREDENTIAL_CHARS:
            found.add(value)
    return tuple(sorted(found, key=len, reverse=True))


def scrub_text(text: str, credentials: Iterable[str] = ()) -> str:
    """``text`` with every key, organization id, project id and each of ``credentials`` replaced."""
    for secret in credentials:
        text = text.replace(secret, PLACEHOLDER)
    for pattern in SECRET_PATTERNS:
        text = pattern.sub(PLACEHOLDER, text)
    return text


def scrub_bytes(data: bytes, credentials: Iterable[str] = ()) -> bytes:
    """``scrub_text`` on raw bytes (no decoding: escaped forms need ``scrub_answer_bytes``)."""
    for secret in credentials:
        data = data.replace(secret.encode("utf-8", "surrogatepass"), PLACEHOLDER.encode())
    for pattern in _BYTE_PATTERNS:
        data = pattern.sub(PLACEHOLDER.encode(), data)
    return data


# Answer fields that carry the learner's own words back (the API's revised prompt, the model's reply):
# only the exact credentials are removed from them, so "a kid on a sk-8board" reads as it was written.
ECHO_FIELDS = frozenset({"revised_prompt", "prompt", "instructions", "text"})


def scrub(value: Any, credentials: Iterable[str] = ()) -> Any:
    """A copy of a JSON-like value with ``scrub_text`` applied to every string (keys included), except the
    values of ``ECHO_FIELDS``, which lose only the exact ``credentials``."""
    credentials = tuple(credentials)
    if isinstance(value, str):
        return scrub_text(value, credentials)
    if isinstance(value, dict):
        return {scrub(k, credentials): _without_credentials(v, credentials) if k in ECHO_FIELDS and isinstance(v, str)
                else scrub(v, credentials) for k, v in value.items()}
    if isinstance(value, list):
        return [scrub(v, credentials) for v in value]
    return value


def _without_credentials(text: str, credentials: tuple[str, ...]) -> str:
    for secret in credentials:
        text = text.replace(secret, PLACEHOLDER)
    return text


def _scrub_json(data: bytes, credentials: tuple[str, ...]) -> bytes | None:
    """One JSON document decoded, scrubbed and re-encoded; None when ``data`` is not JSON."""
    try:
        decoded = json.loads(data)
    except (ValueError, UnicodeDecodeError):
        return None
    cleaned = scrub(decoded, credentials)
    if cleaned == decoded:
        return data  # nothing to remove (every string was read decoded): the bytes stay as they came
    return json.dumps(cleaned, separators=(",", ":")).encode() + data[len(data.rstrip()):]


def _scrub_line(line: bytes, credentials: tuple[str, ...]) -> bytes:
    """One line of an event stream or JSON Lines body, its JSON payload decoded and scrubbed."""
    body, tail = line.rstrip(b"\r"), line[len(line.rstrip(b"\r")):]
    if body.startswith(b"data:"):
        cleaned = _scrub_json(body[5:], credentials)
        return (b"data: " + cleaned + tail) if cleaned is not None else scrub_bytes(line, credentials)
    cleaned = _scrub_json(body, credentials) if body.lstrip().startswith((b"{", b"[")) else None
    return cleaned + tail if cleaned is not None else scrub_bytes(line, credentials)


def scrub_answer_bytes(data: bytes, credentials: Iterable[str] = ()) -> bytes:
    """An answer body with every secret removed, escaped JSON forms included.

    A JSON body is decoded, scrubbed and re-encoded; an event stream or JSON Lines body line by
    line; anything else is scrubbed as raw bytes.
    """
    credentials = tuple(credentials)
    whole = _scrub_json(data, credentials) if data.strip() else None
    if whole is not None:
        return whole
    return b"\n".join(_scrub_line(line, credentials) for line in data.split(b"\n"))


def scrub_headers(headers: Iterable[tuple[str, str]], credentials: Iterable[str] = ()) -> list[tuple[str, str]]:
    """Response headers with every secret removed from their values."""
    credentials = tuple(credentials)
    return [(k, scrub_text(v, credentials)) for k, v in headers]


def scrub_query(query: Iterable[Iterable[str]]) -> list[list[str]]:
    """Query pairs as recorded: an API parameter's value kept unless secret-shaped, any other redacted."""
    out = []
    for name, value in query:
        keep = name in API_QUERY_PARAMETERS and not is_secret_shaped(value)
        out.append([scrub_text(name), value if keep else PLACEHOLDER])
    return out


def scrub_request(request: Mapping[str, Any]) -> dict:
    """A normalised request (``recording.normalise``) as it is stored and matched: only its query is
    scrubbed (``scrub_query``); method, path, body, prompt text and file fingerprints stay as sent."""
    out = dict(request)
    if out.get("query"):
        out["query"] = scrub_query(out["query"])
    return out

"""The kit's one way to write a file: atomically, so a crash never leaves a half-written one.

Images, manifests, recordings and notebooks are all written here: the bytes go to a temporary
file beside the target, are flushed to disk, and then replace the target in one rename.

``scrub`` removes keys, organization and project ids from anything about to be written or shown.
"""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path
from typing import Any

_UMASK = os.umask(0)
os.umask(_UMASK)


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` all at once; on any error the old file (if any) is left as it was."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.chmod(tmp, 0o666 & ~_UMASK)  # mkstemp creates 0600; the file should look like any other
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def temporary_files(path: Path) -> list[Path]:
    """The temporary files ``atomic_write_bytes`` makes for ``path`` (left behind only if a writer is killed)."""
    path = Path(path)
    return sorted(path.parent.glob(f".{glob_escape(path.name)}.*.tmp"))


def remove_stale_temporaries(path: Path) -> None:
    """Delete temporaries a killed writer left beside ``path``. Call it only while holding the file's
    writer lock: a live writer's temporary would be removed too."""
    for tmp in temporary_files(path):
        tmp.unlink(missing_ok=True)


def glob_escape(name: str) -> str:
    return "".join(f"[{c}]" if c in "*?[" else c for c in name)


def atomic_write_text(path: Path, text: str) -> None:
    """``atomic_write_bytes`` for UTF-8 text."""
    atomic_write_bytes(path, text.encode("utf-8"))


# --- secrets -------------------------------------------------------------------------------------
# API keys (sk-..., sk-proj-..., sk-svcacct-...), organization ids (org-...) and project ids (proj_...).
# The look-behind lets "req_org-..." match but not "task-..." (a prompt must survive unchanged).
# Scrubbed from every response body, error message, header, URL and query string before anything is
# written to a file or handed to the SDK in live mode.
SECRET_PATTERNS = (
    (re.compile(r"(?<![A-Za-z0-9])sk-[A-Za-z0-9_-]{6,}"), "[redacted]"),
    (re.compile(r"(?<![A-Za-z0-9])org-[A-Za-z0-9]{6,}"), "[redacted]"),
    (re.compile(r"(?<![A-Za-z0-9])proj_[A-Za-z0-9]{6,}"), "[redacted]"),
)


def scrub_text(text: str) -> str:
    """``text`` with every key, organization id and project id replaced by a placeholder."""
    for pattern, placeholder in SECRET_PATTERNS:
        text = pattern.sub(placeholder, text)
    return text


def scrub_bytes(data: bytes) -> bytes:
    """``scrub_text`` on bytes; the secrets are ASCII, so any encoding around them is left as it was."""
    for pattern, placeholder in SECRET_PATTERNS:
        data = re.sub(pattern.pattern.encode(), placeholder.encode(), data)
    return data


def scrub(value: Any) -> Any:
    """A copy of a JSON-like value with ``scrub_text`` applied to every string (keys included)."""
    if isinstance(value, str):
        return scrub_text(value)
    if isinstance(value, dict):
        return {scrub(k): scrub(v) for k, v in value.items()}
    if isinstance(value, list):
        return [scrub(v) for v in value]
    return value

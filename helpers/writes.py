"""The kit's one way to write a file: atomically, so a crash never leaves a half-written one.

Images, manifests, recordings and notebooks are all written here: the bytes go to a temporary
file beside the target, are flushed to disk, and then replace the target in one rename.

``scrub`` (from ``helpers.secrets``) removes keys, organization and project ids from anything about
to be written or shown.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

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
# Kept here for the modules that import them from writes; the rules live in helpers/secrets.py.
from .secrets import scrub, scrub_bytes, scrub_text  # noqa: E402,F401

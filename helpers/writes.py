"""The kit's one way to write a file: atomically, so a crash never leaves a half-written one.

Images, manifests, recordings and notebooks are all written here: the bytes go to a temporary
file beside the target, are flushed to disk, and then replace the target in one rename.
Secrets are removed before anything reaches here: ``helpers.secrets`` says what is scrubbed where.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from pathlib import Path
from typing import Optional

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


# What ``atomic_write_bytes`` names its temporaries: "." + the target's name + "." + mkstemp's 8 characters + ".tmp".
_TEMPORARY_NAME = re.compile(r"\..+\.[a-z0-9_]{8}\.tmp")


def stale_temporaries(folder: Path) -> list[Path]:
    """Every temporary ``atomic_write_bytes`` left in ``folder`` (a writer killed between write and rename)."""
    folder = Path(folder)
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if _TEMPORARY_NAME.fullmatch(p.name) and p.is_file())


def sweep_temporaries(folder: Path) -> list[Path]:
    """Delete the temporaries a killed writer left in ``folder``; returns what was removed. Call it only while
    holding the folder's lock (``FolderLock``): a live writer's temporary would be removed too."""
    removed = []
    for tmp in stale_temporaries(folder):
        tmp.unlink(missing_ok=True)
        removed.append(tmp)
    return removed


class LockHeld(RuntimeError):
    """Another process holds a ``FolderLock``; the message says which process and what it is doing."""


class FolderLock:
    """An exclusive, non-blocking lock file (``path``) held by this process while it writes.

    The operating system releases it when the process exits, however it exits, so a killed holder never
    blocks the next run; the file keeps the last holder's process id, and ``stale_pid`` is that id when the
    file named a process that no longer held it (a killed run). ``what`` names the holder's work in the
    refusal, e.g. "a rebuild". Raises LockHeld from ``acquire`` while another process holds it.
    """

    def __init__(self, path: Path, what: str, note: str = ""):
        self.path, self.what, self.note = Path(path), what, note  # note: written after the pid, e.g. a token
        self.stale_pid: Optional[int] = None
        self._handle = None

    def acquire(self) -> "FolderLock":
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle = open(self.path, "a+b")
        try:
            _lock_exclusive(handle)
        except OSError:
            handle.seek(0)
            holder = handle.read().decode(errors="replace").strip() or "unknown"
            handle.close()
            raise LockHeld(f"{self.what} is already running (process {holder}, lock file {self.path}). Wait for "
                           "it to finish, or stop that process, then try again.") from None
        handle.seek(0)
        previous = (handle.read().decode(errors="replace").split() or [""])[0]
        self.stale_pid = int(previous) if previous.isdigit() and int(previous) != os.getpid() else None
        handle.seek(0)
        handle.truncate()
        handle.write(f"{os.getpid()} {self.note}".strip().encode())
        handle.flush()
        self._handle = handle
        return self

    def release(self) -> None:
        if self._handle is not None:
            self._handle.seek(0)
            self._handle.truncate()
            self._handle.close()  # closing drops the lock
            self._handle = None

    def __enter__(self) -> "FolderLock":
        return self.acquire()

    def __exit__(self, *exc) -> None:
        self.release()


def _lock_exclusive(handle) -> None:
    """Take an exclusive lock on an open file at once, or raise OSError (never waits)."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        import msvcrt
        handle.seek(0)
        msvcrt.locking(handle.fileno(), msvcrt.LK_NBLCK, 1)
        return
    fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)


def glob_escape(name: str) -> str:
    return "".join(f"[{c}]" if c in "*?[" else c for c in name)


def replace_folder(source: Path, target: Path) -> None:
    """Put the folder ``source`` at ``target``, replacing what was there, without ever leaving a partial one.

    ``source`` is first moved beside ``target`` as ``.<name>.new-<pid>`` (a copy when it is on another file
    system: the slow part, during which ``target`` is untouched), then the previous ``target`` is renamed
    to ``.<name>.old-<pid>``, the new one renamed into place, and the old one removed. A kill leaves the
    previous folder whole (at ``target``, or beside it for the instant between the two renames: the next
    call puts it back before starting) and the next call removes the unfinished copies.
    """
    source, target = Path(source), Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    olds = sorted(target.parent.glob(f".{glob_escape(target.name)}.old-*"))
    if not target.exists() and olds:
        os.rename(olds.pop(), target)  # killed between the renames: the previous folder comes back
    for leftover in [*olds, *target.parent.glob(f".{glob_escape(target.name)}.new-*")]:
        shutil.rmtree(leftover, ignore_errors=True)
    staging = target.parent / f".{target.name}.new-{os.getpid()}"
    try:
        shutil.move(str(source), str(staging))
        old = target.parent / f".{target.name}.old-{os.getpid()}"
        if target.exists():
            os.rename(target, old)
        os.rename(staging, target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    shutil.rmtree(target.parent / f".{target.name}.old-{os.getpid()}", ignore_errors=True)


def atomic_write_text(path: Path, text: str) -> None:
    """``atomic_write_bytes`` for UTF-8 text."""
    atomic_write_bytes(path, text.encode("utf-8"))

"""The simulator's kept objects (stored responses, files, batches) in a folder several processes share.

The real API keeps what a request creates: a batch made by a script can be polled from a notebook.
The simulator does the same through a state folder: before answering it reads the folder's state if
another process changed it, and after answering it writes its own back (atomically), all under an
inter-process lock (``fcntl.flock``; where that is missing, as on Windows, the state is still shared
but two processes answering at the same instant may overwrite each other's last change).
"""

from __future__ import annotations

import contextlib
import json
import threading
from pathlib import Path
from typing import Any, Iterator, Optional

from ..writes import atomic_write_text

try:
    import fcntl
except ImportError:  # Windows: no flock
    fcntl = None  # type: ignore[assignment]

STATE_FILE = "simulator-state.json"
LOCK_FILE = "simulator-state.lock"
# Kept at most (oldest dropped first): a folder used for months stays small. The kit's own bound.
MAX_KEPT_RESPONSES = 200


class SharedState:
    """Loads and saves one simulator's kept objects in ``folder`` (created when first written)."""

    def __init__(self, folder: Path):
        self.folder = folder
        self._seen: Optional[tuple[int, int]] = None  # (mtime_ns, size) of the state file last read or written
        self._thread_lock = threading.Lock()

    @contextlib.contextmanager
    def held(self, simulator: Any) -> Iterator[None]:
        """Around one answer: read the folder's state if it changed, then write the simulator's back."""
        self.folder.mkdir(parents=True, exist_ok=True)
        with self._thread_lock, open(self.folder / LOCK_FILE, "a+") as lock:
            if fcntl is not None:
                fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                self._load(simulator)
                yield
                self._save(simulator)
            finally:
                if fcntl is not None:
                    fcntl.flock(lock, fcntl.LOCK_UN)

    def _stamp(self) -> Optional[tuple[int, int]]:
        try:
            stat = (self.folder / STATE_FILE).stat()
        except FileNotFoundError:
            return None
        return stat.st_mtime_ns, stat.st_size

    def _load(self, simulator: Any) -> None:
        stamp = self._stamp()
        if stamp is None or stamp == self._seen:
            return
        try:
            state = json.loads((self.folder / STATE_FILE).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return  # unreadable (a hand edit): answer from what this process holds, and overwrite it
        if isinstance(state, dict):
            simulator.import_state(state)
        self._seen = stamp

    def _save(self, simulator: Any) -> None:
        state = simulator.export_state()
        responses = state["responses"]
        for old in list(responses)[:-MAX_KEPT_RESPONSES]:
            del responses[old]
        atomic_write_text(self.folder / STATE_FILE, json.dumps(state, separators=(",", ":")))
        self._seen = self._stamp()

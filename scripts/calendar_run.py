"""Run every lesson live against the offline simulator on a chosen day, and list the models it asked for.

    python scripts/calendar_run.py 2026-12-02 [2026-11-29 ...]

For each day, the simulator server (127.0.0.1 only; no request leaves the machine) is told it is
that day, every lesson is executed top to bottom in live mode with ``COOKBOOK_TODAY`` set to it,
and the image models named in the requests the server received are counted per lesson. On a day
past gpt-image-1-mini's shutdown the table must show its successor and no request naming mini.
Nothing is billed: the key is a placeholder and the answers are simulated.
"""

from __future__ import annotations

import argparse
import collections
import datetime as dt
import json
import re
import sys
import tempfile
import threading
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from helpers import lessons, registry  # noqa: E402
from helpers import wire  # noqa: E402
from helpers.maintainer.simulator_server import serve  # noqa: E402
from helpers.offline.simulator import Simulator  # noqa: E402
from helpers.maintainer.rebuild import kernel_environment  # noqa: E402

LESSONS = lessons.lesson_paths()
PLACEHOLDER_KEY = "placeholder-key-for-the-local-simulator"


class CountingSimulator(Simulator):
    """The simulator, noting the image and mainline models each request names."""

    def __init__(self, day: dt.date):
        super().__init__(day=day)
        self.models: collections.Counter[str] = collections.Counter()
        self._count_lock = threading.Lock()

    def handle(self, method, path, query, headers, body):
        named = _models_named(headers.get("Content-Type") or headers.get("content-type") or "", body)
        with self._count_lock:
            self.models.update(named)
        return super().handle(method, path, query, headers, body)


def _models_named(content_type: str, body: bytes) -> list[str]:
    if content_type.startswith("multipart/form-data"):
        fields = wire.form_fields(wire.parse_multipart(content_type, body))
        return [fields["model"]] if isinstance(fields.get("model"), str) else []
    try:
        data = json.loads(body or b"null")
    except ValueError:
        return []
    if not isinstance(data, dict):
        return []
    named = [data["model"]] if isinstance(data.get("model"), str) else []
    for tool in data.get("tools") or ():
        if isinstance(tool, dict) and tool.get("type") == "image_generation":
            named.append(tool.get("model", registry.IMAGE_TOOL_DEFAULT_MODEL))
    return named


def run_day(day: dt.date) -> list[tuple[str, str, collections.Counter]]:
    """[(lesson, "ok" or the error, models counted)] for every lesson executed live on ``day``."""
    rows = []
    for lesson in LESSONS:
        simulator = CountingSimulator(day)
        with serve(simulator) as base_url, tempfile.TemporaryDirectory() as outputs:
            env = {"COOKBOOK_MODE": "live", "OPENAI_BASE_URL": base_url, "OPENAI_API_KEY": PLACEHOLDER_KEY,
                   "COOKBOOK_TODAY": day.isoformat(), "COOKBOOK_OUTPUTS_DIR": outputs,
                   "COOKBOOK_IMAGE_MODEL": "", "COOKBOOK_ALLOW_UNPRICED": ""}
            notebook = nbformat.read(lesson, as_version=4)
            # Live, the Batch lesson polls every real minute until its batch ends: allow for that.
            client = NotebookClient(notebook, timeout=600, kernel_name="python3",
                                    resources={"metadata": {"path": str(lesson.parent)}})
            # nbclient starts the kernel with this process's environment.
            with kernel_environment(**env):
                try:
                    client.execute()
                    outcome = "ok"
                except CellExecutionError as error:
                    outcome = re.sub(r"\x1b\[[0-9;]*m", "", str(error)).strip().splitlines()[-1][:80]
        rows.append((lesson.stem, outcome, simulator.models))
    return rows


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("days", nargs="+", type=dt.date.fromisoformat)
    days = parser.parse_args(argv).days
    failed = False
    for day in days:
        lesson_model = registry.lesson_image_model(day, env={})
        print(f"== {day}: lessons' image model {lesson_model} ==")
        for lesson, outcome, models in run_day(day):
            named = ", ".join(f"{m} x{n}" for m, n in sorted(models.items())) or "no requests"
            print(f"{lesson:18} {outcome:4} {named}")
            failed |= outcome != "ok"
        print()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

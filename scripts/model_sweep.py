"""Run every lesson offline, top to bottom, for every image model the registry lists as served.

    python scripts/model_sweep.py [--models gpt-image-2 ...] [--lessons 01_generate ...] [--jobs 2]

Each run is a fresh kernel with ``COOKBOOK_MODE=offline`` and ``COOKBOOK_IMAGE_MODEL=<model>``: a request the
lesson's recording does not hold is answered by the offline simulator, so no key and no network are
needed. Nothing is written back to the notebooks; saved images go to a scratch folder. Prints a
model x lesson table: "ok", or the first exception's class and message. Exits 1 if any cell failed.
Slow (a few minutes on 2 cores), so it is not part of the default test suite.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import nbformat  # noqa: E402
from nbclient import NotebookClient  # noqa: E402
from nbclient.exceptions import CellExecutionError  # noqa: E402

from helpers import registry, tracks  # noqa: E402

CELL_TIMEOUT_S = 300
MAX_MESSAGE_CHARS = 70
# A kernel can fail to start when another process takes its port first; that is no verdict on the lesson.
KERNEL_START_ATTEMPTS = 3


def run_lesson(lesson: Path, model: str, outputs_dir: str) -> str:
    """"ok", or "<ExceptionClass>: <message>" for the first cell that raised."""
    env = {**os.environ, "COOKBOOK_MODE": "offline", "COOKBOOK_IMAGE_MODEL": model,
           "COOKBOOK_TRACK": tracks.PRIMARY, "COOKBOOK_OUTPUTS_DIR": outputs_dir}
    env.pop("OPENAI_API_KEY", None)
    for attempt in range(1, KERNEL_START_ATTEMPTS + 1):
        client = NotebookClient(nbformat.read(lesson, as_version=4), timeout=CELL_TIMEOUT_S, kernel_name="python3",
                                resources={"metadata": {"path": str(lesson.parent)}})
        try:
            client.execute(env=env)
        except CellExecutionError as error:
            message = " ".join(str(error.evalue).split())
            return f"{error.ename}: {message[:MAX_MESSAGE_CHARS]}"
        except RuntimeError as error:
            if "Kernel died before replying" not in str(error) or attempt == KERNEL_START_ATTEMPTS:
                return f"kernel failed: {error}"
            continue
        return "ok"
    return "not run"


def table(results: dict[tuple[str, str], str], models: list[str], lessons: list[str]) -> str:
    """A markdown table: one row per model, one column per lesson."""
    lines = ["| model | " + " | ".join(lessons) + " |", "|---|" + "---|" * len(lessons)]
    for model in models:
        lines.append(f"| `{model}` | " + " | ".join(results[(model, lesson)] for lesson in lessons) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    day = registry.as_of_day()
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--models", nargs="+", default=[m.id for m in registry.served_image_models(day)],
                        help=f"image models (default: every model served on {day})")
    parser.add_argument("--lessons", nargs="+", help="lesson stems, e.g. 01_generate (default: all)")
    parser.add_argument("--jobs", type=int, default=2, help="kernels run at once (default 2)")
    args = parser.parse_args(argv)
    lessons = [p for p in tracks.source_lessons() if not args.lessons or p.stem in args.lessons]
    for model in args.models:
        registry.get(model)
    with tempfile.TemporaryDirectory(prefix="cookbook-sweep-") as scratch, \
            ProcessPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        futures = {(model, lesson.stem): pool.submit(run_lesson, lesson, model,
                                                           os.path.join(scratch, f"{model}-{lesson.stem}", "outputs"))
                   for model in args.models for lesson in lessons}
        results = {}
        for key, future in futures.items():
            results[key] = future.result()
            print(f"{key[0]} {key[1]}: {results[key]}", file=sys.stderr, flush=True)
    print(f"Offline model sweep on the registry's as-of date {day} ({len(args.models)} models x {len(lessons)} lessons)")
    print(table(results, args.models, [p.stem for p in lessons]))
    return 0 if all(v == "ok" for v in results.values()) else 1


if __name__ == "__main__":
    sys.exit(main())

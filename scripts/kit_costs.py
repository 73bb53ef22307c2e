"""What one live run of every notebook costs, from the requests in the recordings.

    python scripts/kit_costs.py            # print the table (markdown)
    python scripts/kit_costs.py --write    # refresh the copy embedded in instructors/README.md

Each recorded request is priced as the spending cap prices it before sending
(``helpers.budget.expected_cost``: the larger of the registry's two estimates, so an upper bound).
Requests made under a simulated failure scenario are never sent live and cost nothing. A request the
registry cannot price is listed as "not found"; in live mode the cap refuses it unless
COOKBOOK_ALLOW_UNPRICED=1.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path
from typing import Optional

from agenda import NOTEBOOKS, notebook_paths, run_cli

from helpers import budget, pricing, registry, run_plan, tracks

RECORDINGS = NOTEBOOKS / "recordings"
MARKER = "kit-costs"


def notebook_cost(stem: str, recording: Optional[dict]) -> run_plan.Plan:
    """Price the requests of one notebook's recording (None: the notebook makes no recorded requests)."""
    return run_plan.plan_interactions(stem, f"{stem}.json", (recording or {}).get("interactions", []))


def read_costs(notebooks_dir: Optional[Path] = None, recordings_dir: Path = RECORDINGS) -> list[run_plan.Plan]:
    """One plan per notebook: the kit's lessons, or the ``NN_*.ipynb`` notebooks of ``notebooks_dir``."""
    costs = []
    for path in notebook_paths(notebooks_dir):
        recording = Path(recordings_dir) / f"{path.stem}.json"
        document = json.loads(recording.read_text(encoding="utf-8")) if recording.exists() else None
        costs.append(notebook_cost(path.stem, document))
    return costs


def md_usd(value: float) -> str:
    """``pricing.usd(value)`` for Markdown: the dollar sign escaped (``\\$0.0295``), so JupyterLab's preview
    and GitHub never read two amounts on a line as a formula."""
    return pricing.usd(value).replace("$", "\\$")


def _usd(priced_usd: float, unpriced: int) -> str:
    return md_usd(priced_usd) + (f" + {unpriced} {registry.NOT_FOUND}" if unpriced else "")


def costs_markdown(plans: list[run_plan.Plan], cap_usd: float = budget.DEFAULT_BUDGET_USD) -> str:
    lines = [f"Prices as of {registry.AS_OF}, from `helpers/registry.py`; each request priced as the spending cap "
             "does before sending (worst case, input and output: an upper bound). A refused request (its "
             "recorded answer is a 4xx) costs nothing.", "",
             "| Notebook | Requests sent live | Refused, not billed | Expected cost | Simulated failures (never sent) |",
             "|---|---:|---:|---:|---:|"]
    for plan in plans:
        lines.append(f"| `{plan.notebook}` | {len(plan.live)} | {len(plan.refused)} | "
                     f"{_usd(plan.priced_usd, len(plan.unpriced))} | {len(plan.requests) - len(plan.live)} |")
    sent = sum(len(p.live) for p in plans)
    refused = sum(len(p.refused) for p in plans)
    simulated = sum(len(p.requests) - len(p.live) for p in plans)
    whole = _usd(sum(p.priced_usd for p in plans), sum(len(p.unpriced) for p in plans))
    lines.append(f"| **Whole kit, one attendee** | {sent} | {refused} | {whole} | {simulated} |")
    lines += ["", f"Requests whose price is {registry.NOT_FOUND} in the registry (the cap refuses them unless "
              "`COOKBOOK_ALLOW_UNPRICED=1`):"]
    lines += [f"- `{p.notebook}`, {n} x {d}" for p in plans
              for d, n in Counter(r.description for r in p.unpriced).items()] or ["- none"]
    over = [p.notebook for p in plans if p.priced_usd > cap_usd]
    lines += ["", f"Notebooks expected to exceed the default spending cap of {md_usd(cap_usd)} per kernel: "
              + (", ".join(f"`{s}`" for s in over) if over else "none") + "."]
    return "\n".join(lines)


def tracks_markdown(day=None) -> str:
    """The cost table of every track the kit executes on ``day`` (default: the registry's as-of date):
    the primary track's, then, while the lessons' model has an announced shutdown, the successor track's
    (``notebooks/successor/``, its own recordings)."""
    day = day or registry.as_of_day()
    model = registry.track_image_model(tracks.PRIMARY, day)
    text = f"Lessons' image model on {day}: `{model}`.\n\n" + costs_markdown(read_costs())
    for track in registry.lesson_tracks(day)[1:]:
        text += (f"\n\nThe same run on the {track.name} track (`{registry.track_image_model(track.name, day)}`, "
                 f"`{track.notebooks_dir.relative_to(NOTEBOOKS.parent)}/`):\n\n"
                 + costs_markdown(read_costs(track.notebooks_dir, track.recordings_dir)))
    return text


def main(argv: Optional[list[str]] = None) -> int:
    return run_cli(argv, __doc__.split("\n\n")[0], MARKER, tracks_markdown)


if __name__ == "__main__":
    sys.exit(main())

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

from agenda import NOTEBOOKS, run_cli

from helpers import budget, pricing, registry, run_plan, tracks

RECORDINGS = NOTEBOOKS / "recordings"
MARKER = "kit-costs"


def notebook_cost(stem: str, recording: Optional[dict]) -> run_plan.Plan:
    """Price the requests of one notebook's recording (None: the notebook makes no recorded requests)."""
    return run_plan.plan_interactions(stem, f"{stem}.json", (recording or {}).get("interactions", []))


def read_costs(notebooks_dir: Path = NOTEBOOKS, recordings_dir: Path = RECORDINGS) -> list[run_plan.Plan]:
    costs = []
    for path in sorted(Path(notebooks_dir).glob("[0-9][0-9]_*.ipynb")):
        recording = Path(recordings_dir) / f"{path.stem}.json"
        document = json.loads(recording.read_text(encoding="utf-8")) if recording.exists() else None
        costs.append(notebook_cost(path.stem, document))
    return costs


def _usd(priced_usd: float, unpriced: int) -> str:
    return pricing.usd(priced_usd) + (f" + {unpriced} {registry.NOT_FOUND}" if unpriced else "")


def costs_markdown(plans: list[run_plan.Plan], cap_usd: float = budget.DEFAULT_BUDGET_USD) -> str:
    lines = [f"Prices as of {registry.AS_OF}, from `helpers/registry.py`; each request priced as the spending cap "
             "does before sending (the larger of the two estimates, output only: an upper bound).", "",
             "| Notebook | Requests sent live | Expected cost | Simulated failures (never sent) |",
             "|---|---:|---:|---:|"]
    for plan in plans:
        lines.append(f"| `{plan.notebook}` | {len(plan.live)} | {_usd(plan.priced_usd, len(plan.unpriced))} | "
                     f"{len(plan.requests) - len(plan.live)} |")
    sent = sum(len(p.live) for p in plans)
    simulated = sum(len(p.requests) - len(p.live) for p in plans)
    whole = _usd(sum(p.priced_usd for p in plans), sum(len(p.unpriced) for p in plans))
    lines.append(f"| **Whole kit, one attendee** | {sent} | {whole} | {simulated} |")
    lines += ["", f"Requests whose price is {registry.NOT_FOUND} in the registry (the cap refuses them unless "
              "`COOKBOOK_ALLOW_UNPRICED=1`):"]
    lines += [f"- `{p.notebook}`, {n} x {d}" for p in plans
              for d, n in Counter(r.description for r in p.unpriced).items()] or ["- none"]
    over = [p.notebook for p in plans if p.priced_usd > cap_usd]
    lines += ["", f"Notebooks expected to exceed the default spending cap of {pricing.usd(cap_usd)} per kernel: "
              + (", ".join(f"`{s}`" for s in over) if over else "none") + "."]
    return "\n".join(lines)


def both_tracks_markdown() -> str:
    """The primary track's table, then the successor track's (notebooks/successor/, its own recordings)."""
    successor = tracks.TRACKS[tracks.SUCCESSOR]
    model = registry.track_image_model(tracks.SUCCESSOR, registry.as_of_day())
    return (costs_markdown(read_costs()) + f"\n\nThe same run on the successor track (`{model}`, "
            "`notebooks/successor/`):\n\n"
            + costs_markdown(read_costs(successor.notebooks_dir, successor.recordings_dir)))


def main(argv: Optional[list[str]] = None) -> int:
    return run_cli(argv, __doc__.split("\n\n")[0], MARKER, both_tracks_markdown)


if __name__ == "__main__":
    sys.exit(main())

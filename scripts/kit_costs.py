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

import argparse
import json
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from agenda import GUIDE, NOTEBOOKS, ROOT, write_embedded

from helpers import budget, pricing, registry

RECORDINGS = NOTEBOOKS / "recordings"
MARKER = "kit-costs"


@dataclass(frozen=True)
class NotebookCost:
    stem: str
    sent: int
    priced_usd: float
    unpriced: tuple[str, ...]
    simulated_failures: int

    @property
    def total(self) -> Optional[float]:
        return None if self.unpriced else self.priced_usd


def notebook_cost(stem: str, recording: Optional[dict]) -> NotebookCost:
    """Price the requests of one notebook's recording (None: the notebook makes no recorded requests)."""
    sent, priced, unpriced, simulated = 0, 0.0, [], 0
    for interaction in (recording or {}).get("interactions", []):
        request = interaction["request"]
        if request.get("scenario"):
            simulated += 1
            continue
        sent += 1
        expected = budget.expected_cost(request)
        if expected.usd is None:
            unpriced.append(expected.description)
        else:
            priced += expected.usd
    return NotebookCost(stem, sent, priced, tuple(unpriced), simulated)


def read_costs(notebooks_dir: Path = NOTEBOOKS, recordings_dir: Path = RECORDINGS) -> list[NotebookCost]:
    costs = []
    for path in sorted(Path(notebooks_dir).glob("[0-9][0-9]_*.ipynb")):
        recording = Path(recordings_dir) / f"{path.stem}.json"
        document = json.loads(recording.read_text(encoding="utf-8")) if recording.exists() else None
        costs.append(notebook_cost(path.stem, document))
    return costs


def _usd(cost: NotebookCost) -> str:
    if not cost.unpriced:
        return pricing.usd(cost.priced_usd)
    return f"{pricing.usd(cost.priced_usd)} + {len(cost.unpriced)} {registry.NOT_FOUND}"


def costs_markdown(costs: list[NotebookCost], cap_usd: float = budget.DEFAULT_BUDGET_USD) -> str:
    lines = [f"Prices as of {registry.AS_OF}, from `helpers/registry.py`; each request priced as the spending cap "
             "does before sending (the larger of the two estimates, output only: an upper bound).", "",
             "| Notebook | Requests sent live | Expected cost | Simulated failures (never sent) |",
             "|---|---:|---:|---:|"]
    for cost in costs:
        lines.append(f"| `{cost.stem}` | {cost.sent} | {_usd(cost)} | {cost.simulated_failures} |")
    whole = NotebookCost("all", sum(c.sent for c in costs), sum(c.priced_usd for c in costs),
                         tuple(d for c in costs for d in c.unpriced), sum(c.simulated_failures for c in costs))
    lines.append(f"| **Whole kit, one attendee** | {whole.sent} | {_usd(whole)} | {whole.simulated_failures} |")
    lines += ["", f"Requests whose price is {registry.NOT_FOUND} in the registry (the cap refuses them unless "
              "`COOKBOOK_ALLOW_UNPRICED=1`):"]
    lines += [f"- `{c.stem}`, {n} x {d}" for c in costs for d, n in Counter(c.unpriced).items()] or ["- none"]
    over = [c.stem for c in costs if c.priced_usd > cap_usd]
    lines += ["", f"Notebooks expected to exceed the default spending cap of {pricing.usd(cap_usd)} per kernel: "
              + (", ".join(f"`{s}`" for s in over) if over else "none") + "."]
    return "\n".join(lines)


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--write", action="store_true", help=f"refresh the table in {GUIDE.relative_to(ROOT)}")
    args = parser.parse_args(argv)
    table = costs_markdown(read_costs())
    if args.write:
        write_embedded(GUIDE, MARKER, table)
    else:
        print(table)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Print the reliability figures: bad inputs stopped before sending, faults survived, cap overspend.

    .venv/bin/python scripts/fault_report.py [--trials 5]

1. Runs ``tests/test_faults.py`` once. Tests named ``test_bad_input_*`` try an input the API would
   refuse (each parameter case counts once); ``test_fault_*`` inject a fault (racing threads,
   killed processes, read-only or full folders, corrupted recordings, canary secrets). A passing
   test means the input was stopped before anything was sent, or the fault was survived.
2. Races threads against the spending cap, live against the simulator on 127.0.0.1, in several
   settings, ``--trials`` times each, and prints the largest overspend: what the server billed
   (from its usage) beyond the cap. The target is $0.00.
3. Per route (images, edits, Responses sync, stream and background, Batch, bulk), races 16 threads
   and 16 asyncio tasks through the live stack and cap against the simulator in process
   (``tests.test_faults.route_overspend``; Responses answers hold four images each) and prints the
   largest overspend and whether the ledger ever counted less than was billed. Target: $0.0000.

Exit status 1 if any test failed or any overspend was above zero.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.test_faults import ROUTES, concurrent_overspend, route_overspend  # noqa: E402  (needs the root on the path)

# (threads, cap in USD, quality): one image fits, several fit, many cheap ones fit.
RACES = ((8, 0.05, "high"), (12, 0.10, "medium"), (12, 0.05, "low"))


def test_counts() -> dict[str, tuple[int, int]]:
    """{"bad input" | "fault" | "kill": (tried, passed)} from one run of tests/test_faults.py ("kill": the
    fault tests that kill a process mid-write)."""
    with tempfile.TemporaryDirectory() as folder:
        report = Path(folder) / "faults.xml"
        subprocess.run([sys.executable, "-m", "pytest", "-q", "-n", "0", "-p", "no:cacheprovider", "-o", "addopts=",
                        f"--junitxml={report}", "tests/test_faults.py"], cwd=ROOT, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)
        cases = ET.parse(report).getroot().iter("testcase")
        counts = {"bad input": [0, 0], "fault": [0, 0], "kill": [0, 0]}
        for case in cases:
            name = case.get("name", "")
            kinds = ["bad input" if name.startswith("test_bad_input") else "fault"] + ["kill"] * ("kill" in name)
            for kind in kinds:
                counts[kind][0] += 1
                counts[kind][1] += not any(child.tag in ("failure", "error", "skipped") for child in case)
    return {k: (v[0], v[1]) for k, v in counts.items()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--trials", type=int, default=5, help="runs of each race (default 5)")
    args = parser.parse_args(argv)
    counts = test_counts()
    tried, stopped = counts["bad input"]
    print(f"bad inputs tried / stopped before sending: {tried} / {stopped}")
    tried_f, survived = counts["fault"]
    print(f"faults tried / survived: {tried_f} / {survived}")
    kills, kills_survived = counts["kill"]
    print(f"kills (SIGKILL mid-run) tried / survived: {kills} / {kills_survived}")
    worst = 0.0
    for threads, limit, quality in RACES:
        results = [concurrent_overspend(threads, limit, quality) for _ in range(args.trials)]
        largest = max(r["overspend_usd"] for r in results)
        worst = max(worst, largest)
        sent = sorted(r["sent"] for r in results)
        dropped = sum(r["dropped"] for r in results)
        print(f"race: {threads} threads, {quality} 1024x1024, cap ${limit:.2f}: sent {sent[0]}-{sent[-1]} per trial "
              f"({dropped} dropped by the server's accept queue in all), billed at most "
              f"${max(r['billed_usd'] for r in results):.4f}, largest overspend ${largest:.4f}")
    print(f"largest overspend under the concurrent test: ${worst:.2f} over the cap ({args.trials} trials each)")
    undercounted = 0.0
    print("per route, 16 workers, Responses answers holding 4 images each "
          f"(largest over {args.trials} trials):")
    for route in ROUTES:
        cells = []
        for asynchronous in (False, True):
            results = [route_overspend(route, asynchronous=asynchronous) for _ in range(args.trials)]
            largest = max(r["overspend_usd"] for r in results)
            under = max(r["undercounted_usd"] for r in results)
            worst, undercounted = max(worst, largest), max(undercounted, under)
            sent = sorted(r["sent"] for r in results)
            cells.append(f"{'asyncio' if asynchronous else 'threads'}: sent {sent[0]}-{sent[-1]}, billed at most "
                         f"${max(r['billed_usd'] for r in results):.4f} of ${results[0]['limit_usd']:.2f}, "
                         f"overspend ${largest:.4f}")
        print(f"  {route:<21} " + "; ".join(cells))
    print(f"largest overspend on any route, threads and asyncio: ${worst:.4f}; ledger under billing by at most "
          f"${undercounted:.4f}")
    return 0 if stopped == tried and survived == tried_f and worst == 0.0 and undercounted <= 1e-9 else 1


if __name__ == "__main__":
    sys.exit(main())

"""Print the kit's numbers: suite time, replay latency, file sizes, and bulk throughput at Tier 1.

    .venv/bin/python scripts/benchmark.py [--skip-suite] [--images 30] [--scale 30] [--tier 1]

1. Test suite: wall time of the README's pytest command, run once.
2. Replay latency: every recorded call of every notebook, replayed through ``ReplayTransport`` and
   the SDK, in process (median and 95th percentile). Calls that upload files cannot be rebuilt from a
   recording, which keeps only a fingerprint of each upload, so they are counted and skipped.
3. Size of each notebook and each recording.
4. Bulk throughput against the simulator served on 127.0.0.1 with the tier's images-per-minute
   limit, on a scaled clock so simulated minutes pass in seconds: ``helpers.bulk`` and a plain loop
   (three immediate attempts per image, as a loop without waits does), in the same run. The rate
   is the limit times (the shortest possible span between the first and the last start for that
   many images, divided by the actual span); lost images are those never made.

Acceptance: the bulk helper reaches at least 95% of the limit and loses nothing (exit status 1 otherwise).
"""

from __future__ import annotations

import argparse
import json
import re
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx2
import openai

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from helpers import budget, bulk, registry  # noqa: E402
from helpers.offline import recording, transport  # noqa: E402
from helpers.offline.server import serve  # noqa: E402
from helpers.offline.simulator import Simulator  # noqa: E402

NOTEBOOKS = ROOT / "notebooks"
RECORDINGS = NOTEBOOKS / "recordings"
ACCEPT_FRACTION = 0.95
NAIVE_ATTEMPTS = 3


def heading(text: str) -> None:
    print(f"\n== {text} ==")


# --- 1. the test suite -----------------------------------------------------------------------

def readme_pytest_command() -> list[str]:
    """The pytest step of the README's test command (the venv steps before it are setup)."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(r"<!-- test-command -->\s*```\s*(.*?)\s*```\s*<!-- /test-command -->", readme, re.S)
    if block is None:
        raise SystemExit("README.md has no test command between <!-- test-command --> markers")
    steps = [step.strip() for step in block.group(1).split("&&")]
    pytest_steps = [step for step in steps if "pytest" in step]
    if not pytest_steps:
        raise SystemExit("the README's test command has no pytest step")
    return shlex.split(pytest_steps[-1])


def suite() -> None:
    heading("test suite")
    command = readme_pytest_command()
    print("command:", " ".join(command))
    began = time.perf_counter()
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    elapsed = time.perf_counter() - began
    tail = [line for line in done.stdout.splitlines() if line.strip()][-1:] or ["(no output)"]
    print(f"wall time: {elapsed:.1f} s, exit status {done.returncode}, {tail[0].strip('= ')}")


# --- 2. replay latency -----------------------------------------------------------------------

def replayable(request: dict) -> bool:
    inline_upload = "data_url" in json.dumps(request.get("json", {}))
    return "files" not in request and "body" not in request and not inline_upload


def replay_one(client: openai.OpenAI, request: dict) -> None:
    path = request["path"].removeprefix("/v1")
    options = {"params": dict(request.get("query", []))}
    try:
        if request["method"] == "GET":
            client.get(path, cast_to=httpx2.Response, options=options).read()
        else:
            client.post(path, cast_to=httpx2.Response, body=request.get("json"), options=options).read()
    except openai.APIStatusError:
        pass  # a recorded error replays as the SDK's exception: still one replayed call


def replay_latency() -> None:
    heading("replay latency (in process, ReplayTransport + SDK)")
    latencies: list[float] = []
    skipped = 0
    for path in sorted(RECORDINGS.glob("*.json")):
        interactions = json.loads(path.read_text(encoding="utf-8"))["interactions"]
        clients: dict = {}
        count = 0
        for interaction in interactions:
            request = dict(interaction["request"])
            if not replayable(request):
                skipped += 1
                continue
            scenario = request.pop("scenario", None)
            if scenario not in clients:
                replay = transport.ReplayTransport(recording.Recording.load(path), scenario=scenario)
                clients[scenario] = openai.OpenAI(api_key="benchmark-placeholder", base_url="https://api.openai.com/v1",
                                                  max_retries=0,
                                                  http_client=openai.DefaultHttpx2Client(transport=replay))
            began = time.perf_counter()
            replay_one(clients[scenario], request)
            latencies.append(time.perf_counter() - began)
            count += 1
        print(f"  {path.stem:<20} {count:>3} calls replayed")
    if not latencies:
        print("no recorded calls")
        return
    ordered = sorted(latencies)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    print(f"{len(latencies)} calls: median {statistics.median(latencies) * 1000:.1f} ms, "
          f"p95 {p95 * 1000:.1f} ms; {skipped} upload calls skipped (recordings keep only fingerprints of uploads)")


# --- 3. sizes --------------------------------------------------------------------------------

def sizes() -> None:
    heading("sizes")
    for label, pattern in (("notebook", NOTEBOOKS.glob("[0-9][0-9]_*.ipynb")), ("recording", RECORDINGS.glob("*.json"))):
        for path in sorted(pattern):
            print(f"  {label:<10} {path.name:<28} {path.stat().st_size / 1024:>7.1f} KiB")


# --- 4. bulk throughput ----------------------------------------------------------------------

def bulk_run(jobs, limits, scale, model):
    clock = bulk.ScaledClock(scale)
    with serve(Simulator(clock=clock.now, images_per_minute=limits.images_per_minute)) as base_url, \
            tempfile.TemporaryDirectory() as run_dir:
        client = openai.OpenAI(base_url=base_url, api_key="benchmark-placeholder", max_retries=0)
        report = bulk.run(jobs, client=client, model=model, run_dir=run_dir, limits=limits, clock=clock,
                          progress=False, say=lambda _message: None, cap=budget.SpendingCap(1000.0))
    starts = [i.started_at for i in report.items if i.status == bulk.SAVED]
    return len(starts), len(jobs) - len(starts), report.rate_limited, report.sustained_rate(), report.elapsed_s


def naive_run(jobs, limits, scale, model):
    clock = bulk.ScaledClock(scale)
    starts, lost, refused = [], 0, 0
    began = clock.now()
    with serve(Simulator(clock=clock.now, images_per_minute=limits.images_per_minute)) as base_url:
        client = openai.OpenAI(base_url=base_url, api_key="benchmark-placeholder", max_retries=0)
        for job in jobs:
            for _ in range(NAIVE_ATTEMPTS):
                start = clock.now()
                try:
                    client.images.generate(**job.params(model))
                except openai.RateLimitError:
                    refused += 1
                    continue
                starts.append(start)
                break
            else:
                lost += 1
    rate = bulk.sustained_rate(starts, limits.images_per_minute)
    return len(starts), lost, refused, rate, clock.now() - began


def throughput(images: int, scale: float, tier: int) -> bool:
    model = registry.lesson_image_model()
    limits = bulk.Limits.for_tier(model, tier)
    heading(f"bulk throughput: {images} images, {model} at Tier {tier} "
            f"({limits.images_per_minute} images/min), clock scaled {scale:g}x, simulator on 127.0.0.1")
    jobs = [bulk.Job(f"bench-{n:03d}", f"Draw a lighthouse, benchmark image {n}") for n in range(images)]
    floor = limits.images_per_minute * ACCEPT_FRACTION
    passed = True
    for name, measure in (("bulk helper", bulk_run), ("plain loop", naive_run)):
        made, lost, refused, rate, elapsed = measure(jobs, limits, scale, model)
        if rate is None:
            shown = f"none beyond the first minute's {limits.images_per_minute}"
        else:
            shown = f"{rate:.2f} images/min = {rate / limits.images_per_minute:.0%} of the limit"
        print(f"  {name:<12} made {made:>3}, lost {lost:>3}, 429s seen {refused:>3}, sustained rate {shown}, "
              f"{elapsed / 60:.1f} simulated minutes")
        if name == "bulk helper":
            passed = lost == 0 and rate is not None and rate >= floor
    print(f"acceptance (bulk helper >= {ACCEPT_FRACTION:.0%} of the limit, nothing lost): "
          f"{'PASS' if passed else 'FAIL'}")
    return passed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--skip-suite", action="store_true", help="do not run the test suite")
    parser.add_argument("--images", type=int, default=30, help="images in the throughput runs (default 30)")
    parser.add_argument("--scale", type=float, default=30.0, help="simulated seconds per real second (default 30)")
    parser.add_argument("--tier", type=int, default=1, help="usage tier whose limits apply (default 1)")
    args = parser.parse_args(argv)
    if args.images < 1 or args.scale <= 0:
        parser.error("--images must be at least 1 and --scale positive")
    if not args.skip_suite:
        suite()
    replay_latency()
    sizes()
    return 0 if throughput(args.images, args.scale, args.tier) else 1


if __name__ == "__main__":
    sys.exit(main())

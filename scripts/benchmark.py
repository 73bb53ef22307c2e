"""Print the kit's numbers: suite time, lesson run times, learner install, replay latency, sizes, throughput, site build.

    .venv/bin/python scripts/benchmark.py [--skip-suite] [--skip-lessons] [--skip-install]
                                          [--images 30] [--scale 30] [--tier 1]

1. Test suite: the README's pytest command, run once in this (warm) environment, with
   ``--durations``: pytest's own time, the wall time, and the slowest tests. Target: pytest time
   under 30 s on 2 cores. On a shared machine wall times stretch with other work, so it also prints
   the load average and the CPU time that pytest and the processes it waited for used: that CPU
   time over the cores is what the run needs of an idle machine, at least.
2. Lessons offline: each lesson executed top to bottom by nbclient in offline mode (a fresh kernel
   each, as "Restart and run all"), timed with and without the kernel's start. Target: under 8 s.
3. Learner environment: a new venv in a temporary folder, ``pip install -r requirements.txt`` timed
   (pip's cache and configuration as they are on this machine, so a warm cache is faster than a first
   install), then its size on disk and the sum of its file sizes. Target: under 350 MB.
4. Replay latency: every recorded call of every notebook, replayed through ``ReplayTransport`` and
   the SDK, in process (median and 95th percentile). Calls that upload files cannot be rebuilt from a
   recording, which keeps only a fingerprint of each upload, so they are counted and skipped.
5. Size of each notebook and each recording.
6. Bulk throughput against the simulator served on 127.0.0.1 with the tier's images-per-minute
   limit, on a scaled clock so simulated minutes pass in seconds: ``helpers.bulk`` and a plain loop
   (three immediate attempts per image, as a loop without waits does), in the same run. The rate
   is the limit times (the shortest possible span between the first and the last start for that
   many images, divided by the actual span); lost images are those never made.
7. Website: ``scripts/build_site.py`` building the whole site into a temporary folder, timed, with
   its page count and size. Target: well under a minute on 2 cores.

Acceptance: the bulk helper reaches at least 95% of the limit and loses nothing (exit status 1 otherwise).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import os
import re
import resource
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

from helpers import budget, bulk, lessons, registry  # noqa: E402
from helpers import transports  # noqa: E402
from helpers.transports import recording  # noqa: E402
from helpers.maintainer.simulator_server import serve  # noqa: E402

# The site build (Sphinx) sets up logging for the whole process; without this, every request of the
# throughput runs after it would print an httpx2 INFO line.
logging.getLogger("httpx2").setLevel(logging.WARNING)
from helpers.offline.simulator import Simulator  # noqa: E402
from helpers.maintainer.rebuild import kernel_environment  # noqa: E402

NOTEBOOKS = lessons.NOTEBOOKS_DIR
RECORDINGS = NOTEBOOKS / "recordings"
ACCEPT_FRACTION = 0.95
NAIVE_ATTEMPTS = 3
SUITE_TARGET_S = 30
LESSON_TARGET_S = 8
ENVIRONMENT_TARGET_MB = 350
SLOWEST = 15


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
    command = readme_pytest_command() + [f"--durations={SLOWEST}"]
    print("command:", " ".join(command), f"({os.cpu_count()} cores)")
    load_before = os.getloadavg()[0]
    cpu_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    began = time.perf_counter()
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    elapsed = time.perf_counter() - began
    cpu_after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu_s = (cpu_after.ru_utime - cpu_before.ru_utime) + (cpu_after.ru_stime - cpu_before.ru_stime)
    lines = [line for line in done.stdout.splitlines() if line.strip()]
    summary = lines[-1].strip("= ") if lines else "(no output)"
    reported = re.search(r" in ([0-9.]+)s", summary)
    pytest_s = float(reported[1]) if reported else None
    verdict = "" if pytest_s is None else f" (target < {SUITE_TARGET_S} s: {'PASS' if pytest_s < SUITE_TARGET_S else 'FAIL'})"
    print(f"pytest time: {pytest_s if pytest_s is not None else 'not reported'} s{verdict}; "
          f"wall time {elapsed:.1f} s; exit status {done.returncode}; {summary}")
    cores = os.cpu_count() or 1
    print(f"CPU time {cpu_s:.1f} s = {cpu_s / cores:.1f} s per core on {cores} cores; load average "
          f"{load_before:.1f} before, {os.getloadavg()[0]:.1f} after (above {cores}, other work shared the cores)")
    slowest = [line for line in lines if re.match(r"^[0-9.]+s (call|setup|teardown) ", line)]
    print(f"slowest {len(slowest)}:")
    for line in slowest:
        print("  " + line)


# --- 2. lessons offline ----------------------------------------------------------------------

def _cells_seconds(notebook) -> float:
    """Time spent executing cells (from nbclient's per-cell timestamps), kernel start excluded."""
    total = 0.0
    for cell in notebook.cells:
        timing = cell.get("metadata", {}).get("execution", {})
        if "iopub.execute_input" in timing and "shell.execute_reply" in timing:
            began = dt.datetime.fromisoformat(timing["iopub.execute_input"].replace("Z", "+00:00"))
            ended = dt.datetime.fromisoformat(timing["shell.execute_reply"].replace("Z", "+00:00"))
            total += (ended - began).total_seconds()
    return total


def lesson_times() -> bool:
    import nbformat
    from nbclient import NotebookClient

    heading(f"lessons offline (nbclient, a fresh kernel each; target < {LESSON_TARGET_S} s)")
    passed = True
    with tempfile.TemporaryDirectory() as outputs, kernel_environment(COOKBOOK_MODE="offline",
                                                                       COOKBOOK_OUTPUTS_DIR=outputs):
        for path in lessons.lesson_paths():
            notebook = nbformat.read(path, as_version=4)
            began = time.perf_counter()
            NotebookClient(notebook, timeout=300, kernel_name="python3", record_timing=True,
                           resources={"metadata": {"path": str(path.parent)}}).execute()
            whole = time.perf_counter() - began
            cells = _cells_seconds(notebook)
            ok = whole < LESSON_TARGET_S
            passed &= ok
            print(f"  {path.stem:<20} {whole:5.1f} s with kernel start, {cells:5.1f} s running cells"
                  f"  {'ok' if ok else 'OVER'}")
    return passed


# --- 3. learner environment ------------------------------------------------------------------

def _sizes_mb(folder: Path) -> tuple[float, float]:
    """(size on disk, sum of file sizes) in MB (10^6 bytes)."""
    on_disk = apparent = 0
    for path in folder.rglob("*"):
        if path.is_file() and not path.is_symlink():
            info = path.stat()
            apparent += info.st_size
            on_disk += info.st_blocks * 512
    return on_disk / 1e6, apparent / 1e6


def learner_environment() -> None:
    heading(f"learner environment (pip install -r requirements.txt into a new venv; target < {ENVIRONMENT_TARGET_MB} MB)")
    with tempfile.TemporaryDirectory() as where:
        venv = Path(where) / "venv"
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        began = time.perf_counter()
        done = subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", "-r",
                               str(ROOT / "requirements.txt")], cwd=ROOT, capture_output=True, text=True)
        elapsed = time.perf_counter() - began
        if done.returncode:
            print(f"install failed ({done.returncode}):\n{done.stderr[-2000:]}")
            return
        on_disk, apparent = _sizes_mb(venv)
        compiled = sum(p.stat().st_size for p in venv.rglob("*.pyc")) / 1e6
        print(f"install time: {elapsed:.1f} s (pip's cache as it is on this machine)")
        print(f"size: {on_disk:.0f} MB on disk, {apparent:.0f} MB of files, of which {compiled:.0f} MB compiled "
              f"bytecode (.pyc) that pip writes at install  "
              f"{'ok' if on_disk < ENVIRONMENT_TARGET_MB else 'OVER'}")
        largest = sorted(((_sizes_mb(p)[0], p.name) for p in (venv / "lib").glob("python*/site-packages/*")
                          if p.is_dir() and not p.name.endswith(".dist-info")), reverse=True)[:8]
        print("largest: " + ", ".join(f"{name} {mb:.0f} MB" for mb, name in largest))


# --- 4. replay latency -----------------------------------------------------------------------

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
                replay = transports.ReplayTransport(recording.Recording.load(path), scenario=scenario)
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


# --- 5. sizes --------------------------------------------------------------------------------

def sizes() -> None:
    heading("sizes")
    for label, pattern in (("notebook", lessons.lesson_paths()), ("recording", RECORDINGS.glob("*.json"))):
        for path in sorted(pattern):
            print(f"  {label:<10} {path.name:<28} {path.stat().st_size / 1024:>7.1f} KiB")


# --- 6. bulk throughput ----------------------------------------------------------------------

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
    # As lesson 05 does: where the lessons' model has no limits in the registry, a served model that has
    # them stands in, and the heading says so; with none, there is nothing to measure against.
    day = registry.kit_day()
    limited = [m.id for m in registry.served_image_models(day) if registry.rate_limits(m.id, tier)]
    measured = model if registry.rate_limits(model, tier) else (limited[0] if limited else None)
    if measured is None:
        heading(f"bulk throughput: Tier {tier} limits are {registry.NOT_FOUND} for every served image model")
        return True
    limits = bulk.Limits.for_tier(measured, tier)
    stand_in = "" if measured == model else (f" ({model}'s limits are {registry.NOT_FOUND} in the registry; "
                                             f"{measured}'s stand in)")
    model = measured
    heading(f"bulk throughput: {images} images, {model} at Tier {tier} "
            f"({limits.images_per_minute} images/min){stand_in}, clock scaled {scale:g}x, simulator on 127.0.0.1")
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


# --- 7. website ------------------------------------------------------------------------------

def site_build() -> None:
    import build_site  # scripts/ is on the path when this file runs; the site tools load only here

    heading("website")
    with tempfile.TemporaryDirectory() as scratch:
        began = time.perf_counter()
        site = build_site.build(Path(scratch) / "site")
        elapsed = time.perf_counter() - began
        size, pages = build_site.size_and_pages(site)
    print(f"site build time: {elapsed:.1f} s ({pages} pages, {size / 1024 / 1024:.1f} MiB)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--skip-suite", action="store_true", help="do not run the test suite")
    parser.add_argument("--skip-lessons", action="store_true", help="do not time the lessons offline")
    parser.add_argument("--skip-install", action="store_true", help="do not build a learner environment")
    parser.add_argument("--images", type=int, default=30, help="images in the throughput runs (default 30)")
    parser.add_argument("--scale", type=float, default=30.0, help="simulated seconds per real second (default 30)")
    parser.add_argument("--tier", type=int, default=1, help="usage tier whose limits apply (default 1)")
    args = parser.parse_args(argv)
    if args.images < 1 or args.scale <= 0:
        parser.error("--images must be at least 1 and --scale positive")
    if not args.skip_suite:
        suite()
    lessons_ok = True if args.skip_lessons else lesson_times()
    if not args.skip_install:
        learner_environment()
    replay_latency()
    sizes()
    site_build()
    return 0 if throughput(args.images, args.scale, args.tier) and lessons_ok else 1


if __name__ == "__main__":
    sys.exit(main())

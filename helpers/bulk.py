"""Many images within a usage tier's limits, and the JSONL a Batch API job needs.

``run`` sends generation (or edit) jobs concurrently and keeps them inside the tier's images per
minute and tokens per minute (from the registry) with a sliding 60-second window. It waits out a
429 as its ``retry-after-ms``/``retry-after`` header asks (the client should have ``max_retries=0``
so every wait is visible here), stops the whole run on ``insufficient_quota``, a billing limit,
an authentication problem or the spending cap, saves each image as it arrives (atomically) and
records it in a manifest, so a second run skips what is already saved. The output folder is checked
to take files before the first request; the manifest entry is written before its image, so a run
killed between the two never pays again for a saved image; a failed save stops the run.

The clock is injected: ``ScaledClock`` runs a simulated minute in a fraction of a second against
the offline simulator, ``SYSTEM_CLOCK`` is real time.

The Batch half (``batch_line``, ``batch_jsonl``, ``read_batch_results``, ``poll_batch``) covers
``/v1/images/generations`` only: the JSON body of an ``/v1/images/edits`` line is described by a
third party and not verified, so the kit does not build one.
"""

from __future__ import annotations

import datetime as dt

import base64
import hashlib
import json
import math
import re
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping, Optional, Protocol, Sequence

import openai
from tqdm.auto import tqdm

from . import budget, pricing, registry
from .client import current_mode
from .secrets import scrub_text
from .writes import FolderLock, LockHeld, atomic_write_bytes, sweep_temporaries
from .wrapping import wrap

WINDOW_S = 60.0
MANIFEST_NAME = "manifest.json"
MANIFEST_FORMAT = 1
DEFAULT_MARGIN_S = 1.0  # slack after a window frees up, so arrival jitter does not meet a full window
BACKOFF_BASE_S, BACKOFF_MAX_S = 0.5, 8.0  # the SDK's own backoff, without its random jitter
OUTPUT_FORMATS = ("png", "jpeg", "webp")
GENERATIONS = "/v1/images/generations"
# Prompt tokens are estimated at four characters per token; ``Pacer.settle`` corrects the window
# with the usage each response reports.
CHARS_PER_TOKEN = 4
MAX_DEFAULT_WORKERS = 8
PROBE_POLL_S = 0.5  # how often requests held behind a probe look again

SAVED, SKIPPED, FAILED, NOT_STARTED = "saved", "skipped", "failed", "not started"
RETRY, STOP, FAIL = "retry", "stop", "fail"
STOP_CODES = ("insufficient_quota", "billing_hard_limit_reached", "billing_not_active")


# --- clocks ----------------------------------------------------------------------------------

class Clock(Protocol):
    def now(self) -> float: ...

    def sleep(self, seconds: float) -> None: ...


class SystemClock:
    def now(self) -> float:
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        time.sleep(max(0.0, seconds))

    def describe(self) -> str:
        return "Clock: real time."


class ScaledClock:
    """Simulated seconds that pass ``factor`` times faster than real ones."""

    def __init__(self, factor: float):
        if factor <= 0:
            raise ValueError(f"factor must be positive, got {factor}")
        self.factor = factor
        self._start = time.monotonic()

    def now(self) -> float:
        return (time.monotonic() - self._start) * self.factor

    def sleep(self, seconds: float) -> None:
        time.sleep(max(0.0, seconds) / self.factor)

    def describe(self) -> str:
        seconds = WINDOW_S / self.factor
        return (f"Clock: scaled {self.factor:g}x, so a simulated minute passes in {seconds:g} real "
                f"second{'' if seconds == 1 else 's'}.")


class SteppedClock:
    """Simulated seconds that pass only when the run waits: ``sleep`` moves the time on at once.

    Nothing depends on how fast the machine is, so a run against the simulator answers the same way every
    time: the rebuild records lessons with it, and ``run`` uses one worker at a time on it (one timeline;
    several workers would race for it).
    """

    def __init__(self, start: float = 0.0):
        self._now, self._lock = start, threading.Lock()

    def now(self) -> float:
        with self._lock:
            return self._now

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self._now += max(0.0, seconds)

    def describe(self) -> str:
        return "Clock: stepped, so simulated time moves only while the run waits, and runs repeat exactly."


SYSTEM_CLOCK = SystemClock()
LESSON_CLOCK_FACTOR = 60


def lesson_clock() -> SystemClock | ScaledClock | SteppedClock:
    """Real time when answers come from the real API; a stepped clock when recording from the simulator (so
    a rebuild records the same answers every time); otherwise a clock 60 times faster."""
    mode = current_mode()
    if registry.uses_real_api(mode):
        return SYSTEM_CLOCK
    return SteppedClock() if mode == "record" else ScaledClock(LESSON_CLOCK_FACTOR)


# --- limits and pacing (pure) ----------------------------------------------------------------

@dataclass(frozen=True)
class Limits:
    images_per_minute: int
    tokens_per_minute: int
    source: str = ""

    def __post_init__(self) -> None:
        if self.images_per_minute < 1 or self.tokens_per_minute < 1:
            raise ValueError(f"limits must be positive, got {self.images_per_minute} IPM, "
                             f"{self.tokens_per_minute} TPM")

    @classmethod
    def for_tier(cls, model: str, tier: int) -> "Limits":
        found = registry.rate_limits(model, tier)
        if found is None:
            raise ValueError(f"Rate limits for {model} at Tier {tier} are {registry.NOT_FOUND} in the registry; "
                             "pass limits=Limits(images_per_minute, tokens_per_minute) from your account's "
                             "limits page.")
        return cls(found[0], found[1], str(registry.get(model).rate_limits.source))


@dataclass(frozen=True)
class Slot:
    """A request that started at ``start`` and counts ``images`` and ``tokens`` for one window."""

    start: float
    images: int
    tokens: int


def earliest_start(slots: Iterable[Slot], now: float, images: int, tokens: int, limits: Limits, *,
                   window: float = WINDOW_S, margin: float = 0.0) -> float:
    """The earliest time, from ``now`` on, when a request fits every trailing ``window`` of ``limits``.

    A slot counts while ``start > t - window`` (the simulator frees it at ``start + window``).
    """
    if images > limits.images_per_minute or tokens > limits.tokens_per_minute:
        raise ValueError(f"one request of {images} image(s) and {tokens} tokens exceeds the limits "
                         f"({limits.images_per_minute} IPM, {limits.tokens_per_minute} TPM) on its own")
    live = sorted((s for s in slots if s.start > now - window), key=lambda s: s.start)
    used_images, used_tokens = sum(s.images for s in live), sum(s.tokens for s in live)
    start = now
    for slot in live:
        if used_images + images <= limits.images_per_minute and used_tokens + tokens <= limits.tokens_per_minute:
            break
        used_images, used_tokens = used_images - slot.images, used_tokens - slot.tokens
        start = slot.start + window + margin
    return max(start, now)


def minimum_span(count: int, images_per_minute: int, *, window: float = WINDOW_S) -> float:
    """Seconds from the first to the last start of ``count`` one-image requests at the limit."""
    if count < 1 or images_per_minute < 1:
        raise ValueError("count and images_per_minute must be at least 1")
    return (math.ceil(count / images_per_minute) - 1) * window


def sustained_rate(starts: Sequence[float], images_per_minute: int, *, window: float = WINDOW_S) -> Optional[float]:
    """Images per minute achieved: the limit times (the shortest possible span for this many starts
    divided by the actual span from first to last start). Perfect pacing gives the limit itself.

    None when the run was too short to tell (no more images than one window allows).
    """
    if len(starts) <= images_per_minute:
        return None
    span = max(starts) - min(starts)
    ideal = minimum_span(len(starts), images_per_minute, window=window)
    return math.inf if span <= 0 else images_per_minute * ideal / span


def retry_after_s(headers: Mapping[str, str], *, now_epoch: Optional[float] = None) -> Optional[float]:
    """Seconds a 429 asks to wait: ``retry-after-ms``, else ``retry-after`` (seconds or an HTTP date)."""
    lowered = {k.lower(): v for k, v in headers.items()}
    for name, scale in (("retry-after-ms", 1000.0), ("retry-after", 1.0)):
        raw = lowered.get(name)
        if raw is None:
            continue
        try:
            return max(0.0, float(raw) / scale)
        except ValueError:
            pass
        if name == "retry-after":
            try:
                when = parsedate_to_datetime(raw).timestamp()
            except (TypeError, ValueError):
                return None
            return max(0.0, when - (time.time() if now_epoch is None else now_epoch))
    return None


def backoff_s(attempt: int) -> float:
    """Wait before retry ``attempt`` (0-based) when the server gave no Retry-After."""
    return min(BACKOFF_BASE_S * 2 ** attempt, BACKOFF_MAX_S)


def classify(error: BaseException) -> str:
    """RETRY (wait and try again), STOP (the whole run: nothing else can succeed) or FAIL (this job only)."""
    if isinstance(error, budget.BudgetExceeded):
        return STOP
    if isinstance(error, openai.APIStatusError):
        body = error.body if isinstance(error.body, dict) else {}
        if body.get("code") in STOP_CODES or body.get("type") in STOP_CODES:
            return STOP
        if isinstance(error, (openai.AuthenticationError, openai.PermissionDeniedError)):
            return STOP
        if isinstance(error, openai.RateLimitError) or error.status_code in (408, 409) or error.status_code >= 500:
            return RETRY
        return FAIL
    if isinstance(error, openai.APITimeoutError):
        # Sent, then no answer: the API may have made and billed the image (PossiblyBilledTimeout says
        # so), so sending it again is the learner's call, not an automatic retry.
        return FAIL
    if isinstance(error, openai.APIConnectionError):  # includes timeouts before the request left
        return RETRY
    return FAIL


def describe_error(error: BaseException) -> str:
    """The API's own message (``e.body["message"]``) rather than the SDK's "Error code: ..." prefix."""
    if isinstance(error, openai.APIStatusError) and isinstance(error.body, dict):
        code = error.body.get("code") or error.body.get("type")
        return scrub_text(f"{error.status_code} {code}: {error.body.get('message')}")
    return scrub_text(f"{type(error).__name__}: {error}")


class Pacer:
    """Hands out start times that keep a sliding window within ``limits`` (thread-safe).

    After a 429 the server's window is fuller than ours (other clients, earlier runs), so the
    pacer holds every request for the wait the server asked, then lets ONE request through as a
    probe and the rest follow only once it succeeds: waiting workers do not all rush the one slot
    that freed up.
    """

    def __init__(self, limits: Limits, clock: Clock, *, margin: float = DEFAULT_MARGIN_S):
        self.limits, self.clock, self.margin = limits, clock, margin
        self._slots: dict[int, Slot] = {}
        self._next_ticket = 0
        self._paused_until = -math.inf
        self._probing = False
        self._probe: Optional[int] = None
        self._lock = threading.Lock()

    def acquire(self, images: int, tokens: int, stopped: Callable[[], bool] = lambda: False) -> Optional[int]:
        """Block until the request may start; a ticket for ``settle``, or None if the run stopped meanwhile."""
        while not stopped():
            with self._lock:
                now = self.clock.now()
                self._slots = {k: s for k, s in self._slots.items() if s.start > now - WINDOW_S}
                start = max(earliest_start(self._slots.values(), now, images, tokens, self.limits,
                                           margin=self.margin), self._paused_until)
                if start <= now and self._probe is None:
                    ticket, self._next_ticket = self._next_ticket, self._next_ticket + 1
                    self._slots[ticket] = Slot(now, images, tokens)
                    if self._probing:
                        self._probe = ticket
                    return ticket
                if start <= now:  # a probe is out: check again shortly
                    start = now + PROBE_POLL_S
            self.clock.sleep(start - now)
        return None

    def settle(self, ticket: int, tokens: int) -> None:
        """A request succeeded: count the tokens it reported; a successful probe ends the probing."""
        with self._lock:
            if ticket in self._slots:
                slot = self._slots[ticket]
                self._slots[ticket] = Slot(slot.start, slot.images, tokens)
            if ticket == self._probe:
                self._probing, self._probe = False, None

    def cancel(self, ticket: int) -> None:
        """Free the slot of a request that was refused: it made no image."""
        with self._lock:
            self._slots.pop(ticket, None)
            if ticket == self._probe:
                self._probe = None

    def pause_for(self, seconds: float) -> None:
        """Hold every new request for ``seconds`` (a 429's wait), then probe with one."""
        with self._lock:
            self._paused_until = max(self._paused_until, self.clock.now() + seconds)
            self._probing = True


# --- jobs and results ------------------------------------------------------------------------

_KEY = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,79}")


@dataclass(frozen=True)
class Job:
    """One image to make. With ``images`` (encoded PNG/JPEG/WebP bytes) it is an edit of them."""

    key: str  # names the saved file and the manifest entry
    prompt: str
    size: str = "1024x1024"
    quality: str = "low"
    output_format: str = "jpeg"
    images: tuple[bytes, ...] = field(default=(), repr=False)

    def __post_init__(self) -> None:
        if not isinstance(self.key, str) or not _KEY.fullmatch(self.key):
            raise ValueError(f"job key {self.key!r} must be 1-80 letters, digits, '.', '_' or '-' (it names a file)")
        if not isinstance(self.prompt, str) or not self.prompt.strip():
            raise ValueError(f"job {self.key!r} has an empty prompt")
        if self.output_format not in OUTPUT_FORMATS:
            raise ValueError(f"job {self.key!r}: output_format must be one of {', '.join(OUTPUT_FORMATS)}")

    @property
    def filename(self) -> str:
        return f"{self.key}.{'jpg' if self.output_format == 'jpeg' else self.output_format}"

    @property
    def is_edit(self) -> bool:
        return bool(self.images)

    def params(self, model: str) -> dict:
        return {"model": model, "prompt": self.prompt, "size": self.size, "quality": self.quality,
                "output_format": self.output_format}

    def fingerprint(self, model: str) -> str:
        """Changes whenever the request would: a changed prompt is regenerated, not skipped."""
        digest = hashlib.sha256(json.dumps(self.params(model), sort_keys=True).encode())
        for data in self.images:
            digest.update(hashlib.sha256(data).digest())
        return digest.hexdigest()[:16]

    def estimated_tokens(self, model: str) -> int:
        """Output tokens from the documented table (the largest entry when not found) plus the prompt."""
        documented = pricing.output_tokens(model, self.quality, self.size)
        table = registry.PRE_GPT_IMAGE_2_OUTPUT_TOKENS.tokens
        return (documented or max(table.values())) + math.ceil(len(self.prompt) / CHARS_PER_TOKEN)

    def normalised_request(self, model: str) -> dict:
        """The request as ``budget.expected_cost`` reads it."""
        if self.is_edit:
            return {"method": "POST", "path": "/v1/images/edits", "form": {**self.params(model), "n": "1"},
                    "files": {"image[]": [{"bytes": len(data)} for data in self.images]}}
        return {"method": "POST", "path": GENERATIONS, "json": {**self.params(model), "n": 1}}


@dataclass(frozen=True)
class ItemResult:
    key: str
    status: str  # SAVED, SKIPPED, FAILED or NOT_STARTED
    file: Optional[str] = None
    attempts: int = 0
    rate_limited: int = 0  # 429 answers this job met
    waited_s: float = 0.0  # clock seconds spent waiting out 429s and backoffs
    cost_usd: Optional[float] = None  # from the usage the response reported
    estimated_usd: Optional[float] = None
    started_at: Optional[float] = None  # clock time of the attempt that succeeded
    error: Optional[str] = None
    possibly_billed: bool = False  # it timed out after it was sent: the API may have made and billed it
    unsaved_image: Optional[bytes] = field(default=None, repr=False)  # the image, when saving it failed


@dataclass(frozen=True)
class Report:
    items: tuple[ItemResult, ...]
    limits: Limits
    stopped: Optional[str]
    elapsed_s: float

    def count(self, status: str) -> int:
        return sum(1 for item in self.items if item.status == status)

    @property
    def rate_limited(self) -> int:
        return sum(item.rate_limited for item in self.items)

    @property
    def spent_usd(self) -> float:
        return sum(item.cost_usd or 0.0 for item in self.items)

    @property
    def estimated_usd(self) -> float:
        return sum(item.estimated_usd or 0.0 for item in self.items if item.status != SKIPPED)

    def sustained_rate(self) -> Optional[float]:
        starts = [i.started_at for i in self.items if i.status == SAVED and i.started_at is not None]
        return sustained_rate(starts, self.limits.images_per_minute)

    def summary(self) -> str:
        """What happened, in words that do not depend on timing."""
        lines = [f"{len(self.items)} jobs: {self.count(SAVED)} saved, {self.count(SKIPPED)} skipped (already saved), "
                 f"{self.count(FAILED)} failed, {self.count(NOT_STARTED)} not started",
                 f"429 answers met: {self.rate_limited} (each waited out as its Retry-After asked, then retried)",
                 f"spend from usage: {pricing.usd(self.spent_usd)} "
                 f"(estimated before sending: {pricing.usd(self.estimated_usd)})"]
        if self.stopped:
            lines.append(f"run stopped: {self.stopped}")
        billed = [item.key for item in self.items if item.possibly_billed]
        if billed:
            lines.append(f"timed out after sending, possibly billed (not retried): {', '.join(billed)}")
        lines += [f"  {item.key}: {item.error}" for item in self.items if item.status == FAILED]
        return "\n".join(lines)


# --- the manifest ----------------------------------------------------------------------------

def load_manifest(run_dir: Path) -> dict:
    path = Path(run_dir) / MANIFEST_NAME
    if not path.exists():
        return {}
    document = json.loads(path.read_text(encoding="utf-8"))
    if document.get("format") != MANIFEST_FORMAT:
        raise ValueError(f"{path.name}: unsupported manifest format {document.get('format')!r}")
    return dict(document["items"])


def _manifest_text(items: Mapping[str, dict]) -> str:
    return json.dumps({"format": MANIFEST_FORMAT, "items": dict(sorted(items.items()))}, indent=1) + "\n"


def already_saved(job: Job, model: str, manifest: Mapping[str, dict], run_dir: Path) -> bool:
    entry = manifest.get(job.key)
    return (entry is not None and entry.get("fingerprint") == job.fingerprint(model)
            and (Path(run_dir) / entry["file"]).exists())


# --- the run ---------------------------------------------------------------------------------

def check_jobs(jobs: Sequence[Job], model: str, day: Optional[dt.date] = None) -> None:
    """Reject bad input before any request is sent (lifecycle asked on ``day``, default the kit's day).

    Raises registry.ModelShutDown for a model shut down on that day, TypeError/ValueError for bad jobs.
    """
    found = registry.on(model, day or registry.kit_day())
    if not found.served:
        raise registry.ModelShutDown(found)
    record = found.record
    caps = record.capabilities
    for job in jobs:
        if not isinstance(job, Job):
            raise TypeError(f"expected Job objects, got {type(job).__name__}")
    keys = [job.key for job in jobs]
    duplicates = sorted({k for k in keys if keys.count(k) > 1})
    if duplicates:
        raise ValueError(f"job keys must be unique; repeated: {', '.join(duplicates)}")
    for job in jobs:
        if caps is not None and len(job.prompt) > caps.prompt_max_chars:
            raise ValueError(f"job {job.key!r}: the prompt is {len(job.prompt)} characters; {model} takes at most "
                             f"{caps.prompt_max_chars} ({caps.source_of('prompt_max_chars')})")
        if caps is not None and caps.qualities is not None and job.quality not in caps.qualities:
            raise ValueError(f"job {job.key!r}: quality {job.quality!r} is not one of {', '.join(caps.qualities)} "
                             f"for {model}")
        if caps is not None and caps.sizes is not None and not caps.arbitrary_sizes and job.size not in caps.sizes:
            raise ValueError(f"job {job.key!r}: size {job.size!r} is not one of {', '.join(caps.sizes)} for {model}")


class _Run:
    def __init__(self, jobs, client, model, run_dir, limits, clock, cap, max_attempts, write, say, bar, margin):
        self.client, self.model, self.run_dir, self.clock = client, model, Path(run_dir), clock
        self.cap, self.max_attempts, self.write, self.say, self.bar = cap, max_attempts, write, say, bar
        self.pacer = Pacer(limits, clock, margin=margin)
        self.manifest = load_manifest(self.run_dir)
        self.results: dict[str, ItemResult] = {}
        self.stop_reason: Optional[str] = None
        self.lock = threading.Lock()

    def stopped(self) -> bool:
        return self.stop_reason is not None

    def stop(self, reason: str) -> None:
        with self.lock:
            if self.stop_reason is None:
                self.stop_reason = reason
                self.say(wrap(f"stopping the run: {reason}"))

    def finish(self, result: ItemResult) -> None:
        with self.lock:
            self.results[result.key] = result
        self.bar.update(1)
        self.bar.set_postfix(saved=sum(r.status == SAVED for r in self.results.values()),
                             rate_limited=sum(r.rate_limited for r in self.results.values()), refresh=False)

    def reserve(self, job: Job) -> Optional[budget.Reservation]:
        """Hold the job's worst case on the run's cap (None when the client's own cap does it)."""
        if self.cap is None:
            return None
        return self.cap.reserve(budget.expected_cost(job.normalised_request(self.model)))

    def settle(self, held: Optional[budget.Reservation], error: Optional[BaseException] = None,
               actual: Optional[float] = None) -> None:
        """Settle from usage; on failure release or keep the hold as the API would bill it."""
        if held is None:
            return
        if error is None:
            self.cap.settle(held, actual)
        elif isinstance(error, (budget.BudgetExceeded, openai.APIConnectionError)) and \
                not isinstance(error, openai.APITimeoutError):
            self.cap.release(held)  # never sent, or the connection never opened
        elif isinstance(error, openai.APIStatusError) and 400 <= error.status_code < 500:
            self.cap.release(held)
        else:
            self.cap.keep(held)  # a timeout or 5xx: the images may have been made and billed

    def send(self, job: Job):
        if job.is_edit:
            files = [(f"input-{n}.png", data, "image/png") for n, data in enumerate(job.images)]
            return self.client.images.edit(image=files, **job.params(self.model))
        return self.client.images.generate(**job.params(self.model))

    def do(self, job: Job) -> None:
        estimate = pricing.estimate(self.model, job.quality, job.size).upper
        attempts = rate_limited = 0
        waited = 0.0

        def result(status: str, **kw: Any) -> ItemResult:
            return ItemResult(job.key, status, attempts=attempts, rate_limited=rate_limited, waited_s=waited,
                              estimated_usd=estimate, **kw)

        while True:
            if self.stopped():
                return self.finish(result(NOT_STARTED))
            try:
                held = self.reserve(job)
            except budget.BudgetExceeded as error:
                self.stop(str(error))
                continue
            ticket = self.pacer.acquire(1, job.estimated_tokens(self.model), self.stopped)
            if ticket is None:
                if held is not None:
                    self.cap.release(held)
                continue
            started, attempts = self.clock.now(), attempts + 1
            try:
                response = self.send(job)
            except Exception as error:  # every failure is classified; none escapes a worker thread
                self.settle(held, error)
                verdict = classify(error)
                if verdict != RETRY or attempts >= self.max_attempts:
                    self.pacer.cancel(ticket)
                    if verdict == STOP:
                        self.stop(f"{job.key}: {describe_error(error)}")
                    return self.finish(result(FAILED, error=describe_error(error),
                                              possibly_billed=isinstance(error, openai.APITimeoutError)))
                rate_limited += isinstance(error, openai.RateLimitError)
                wait = retry_after_s(getattr(getattr(error, "response", None), "headers", None) or {})
                wait = backoff_s(attempts - 1) if wait is None else wait
                self.pacer.pause_for(wait)  # before freeing the slot, so no other worker slips in first
                self.pacer.cancel(ticket)
                self.say(wrap(f"{job.key}: {describe_error(error).split(':')[0]} -> waiting {wait:.1f} s, then retrying"))
                self.clock.sleep(wait)
                waited += wait
                continue
            cost = pricing.cost_of_usage(self.model, response.usage).total if response.usage else None
            self.settle(held, actual=cost)
            used = response.usage.total_tokens if response.usage else job.estimated_tokens(self.model)
            self.pacer.settle(ticket, used)
            return self.finish(self.save(job, response, result(SAVED, cost_usd=cost, started_at=started)))

    def _forget(self, key: str) -> None:
        """Drop an entry whose image could not be written (best effort: a missing file is redone anyway)."""
        with self.lock:
            rest = {k: v for k, v in self.manifest.items() if k != key}
            try:
                self.write(self.run_dir / MANIFEST_NAME, _manifest_text(rest).encode())
                self.manifest = rest
            except OSError:
                pass

    def save(self, job: Job, response: Any, done: ItemResult) -> ItemResult:
        """Write the manifest entry, then the image (each atomically), so a saved image always has its
        entry and a resume never pays for it again. A failed write stops the run; the image stays in
        the result."""
        data = base64.b64decode(response.data[0].b64_json)
        entry = {"file": job.filename, "fingerprint": job.fingerprint(self.model), "cost_usd": done.cost_usd,
                 "usage": response.usage.model_dump() if response.usage else None}
        try:
            with self.lock:
                updated = {**self.manifest, job.key: entry}
                self.write(self.run_dir / MANIFEST_NAME, _manifest_text(updated).encode())
                self.manifest = updated
            try:
                self.write(self.run_dir / job.filename, data)
            except OSError:
                self._forget(job.key)
                raise
        except OSError as error:
            self.stop(f"could not save {job.filename} in {self.run_dir}: {error}; nothing more is sent")
            return replace(done, status=FAILED, error=scrub_text(f"could not save: {error}"), unsaved_image=data)
        return replace(done, file=job.filename)


class OutputFolderError(OSError):
    """The run's output folder cannot take files; raised before any request is sent."""


WRITE_CHECK_NAME = ".write-check"
# Held by the run writing into a folder; a killed run's temporaries are swept by the next run that takes it.
RUN_LOCK_NAME = ".bulk.lock"


def check_output_folder(run_dir: Path, write: Callable[[Path, bytes], None] = atomic_write_bytes) -> None:
    """Create ``run_dir`` if needed and write (then remove) a small file in it, the way images are written.

    Raises OutputFolderError naming the folder and the cause (read-only, not a folder, full disk).
    """
    probe = Path(run_dir) / WRITE_CHECK_NAME
    try:
        if Path(run_dir).exists() and not Path(run_dir).is_dir():
            raise NotADirectoryError(f"{run_dir} is a file")
        write(probe, b"the kit checks this folder can take files before paying for any image\n" * 16)
        probe.unlink()
    except OSError as error:
        raise OutputFolderError(f"cannot save images in {run_dir}: {error}. Nothing was sent; choose a folder "
                                "you can write to, or free some space.") from None


def run(jobs: Sequence[Job], *, client: openai.OpenAI, model: str, run_dir: Path | str, tier: int = 1,
        limits: Optional[Limits] = None, concurrency: Optional[int] = None, clock: Clock = SYSTEM_CLOCK,
        cap: Optional[budget.SpendingCap] = None, max_attempts: int = 6, progress: bool = True,
        say: Optional[Callable[[str], None]] = None, write: Callable[[Path, bytes], None] = atomic_write_bytes,
        margin_s: float = DEFAULT_MARGIN_S) -> Report:
    """Make every job's image within the limits of ``tier`` (or ``limits``), saving into ``run_dir``.

    Give the client ``max_retries=0``: this function does the waiting. ``cap``, when given, is
    reserved before each request and settled from its usage. Without it, a live client's own
    transport holds every request to the kernel's cap (``budget.kernel_cap``, earlier spending
    included); offline, a fresh cap of COOKBOOK_BUDGET_USD shows what live mode would allow.
    ``concurrency`` defaults to one worker per image a minute allows (at most ``MAX_DEFAULT_WORKERS``),
    so a freed window is used at once; on a ``SteppedClock`` it is always 1, so the run repeats exactly.

    Before the first request: the jobs are checked (``check_jobs``), ``run_dir`` must be a writable
    folder (else OutputFolderError) that no other run is writing into (its ``RUN_LOCK_NAME`` lock; else
    OutputFolderError), and the temporary files a killed run left there are removed. A failed save stops
    the run.
    """
    jobs = list(jobs)
    check_jobs(jobs, model)
    limits = limits or Limits.for_tier(model, tier)
    concurrency = min(limits.images_per_minute, MAX_DEFAULT_WORKERS) if concurrency is None else concurrency
    if isinstance(clock, SteppedClock):
        concurrency = 1  # one timeline: workers taking turns on it would answer in a different order each run
    if concurrency < 1 or max_attempts < 1:
        raise ValueError("concurrency and max_attempts must be at least 1")
    for job in jobs:
        tokens = job.estimated_tokens(model)
        if tokens > limits.tokens_per_minute:
            raise ValueError(f"job {job.key!r} needs about {tokens} tokens, more than the {limits.tokens_per_minute} "
                             "tokens per minute allowed")
    if getattr(client, "max_retries", 0):
        raise ValueError("build the client with max_retries=0: bulk.run waits out 429s itself, visibly")
    check_output_folder(Path(run_dir), write)
    lock = FolderLock(Path(run_dir) / RUN_LOCK_NAME, f"a bulk run saving into {run_dir}")
    try:
        lock.acquire()
    except LockHeld as held:
        raise OutputFolderError(f"{held} Nothing was sent.") from None
    try:
        for stale in sweep_temporaries(Path(run_dir)):
            (say or tqdm.write)(f"removed {stale.name}: a temporary file left by a run that was stopped")
        return _run(jobs, client, model, Path(run_dir), limits, clock, cap, max_attempts, write, say, concurrency,
                    progress, margin_s)
    finally:
        lock.release()


def _run(jobs, client, model, run_dir, limits, clock, cap, max_attempts, write, say, concurrency, progress,
         margin_s) -> Report:
    if cap is None and not registry.uses_real_api(current_mode()):
        cap = budget.cap_from_environment()
    bar = tqdm(total=len(jobs), disable=not progress, unit="image", desc="images")
    run_ = _Run(jobs, client, model, run_dir, limits, clock, cap, max_attempts, write, say or tqdm.write, bar,
                margin_s)
    began = clock.now()
    pending = []
    for job in jobs:
        if already_saved(job, model, run_.manifest, run_.run_dir):
            entry = run_.manifest[job.key]
            run_.finish(ItemResult(job.key, SKIPPED, file=entry["file"], cost_usd=None))
        else:
            pending.append(job)
    with ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="bulk") as pool:
        list(pool.map(run_.do, pending))
    bar.close()
    items = tuple(run_.results[job.key] for job in jobs)
    return Report(items, limits, run_.stop_reason, clock.now() - began)


# --- Batch API -------------------------------------------------------------------------------

EDITS = "/v1/images/edits"
BATCH_IMAGE_URLS = (GENERATIONS, EDITS)


def _image_reference(ref: Any, what: str) -> dict:
    if not (isinstance(ref, Mapping) and len(ref) == 1 and isinstance(ref.get("image_url", ref.get("file_id")), str)):
        raise ValueError(f"{what} must be {{'image_url': <data URL or https URL>}} or {{'file_id': <id>}}, got {ref!r}")
    url = ref.get("image_url")
    if isinstance(url, str) and len(url) > BATCH_IMAGE_URL_MAX_CHARS:
        raise ValueError(f"{what}: the image_url is {len(url):,} characters; the limit is "
                         f"{BATCH_IMAGE_URL_MAX_CHARS:,} ({SRC_BATCH_IMAGE_URL_MAX_CHARS}). Upload the image as a "
                         "file and give its file_id instead.")
    return dict(ref)


# [SDK] openai/types/image_edit_params.py:22: "You can provide up to 16 images."
BATCH_EDIT_MAX_IMAGES = 16
SRC_BATCH_EDIT_MAX_IMAGES = "[SDK] openai 3.57.0, openai/types/image_edit_params.py:22 (up to 16 images)"
# Reported as the API's longest image_url string (20 MiB of text); no public page states it, so it is
# shown as reported, and a longer data URL is refused before the file is written.
BATCH_IMAGE_URL_MAX_CHARS = 20_971_520
SRC_BATCH_IMAGE_URL_MAX_CHARS = "reported limit of the image_url field, 20,971,520 characters (no public source found)"


def batch_line(custom_id: str, body: Mapping[str, Any], *, url: str = GENERATIONS) -> dict:
    """One request of a Batch input file: ``{custom_id, method, url, body}``.

    ``url`` is ``/v1/images/generations`` or ``/v1/images/edits``. An edit line takes the official JSON
    body (``registry.EDITS_JSON_BODY``): ``images`` as a list of ``{"image_url": ...}`` or
    ``{"file_id": ...}`` (up to the model's input limit) and an optional ``mask`` of the same form,
    never multipart uploads. Raises ValueError, before anything is sent, for a streamed line, an
    empty custom_id, an edit body that is not of that form, more than ``BATCH_EDIT_MAX_IMAGES`` images
    or an ``image_url`` longer than ``BATCH_IMAGE_URL_MAX_CHARS`` characters.
    """
    if url not in BATCH_IMAGE_URLS:
        raise ValueError(f"the kit builds {' and '.join(BATCH_IMAGE_URLS)} lines, not {url!r}")
    if not isinstance(custom_id, str) or not custom_id:
        raise ValueError("custom_id must be a non-empty string: it matches each result to its request")
    if body.get("stream"):
        raise ValueError("Batch requests do not stream; drop stream and partial_images")
    body = dict(body)
    if url == EDITS:
        if "image" in body or "markup" in body:
            raise ValueError("an edit line names its inputs in 'images' (a list of {'image_url'|'file_id'}), "
                             f"not multipart uploads ({registry.EDITS_JSON_BODY.citation})")
        images = body.get("images")
        if not isinstance(images, (list, tuple)) or not images:
            raise ValueError("an edit line needs 'images': a non-empty list of {'image_url'|'file_id'}")
        if len(images) > BATCH_EDIT_MAX_IMAGES:
            raise ValueError(f"an edit line takes at most {BATCH_EDIT_MAX_IMAGES} images, not {len(images)} "
                             f"({SRC_BATCH_EDIT_MAX_IMAGES})")
        body["images"] = [_image_reference(ref, "each of 'images'") for ref in images]
        if body.get("mask") is not None:
            body["mask"] = _image_reference(body["mask"], "'mask'")
    return {"custom_id": custom_id, "method": "POST", "url": url, "body": body}


def batch_jsonl(jobs: Sequence[Job], model: str) -> bytes:
    """The Batch input file for ``jobs``: one generation request per line, custom_id = the job's key."""
    keys = [job.key for job in jobs]
    if len(set(keys)) != len(keys):
        raise ValueError("job keys become custom_ids and must be unique")
    lines = []
    for job in jobs:
        if job.is_edit:
            raise ValueError(f"job {job.key!r} is an edit; the kit builds {GENERATIONS} lines only")
        lines.append(json.dumps(batch_line(job.key, {**job.params(model), "n": 1}), separators=(",", ":")))
    return ("\n".join(lines) + "\n").encode()


@dataclass(frozen=True)
class BatchResult:
    custom_id: str
    status_code: Optional[int]
    body: Optional[dict] = field(repr=False)
    error: Optional[dict]

    @property
    def ok(self) -> bool:
        return self.status_code == 200 and self.error is None

    @property
    def message(self) -> str:
        """Why the line failed: the line error, else the endpoint's own error message."""
        if self.error:
            return f"{self.error.get('code')}: {self.error.get('message')}"
        if self.body and isinstance(self.body.get("error"), dict):
            err = self.body["error"]
            return f"{self.status_code} {err.get('code')}: {err.get('message')}"
        return ""


def read_batch_results(text: str) -> list[BatchResult]:
    """Parse an output or error file (JSON Lines), sorted by custom_id: the file's order is not guaranteed."""
    results = []
    for line in text.splitlines():
        if not line.strip():
            continue
        record = json.loads(line)
        response = record.get("response") or {}
        results.append(BatchResult(record["custom_id"], response.get("status_code"), response.get("body"),
                                   record.get("error")))
    return sorted(results, key=lambda r: r.custom_id)


FINAL_BATCH_STATUSES = ("completed", "failed", "expired", "cancelled")


def batch_results(client: openai.OpenAI, batch) -> list[BatchResult]:
    """Every line's result of a finished batch: its output file and its error file, whichever exist.

    ``batch`` is a ``openai.types.Batch`` in a final status. A batch where every line failed has
    ``output_file_id = None`` (and ``files.content(None)`` raises the SDK's ValueError); one where every
    line succeeded has ``error_file_id = None``: both are read here as they come. Returns the results
    sorted by custom_id (``read_batch_results``). Raises ValueError for a batch still running.
    """
    if batch.status not in FINAL_BATCH_STATUSES:
        raise ValueError(f"batch {batch.id} is {batch.status}; poll it until it is one of "
                         f"{', '.join(FINAL_BATCH_STATUSES)} (bulk.poll_batch)")
    results: list[BatchResult] = []
    for file_id in (batch.output_file_id, batch.error_file_id):
        if file_id:
            results += read_batch_results(client.files.content(file_id).text)
    return sorted(results, key=lambda r: r.custom_id)


def poll_batch(client: openai.OpenAI, batch_id: str, *, every_s: float, clock: Clock = SYSTEM_CLOCK,
               show: Callable[[str], None] = print, max_polls: int = 1500):
    """Retrieve the batch every ``every_s`` seconds until it ends; print each change of status."""
    last = None
    for _ in range(max_polls):
        batch = client.batches.retrieve(batch_id)
        counts = batch.request_counts
        line = f"{batch.status:<12} " + (f"{counts.completed + counts.failed}/{counts.total} done, "
                                         f"{counts.failed} failed" if counts else "")
        if line != last:
            show(line)
            last = line
        if batch.status in FINAL_BATCH_STATUSES:
            return batch
        clock.sleep(every_s)
    raise TimeoutError(f"batch {batch_id} still {batch.status} after {max_polls} polls")

"""``make_client``: the one place a notebook's OpenAI client is built.

COOKBOOK_MODE chooses where answers come from:

- ``offline`` (default): the notebook's recording; a request it does not hold is answered by the
  offline simulator with a visible "SIMULATED, NOT RECORDED" warning. No key, no cost.
- ``replay`` (the test suite): the recording only; any difference raises ``RecordingMismatch``.
- ``live``: the real API with OPENAI_API_KEY, under the kernel's spending cap.
- ``record``: like live, and every exchange is written to a new recording. With
  COOKBOOK_RECORD_FROM=simulator the answers come from the simulator instead (how the bundled
  recordings are built).
"""

from __future__ import annotations

import os
import re
import textwrap
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Mapping, Optional

import httpx2
import openai

from . import budget, files, registry, settings, tracks
from .wrapping import LINE_WIDTH, wrap
from .api_errors import ERRORS
from .offline.simulator import Simulator
from .offline.transport import SimulatorTransport
from .transports import recording
from .transports.live import live_transport
from .transports.timeouts import IMAGE_TIMEOUT
from .transports.record import RecordingTransport
from .transports.replay import ReplayTransport

MODES, RECORD_SOURCES = settings.MODES, settings.RECORD_SOURCES
RECORDINGS_DIR = Path(__file__).resolve().parent.parent / "notebooks" / "recordings"
# No request leaves the machine in these modes, so the SDK only needs a placeholder key.
PLACEHOLDER_KEY = "offline-placeholder"
# Offline, what the simulator keeps (stored responses, files, batches) lives here, shared by every
# process that saves to the same outputs folder: a batch created by a script polls from a notebook.
SIMULATOR_STATE_DIR = files.OUTPUTS_DIR / ".simulator"
OPENAI_BASE_URL = "https://api.openai.com/v1"
OFFLINE_EVENT_DELAY_S = 0.3
# Pass as extra_headers={SKIP_CHECKS_HEADER: "1"} to send one live call the registry would refuse.
# A lesson name is a plain file name: nothing it names can resolve outside RECORDINGS_DIR.
LESSON_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,79}")


class ModeError(settings.SettingError):
    pass


@dataclass(frozen=True)
class Setup:
    mode: str
    lesson: str
    record_from: str
    track: str = tracks.PRIMARY

    @property
    def recordings_dir(self) -> Path:
        """The track's recordings (helpers/tracks.py): ``RECORDINGS_DIR`` for the primary track."""
        return RECORDINGS_DIR if self.track == tracks.PRIMARY else tracks.get(self.track).recordings_dir

    @property
    def recording_path(self) -> Path:
        return self.recordings_dir / f"{self.lesson}.json"

    @property
    def new_recording_path(self) -> Path:
        """Record mode writes here; the rebuild command promotes it after a successful run."""
        return self.recordings_dir / f"{self.lesson}.new.json"


def check_lesson_name(lesson: object) -> str:
    """``lesson`` if it is a plain name (letters, digits, '_' and '-', at most 80); else ValueError."""
    if not isinstance(lesson, str) or not LESSON_NAME.fullmatch(lesson):
        raise ValueError(f"lesson {lesson!r} must be a plain name like '01_generate' (letters, digits, '_' and "
                         "'-'): it names a file in notebooks/recordings and nothing outside it")
    return lesson


def current_mode() -> str:
    """``COOKBOOK_MODE`` (``settings.mode``). Raises ModeError for a value that is not a mode."""
    try:
        return settings.mode()
    except settings.SettingError as error:
        raise ModeError(str(error)) from None


def _record_from() -> str:
    try:
        return settings.record_from()
    except settings.SettingError as error:
        raise ModeError(str(error)) from None


def _require_key() -> str:
    key = os.environ.get("OPENAI_API_KEY")
    if not key:
        raise ModeError("This mode calls the real API and needs OPENAI_API_KEY. Unset COOKBOOK_MODE to work "
                        "offline with no key and no cost.")
    return key


def describe(setup: Setup, rec: Optional[recording.Recording] = None) -> str:
    """The mode line a client prints when it is built, wrapped at the kit's line width."""
    return textwrap.fill(_mode_line(setup, rec), width=LINE_WIDTH, break_on_hyphens=False)


def _mode_line(setup: Setup, rec: Optional[recording.Recording] = None) -> str:
    if setup.mode == "live":
        cap = budget.kernel_cap()
        base_url = os.environ.get("OPENAI_BASE_URL", "").strip().rstrip("/")
        where = ("Real API calls, billed to your key" if not base_url or base_url == OPENAI_BASE_URL else
                 f"Requests go to {base_url} (OPENAI_BASE_URL), billed only if it forwards them to OpenAI")
        return (f"Mode: live. {where}; spending cap "
                f"${cap.limit_usd:.2f} for this kernel (${cap.remaining_usd:.2f} left).")
    if setup.mode == "record":
        origin = "the offline simulator" if setup.record_from == "simulator" else "the real API (billed)"
        return f"Mode: record. Answers come from {origin} and are written to {setup.new_recording_path.name}."
    sources = rec.sources if rec else []
    made_by = {recording.SIMULATOR: "the kit's offline simulator (not OpenAI)",
               recording.OPENAI_API: "the real OpenAI API"}
    origin = " and ".join(made_by[s] for s in sources) or "nothing yet (empty recording)"
    tail = ("; anything else is drawn by the simulator and labelled" if setup.mode == "offline"
            else "; any other request fails")
    return f"Mode: {setup.mode}. Answers replay {setup.recording_path.name}, recorded from {origin}{tail}."


def usage_origin(lesson: str, *, mode: Optional[str] = None) -> str:
    """"simulated" when ``lesson``'s answers in this mode come from the kit's simulator (offline and replay of
    a simulator recording, record from the simulator), else "reported" (the real API's own usage)."""
    mode = mode or current_mode()
    if registry.uses_real_api(mode):
        return "reported"
    if mode == "record":
        return "simulated"
    path = Setup(mode, lesson, _record_from(), tracks.current().name).recording_path
    sources = recording.Recording.load(path).sources if path.exists() else []
    return "reported" if sources == [recording.OPENAI_API] else "simulated"


def make_client(lesson: str, *, mode: Optional[str] = None, max_retries: int = 2,
                simulator: Optional[Simulator] = None, scenario: Optional[str] = None,
                quiet: bool = False, offline_clock: Optional[Callable[[], float]] = None,
                offline_images_per_minute: Optional[int] = None) -> openai.OpenAI:
    """Build the OpenAI client for ``lesson`` (the recording's name, e.g. ``"01_generate"``).

    ``scenario`` names a simulated failure (a kind from ``simulator.ERRORS``, e.g.
    ``"insufficient_quota"``) that every request of this client meets, so lessons can show real
    exception classes and bodies offline. A scenario is never sent to the real API: in live mode
    it is answered like offline mode, and record mode records it from the simulator.

    ``offline_clock`` (seconds, like ``time.time``) and ``offline_images_per_minute`` set the offline
    stand-in's clock and per-minute image limit (lesson 05 shows a Tier 1 limit with them); live
    modes do not use them.

    The client's timeout is ``transports.timeouts.IMAGE_TIMEOUT`` (300 s to read, 10 s to connect):
    high quality can take more than two minutes. Live, a timed-out image request is not retried
    (``PossiblyBilledTimeout``): it may have been billed.

    Raises ValueError for a lesson that is not a plain name or an unknown scenario, ModeError for a
    bad mode or a missing key, budget.BudgetConfigError for a bad COOKBOOK_BUDGET_USD (live and record
    from the API), and recording.RecordingLocked when another process records the same lesson.
    """
    setup, inner, api_key, base_url = _wiring(lesson, mode, simulator, scenario, quiet, httpx2.HTTPTransport,
                                              _StandIn(offline_clock, offline_images_per_minute))
    return openai.OpenAI(api_key=api_key, base_url=base_url, max_retries=max_retries, timeout=IMAGE_TIMEOUT,
                         http_client=openai.DefaultHttpx2Client(transport=inner))


def make_async_client(lesson: str, *, mode: Optional[str] = None, max_retries: int = 2,
                      simulator: Optional[Simulator] = None, scenario: Optional[str] = None,
                      quiet: bool = False, offline_clock: Optional[Callable[[], float]] = None,
                      offline_images_per_minute: Optional[int] = None) -> openai.AsyncOpenAI:
    """``make_client`` for ``openai.AsyncOpenAI``: the same modes, recordings, simulator, checks and cap.

    Arguments and errors are ``make_client``'s. Every transport in ``helpers.transports`` serves
    both clients; only live requests need httpx2's async HTTP transport. Use it with ``await``, e.g.
    ``image = await client.images.generate(...)`` in a notebook cell.
    """
    setup, inner, api_key, base_url = _wiring(lesson, mode, simulator, scenario, quiet, httpx2.AsyncHTTPTransport,
                                              _StandIn(offline_clock, offline_images_per_minute))
    return openai.AsyncOpenAI(api_key=api_key, base_url=base_url, max_retries=max_retries, timeout=IMAGE_TIMEOUT,
                              http_client=openai.DefaultAsyncHttpx2Client(transport=inner))


@dataclass(frozen=True)
class _StandIn:
    """How to build the offline simulator when none is given: its clock (seconds) and per-minute image limit."""

    clock: Optional[Callable[[], float]] = None
    images_per_minute: Optional[int] = None

    def build(self, **kw: Any) -> Simulator:
        return Simulator(clock=self.clock or time.time, images_per_minute=self.images_per_minute, **kw)


_NOTICE_SHOWN = threading.Event()


def _wiring(lesson: str, mode: Optional[str], simulator: Optional[Simulator], scenario: Optional[str], quiet: bool,
            network: Callable[[], Any], stand_in: _StandIn = _StandIn()) -> tuple[Setup, Any, str, Optional[str]]:
    """The one place a client's transport stack is chosen: (setup, transport, api key, base URL).

    ``network`` builds the real HTTP transport (sync or async) for live and record-from-API modes;
    ``stand_in`` the simulator when none is given (offline: answering for today, its state shared in
    SIMULATOR_STATE_DIR; recording: answering for the kit's day).
    """
    setup = Setup(mode or current_mode(), check_lesson_name(lesson), _record_from(), tracks.current().name)
    if setup.mode not in MODES:
        raise ModeError(f"mode={setup.mode!r} is not one of {', '.join(MODES)}.")
    if scenario is not None:
        if scenario not in ERRORS:
            raise ValueError(f"unknown scenario {scenario!r}; known: {', '.join(ERRORS)}")
        if setup.mode == "live":
            setup = Setup("offline", lesson, setup.record_from, setup.track)
        elif setup.mode == "record":
            setup = Setup("record", lesson, "simulator", setup.track)
    api_key, base_url = PLACEHOLDER_KEY, OPENAI_BASE_URL
    replayed: Optional[recording.Recording] = None
    if setup.mode in ("offline", "replay"):
        replayed = recording.Recording.load(setup.recording_path)
        fallback = None
        if setup.mode == "offline":
            fallback = SimulatorTransport(simulator or stand_in.build(state_dir=SIMULATOR_STATE_DIR),
                                          event_delay=OFFLINE_EVENT_DELAY_S,
                                          scenario=scenario)
        inner: Any = ReplayTransport(
            replayed, fallback=fallback, event_delay=OFFLINE_EVENT_DELAY_S if fallback else 0.0, scenario=scenario)
    elif setup.mode == "record" and setup.record_from == "simulator":
        # A lesson's recording describes the kit's day (the registry's as-of date), whatever today is.
        simulator = simulator or stand_in.build(day=registry.kit_day(setup.mode))
        inner = RecordingTransport(SimulatorTransport(simulator, scenario=scenario),
                                             recording.open_for_recording(setup.new_recording_path),
                                             recording.SIMULATOR, scenario=scenario)
    else:
        api_key, base_url = _require_key(), None
        cap = budget.kernel_cap()  # a bad COOKBOOK_BUDGET_USD fails here, before any request
        inner = live_transport(cap, record_to=recording.open_for_recording(setup.new_recording_path)
                               if setup.mode == "record" else None, http=network())
    if not quiet:
        print(describe(setup, replayed))
        notice = calendar_notice(setup.mode)
        if notice and not _NOTICE_SHOWN.is_set():
            _NOTICE_SHOWN.set()
            print(wrap(notice))
    return setup, inner, api_key, base_url


def calendar_notice(mode: str, env: Mapping[str, str] = os.environ) -> Optional[str]:
    """Offline only: ``registry.calendar_notice`` for today's date (``COOKBOOK_TODAY`` to try another day).

    Never in replay (the test suite's strict mode) or the live modes, so stored outputs never show it.
    """
    if mode != "offline":
        return None
    return registry.calendar_notice(registry.today(env))

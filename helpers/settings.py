"""Every ``COOKBOOK_*`` environment variable the kit reads: its default, what it does, and its parsing.

Each reader takes the environment (default ``os.environ``) and raises ``SettingError`` (a
ValueError) naming the variable for a value it cannot use, so a bad setting fails before any request
is sent. ``SETTINGS`` is the documented list (the README's "Modes" section describes the same ones).
This module imports nothing from the kit: every layer may read it.
"""

from __future__ import annotations

import datetime as dt
import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping, Optional

MODES = ("offline", "replay", "live", "record")
RECORD_SOURCES = ("api", "simulator")
DEFAULT_BUDGET_USD = 1.00


class SettingError(ValueError):
    """A ``COOKBOOK_*`` variable holds a value the kit cannot use; the message names the variable."""


@dataclass(frozen=True)
class Setting:
    name: str
    default: str
    doc: str


SETTINGS = (
    Setting("COOKBOOK_MODE", "offline", f"where answers come from: {', '.join(MODES)}"),
    Setting("COOKBOOK_RECORD_FROM", "api", "record mode's source: api (billed) or simulator"),
    Setting("COOKBOOK_BUDGET_USD", f"{DEFAULT_BUDGET_USD:.2f}", "the kernel's spending cap for live requests, in USD"),
    Setting("COOKBOOK_ALLOW_UNPRICED", "", "1: let the cap send requests it cannot price, held at a bound"),
    Setting("COOKBOOK_TODAY", "", "YYYY-MM-DD: try the kit on another day (lifecycle questions, offline notices)"),
    Setting("COOKBOOK_IMAGE_MODEL", "", "an image model id that overrides the lessons' model"),
    Setting("COOKBOOK_TRACK", "", "primary or successor: the lesson track (successor only during a shutdown notice)"),
    Setting("COOKBOOK_OUTPUTS_DIR", "", "folder for saved images (default notebooks/outputs)"),
    Setting("COOKBOOK_RECORDING_LOCK_TOKEN", "", "set by the rebuild: the recording lock its kernels share"),
)


def _raw(name: str, env: Mapping[str, str]) -> str:
    return env.get(name, "").strip()


def mode(env: Mapping[str, str] = os.environ) -> str:
    """``COOKBOOK_MODE``, lower-cased; "offline" when unset. Raises SettingError for any other value."""
    value = _raw("COOKBOOK_MODE", env).lower() or "offline"
    if value not in MODES:
        raise SettingError(f"COOKBOOK_MODE={value!r} is not one of {', '.join(MODES)}.")
    return value


def record_from(env: Mapping[str, str] = os.environ) -> str:
    """``COOKBOOK_RECORD_FROM``: "api" (default) or "simulator". Raises SettingError otherwise."""
    value = _raw("COOKBOOK_RECORD_FROM", env).lower() or "api"
    if value not in RECORD_SOURCES:
        raise SettingError(f"COOKBOOK_RECORD_FROM={value!r} is not one of {', '.join(RECORD_SOURCES)}.")
    return value


def dollars(value: object, name: str) -> float:
    """``value`` as US dollars: a finite number, 0 or more. Raises SettingError naming ``name``."""
    try:
        amount = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise SettingError(f"{name} must be a number of US dollars, got {value!r}") from None
    if isinstance(value, bool) or not math.isfinite(amount) or amount < 0:
        raise SettingError(f"{name} must be a finite number of US dollars, 0 or more; got {value!r}")
    return amount


def budget_usd(env: Mapping[str, str] = os.environ) -> float:
    """``COOKBOOK_BUDGET_USD`` in USD (``DEFAULT_BUDGET_USD`` when unset). Raises SettingError for a bad value,
    an empty one included: a cap someone meant to set is never silently the default."""
    value = env.get("COOKBOOK_BUDGET_USD")
    return dollars(str(DEFAULT_BUDGET_USD) if value is None else value.strip(), "COOKBOOK_BUDGET_USD")


def allow_unpriced(env: Mapping[str, str] = os.environ) -> bool:
    """``COOKBOOK_ALLOW_UNPRICED=1``: the cap may send requests it cannot price (held at a bound)."""
    return _raw("COOKBOOK_ALLOW_UNPRICED", env) == "1"


def today_override(env: Mapping[str, str] = os.environ) -> Optional[dt.date]:
    """``COOKBOOK_TODAY`` as a date, or None when unset. Raises SettingError for a value that is not ISO."""
    value = _raw("COOKBOOK_TODAY", env)
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise SettingError(f"COOKBOOK_TODAY={value!r} is not a date like 2026-12-02.") from None


def image_model_override(env: Mapping[str, str] = os.environ) -> Optional[str]:
    """``COOKBOOK_IMAGE_MODEL``, or None when unset (the registry checks that it is a served image model)."""
    return _raw("COOKBOOK_IMAGE_MODEL", env) or None


def track_name(env: Mapping[str, str] = os.environ) -> Optional[str]:
    """``COOKBOOK_TRACK``, lower-cased, or None when unset (``tracks.get`` checks the name)."""
    return _raw("COOKBOOK_TRACK", env).lower() or None


def outputs_dir(default: Path, env: Mapping[str, str] = os.environ) -> Path:
    """``COOKBOOK_OUTPUTS_DIR`` as a path, else ``default``."""
    value = _raw("COOKBOOK_OUTPUTS_DIR", env)
    return Path(value) if value else default


def recording_lock_token(env: Mapping[str, str] = os.environ) -> str:
    """``COOKBOOK_RECORDING_LOCK_TOKEN``: the rebuild's token for the recording lock its kernels share."""
    return _raw("COOKBOOK_RECORDING_LOCK_TOKEN", env)

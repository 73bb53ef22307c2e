"""The live stack: what a request to the real API passes through, outermost first."""

from __future__ import annotations

from typing import Optional

import httpx2

from .. import budget
from . import recording
from .precheck import PreSendCheckTransport
from .record import RecordingTransport
from .scrubbing import ScrubbingTransport
from .spending_cap import SpendingCapTransport
from .timeouts import NoRetryOnTimeoutTransport


def live_transport(cap: budget.SpendingCap, *, record_to: Optional[recording.Recording] = None,
                   http=None) -> httpx2.BaseTransport:
    """The transport stack of a live client, outermost first: the pre-send check (lifecycle on today's
    date, the API's rules from ``helpers.rules``, input images), the timeout guard (a timed-out image
    request is not retried: ``timeouts``), an optional recorder, the spending cap, and the scrubbing of
    keys and ids from every answer.

    ``cap`` is the kernel's ``budget.SpendingCap`` (USD); ``record_to`` a recording opened for writing
    (record mode); ``http`` the network transport (default ``httpx2.HTTPTransport()``; pass
    ``httpx2.AsyncHTTPTransport()`` for the async client: every layer serves both).
    """
    inner: httpx2.BaseTransport = SpendingCapTransport(ScrubbingTransport(http or httpx2.HTTPTransport()), cap)
    if record_to is not None:
        inner = RecordingTransport(inner, record_to, recording.OPENAI_API)
    return PreSendCheckTransport(NoRetryOnTimeoutTransport(inner))

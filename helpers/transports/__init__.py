"""HTTP transports of the kit's OpenAI clients, one per file, and the recordings store they share.

Each is an ``httpx2.BaseTransport`` and an ``httpx2.AsyncBaseTransport`` (httpx's transport model),
so one stack serves ``openai.OpenAI`` and ``openai.AsyncOpenAI``; ``helpers.client`` chooses the stack.

- ``live``: the stack of a live client (``live_transport``): pre-send check, recorder, cap, scrubbing.
- ``precheck``: stops requests the API's rules (``helpers.rules``) or the registry's lifecycle refuse.
- ``spending_cap``: reserves each live request's worst-case cost (USD) before sending, settles after.
- ``timeouts``: a timed-out image request is not retried (it may have been billed).
- ``scrubbing``: removes keys, organization and project ids from every answer.
- ``record``: stores each exchange in a recording.
- ``replay``: answers from a recording, strictly (``RecordingMismatch``) or with an offline fallback.
- ``recording``: the recordings store (files in ``notebooks/recordings``).
- ``memory``: what they share (requests read into the stored form, answers built from it).

Nothing here imports the offline stand-in (``helpers.offline``): the client factory wires it in.
"""

from .live import live_transport
from .memory import from_httpx, read_request, to_httpx
from .precheck import NOT_SENT_HEADER, SKIP_CHECKS_HEADER, PreSendCheckTransport, RequestRefused, refusal_response
from .record import RecordingTransport
from .recording import RecordingMismatch
from .replay import NOT_RECORDED_HEADER, ReplayTransport
from .scrubbing import ScrubbingTransport
from .spending_cap import SpendingCapTransport

__all__ = ["NOT_RECORDED_HEADER", "NOT_SENT_HEADER", "SKIP_CHECKS_HEADER", "PreSendCheckTransport",
           "RecordingMismatch", "RecordingTransport", "ReplayTransport", "RequestRefused", "ScrubbingTransport",
           "SpendingCapTransport", "from_httpx", "live_transport", "read_request", "refusal_response", "to_httpx"]

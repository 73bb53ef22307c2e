"""The offline stand-in of the OpenAI API: what answers when no request may leave the machine.

Lessons never import from here directly except to show a recorded error body; they call
``helpers.make_client``, which builds the SDK client over one of these transports.

* ``simulator``: answers Images, Responses and Models requests the way the real API does.
* ``batches``: the Files and Batches endpoints, run by the same simulator.
* ``errors``: error bodies (publicly observed ones reproduced with their source) and shared answer pieces.
* ``rendering``: the simulator's pictures, each with a visible SIMULATED mark.
* ``recording``: one JSON recording per lesson, with strict request matching.
* ``transport``: the httpx2 transports that replay, record or simulate, and for live requests the
  registry checks before sending, the spending cap and the scrubbing of keys and ids.
* ``server``: the simulator served over HTTP on 127.0.0.1, for any client (``OPENAI_BASE_URL``).
* ``wire``: multipart and server-sent-event encoding shared by all of the above.

Dependencies run one way: this package uses ``registry``, ``pricing``, ``budget``, ``imaging`` and
``writes`` from ``helpers``; nothing those modules import comes from here.
"""

"""The offline stand-in of the OpenAI API: what answers when no request may leave the machine.

Only ``helpers.client`` (the client factory) wires it in, and ``helpers.maintainer.simulator_server``
serves it over HTTP; lessons and the live path never import it.

* ``simulator``: answers Images, Responses and Models requests as the real API does, applying
  ``helpers.rules`` (the API's rules live there, not here) and emitting ``helpers.api_errors``.
* ``batches``: the Files and Batches endpoints, run by the same simulator.
* ``shared_state``: what the simulator keeps, in a folder several processes share.
* ``answers``: the ids, timestamps and bodies the simulator's answers share.
* ``rendering``: the simulator's pictures, each with a visible SIMULATED mark.
* ``transport``: ``SimulatorTransport``, the httpx2 transport that answers from the simulator.

Dependencies run one way: this package uses ``helpers`` (registry, rules, pricing, imaging, the
recordings store); nothing outside it imports from here but the two modules named above.
"""

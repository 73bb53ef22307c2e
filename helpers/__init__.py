"""Shared helpers for the image API cookbook notebooks."""

__version__ = "0.1.0"

__all__ = ["make_client", "__version__"]


def __getattr__(name: str):
    # ``from helpers import make_client`` imports the client (and the OpenAI SDK with it) on first use
    # only, so a script that needs only the recordings or the registry starts without the SDK's half second.
    if name == "make_client":
        from .client import make_client

        return make_client
    raise AttributeError(f"module 'helpers' has no attribute {name!r}")

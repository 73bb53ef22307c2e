"""Shared helpers for the image API cookbook notebooks."""

__version__ = "0.1.0"

__all__ = ["make_async_client", "make_client", "__version__"]


def __getattr__(name: str):
    # ``from helpers import make_client`` (or ``make_async_client``) imports the client (and the OpenAI SDK with it) on first use
    # only, so a script that needs only the recordings or the registry starts without the SDK's half second.
    if name in ("make_client", "make_async_client"):
        from . import client

        return getattr(client, name)
    raise AttributeError(f"module 'helpers' has no attribute {name!r}")

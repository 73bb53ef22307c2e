"""Shared helpers for the image API cookbook notebooks."""

__version__ = "0.1.0"

from .client import make_client  # noqa: E402  (the version above is read by recording.save)

__all__ = ["make_client", "__version__"]

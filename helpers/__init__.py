"""Shared helpers for the image API cookbook notebooks."""

__version__ = "0.1.0"

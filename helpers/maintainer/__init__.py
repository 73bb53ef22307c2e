"""Maintainer commands: run from the repository root, never from a lesson."""

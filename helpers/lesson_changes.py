"""Which kit lessons differ from their committed version, and how to restore them.

A lesson run in JupyterLab is autosaved with the outputs of that run; nbval then compares those outputs
with a fresh replay and the lesson fails for a reason its learner cannot see. The test suite uses
``failure_note`` to name such a lesson and say how to put the committed version back.
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Iterable

ROOT = Path(__file__).resolve().parent.parent


def changed_lessons(root: Path = ROOT) -> list[str]:
    """Paths (relative to ``root``, e.g. ``notebooks/01_generate.ipynb``) of the lesson notebooks that differ
    from git's HEAD, sorted. An empty list when ``root`` is no git checkout or git is not installed."""
    try:
        done = subprocess.run(["git", "status", "--porcelain", "--", "notebooks/*.ipynb"], cwd=root,
                              capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return []
    if done.returncode != 0:
        return []
    paths = [line[3:].strip().strip('"') for line in done.stdout.splitlines() if line[:2].strip() in ("M", "MM", "AM")]
    return sorted(p for p in paths if p.endswith(".ipynb") and p.count("/") == 1)


def failure_note(failed: Iterable[str], root: Path = ROOT) -> str:
    """For failed test ids (``notebooks/01_generate.ipynb::Cell 3``): the lessons among them that differ
    from their committed version, each with the command that restores it; "" when there are none."""
    failing = {nodeid.split("::", 1)[0] for nodeid in failed}
    changed = [path for path in changed_lessons(root) if path in failing]
    if not changed:
        return ""
    lines = ["These lessons failed and differ from their committed version (a lesson run and saved in",
             "JupyterLab keeps that run's outputs, which nbval compares with a fresh replay):"]
    for path in changed:
        name = Path(path).name
        lines += [f"  {path}: restore it with  git checkout -- {path}",
                  f"    (to keep your version, copy it first: cp {path} my_work/{name})"]
    return "\n".join(lines)

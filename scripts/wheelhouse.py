"""Prepare a workshop room without network: build a wheelhouse once, install from it with no index.

    python scripts/wheelhouse.py build [--dir wheelhouse] [--test]   # where there is network, once
    python scripts/wheelhouse.py check [--dir wheelhouse] [--test]   # no network: would install resolve?
    python scripts/wheelhouse.py install [--dir wheelhouse] [--test] # no network: create .venv from it

``build`` downloads every pinned requirement (and what they depend on) as wheels into the folder,
plus the build backend that ``-e .`` needs (setuptools). Copy the repository with the folder to
each machine (a USB stick will do), then ``install`` there. ``--test`` adds requirements-test.txt.

Build on the same operating system, CPU and Python version as the room's machines: pip picks the
wheels for the machine it runs on. ``check`` asks pip to resolve the install from the folder alone
(``--no-index --dry-run``), so a missing wheel shows up before the workshop, named by pip.

``build`` uses your pip configuration (a proxy or a mirror, if you have one). ``check`` and ``install``
run with pip's configuration switched off (PIP_CONFIG_FILE=/dev/null, no PIP_* variables), so a
mirror configured on the build machine cannot hide a missing wheel.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DIR = ROOT / "wheelhouse"
LEARNER = ROOT / "requirements.txt"
TEST = ROOT / "requirements-test.txt"
# What pip needs to build ``-e .`` (pyproject.toml's [build-system] requires).
BUILD_BACKEND = "setuptools>=68"


def requirements_file(test: bool) -> Path:
    return TEST if test else LEARNER


def isolated_environment() -> dict[str, str]:
    """This process's environment without pip configuration, so only the command line counts."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith("PIP_")}
    environment["PIP_CONFIG_FILE"] = os.devnull
    environment["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    return environment


def pip(python: str, *args: str) -> list[str]:
    return [python, "-m", "pip", *args]


def pinned(requirements: Path) -> list[str]:
    """The requirement lines of ``requirements``, following ``-r`` includes, without ``-e .`` and comments.

    The kit itself (``-e .``) is the repository the room copies, so it is built there, not downloaded.
    """
    lines = []
    for raw in requirements.read_text(encoding="utf-8").splitlines():
        line = raw.split("#", 1)[0].strip()
        if line.startswith("-r "):
            lines += pinned(requirements.parent / line[3:].strip())
        elif line and not line.startswith("-e "):
            lines.append(line)
    return lines


def build_command(folder: Path, requirements: Path, python: str = sys.executable) -> list[str]:
    """The pip command that fills ``folder`` with wheels for ``requirements`` and the build backend."""
    return pip(python, "download", "--dest", str(folder), *pinned(requirements), BUILD_BACKEND)


def install_command(folder: Path, requirements: Path, python: str, *, dry_run: bool = False) -> list[str]:
    """The pip command that installs ``requirements`` from ``folder`` alone (no index, no network)."""
    extra = ["--dry-run", "--ignore-installed", "--quiet"] if dry_run else []
    return pip(python, "install", "--no-index", "--find-links", str(folder), *extra, "-r", str(requirements))


def run(command: list[str], *, isolated: bool = True) -> int:
    print("+", " ".join(command), flush=True)
    return subprocess.run(command, cwd=ROOT, env=isolated_environment() if isolated else None).returncode


def build(folder: Path, requirements: Path) -> int:
    folder.mkdir(parents=True, exist_ok=True)
    status = run(build_command(folder, requirements), isolated=False)
    if status:
        print(f"build failed (pip exit status {status}): is there network or an index?", file=sys.stderr)
        return status
    print(f"{len(list(folder.glob('*.whl')))} wheels in {folder}")
    return check(folder, requirements)


def check(folder: Path, requirements: Path, python: str = sys.executable) -> int:
    """0 if pip resolves ``requirements`` from ``folder`` alone; else pip's status (it names what is missing)."""
    if not folder.is_dir():
        print(f"{folder} does not exist: run `python scripts/wheelhouse.py build` where there is network.",
              file=sys.stderr)
        return 1
    status = run(install_command(folder, requirements, python, dry_run=True))
    print(f"wheelhouse check: {'OK, installs offline' if status == 0 else 'MISSING WHEELS (see pip above)'}")
    return status


def install(folder: Path, requirements: Path) -> int:
    venv = ROOT / ".venv"
    if not (venv / "bin" / "python").exists():
        status = run([sys.executable, "-m", "venv", str(venv)])
        if status:
            return status
    return run(install_command(folder, requirements, str(venv / "bin" / "python")))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("action", choices=("build", "check", "install"))
    parser.add_argument("--dir", type=Path, default=DEFAULT_DIR, help=f"the wheelhouse folder (default {DEFAULT_DIR.name}/)")
    parser.add_argument("--test", action="store_true", help="include the test tools (requirements-test.txt)")
    args = parser.parse_args(argv)
    folder, requirements = args.dir.resolve(), requirements_file(args.test)
    return {"build": build, "check": check, "install": install}[args.action](folder, requirements)


if __name__ == "__main__":
    sys.exit(main())

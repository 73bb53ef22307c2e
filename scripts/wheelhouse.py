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

``build`` also writes ``wheels.lock`` in the folder: the sha256 of every file it downloaded (the format
``sha256sum -c`` reads). ``check`` (and ``install``, before it changes anything) verifies every wheel:
the zip reads back whole (each member's CRC), every file matches the sha256 and size its ``RECORD``
lists, nothing is in the wheel that ``RECORD`` does not list, and, when ``wheels.lock`` exists, each
file's own sha256 is the one ``build`` wrote, with nothing missing or added. A wheel with one corrupt
byte or a tampered module is named and refused.

``install`` builds the environment in a temporary folder beside ``.venv`` (``.venv.building-<pid>``)
and renames it into place only when pip succeeded, so a failed or interrupted install leaves the
previous ``.venv`` (or none), never a half-built one; the next ``install`` removes what a killed one left.
"""

from __future__ import annotations

import argparse
import base64
import csv
import hashlib
import io
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Optional

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DIR = ROOT / "wheelhouse"
LEARNER = ROOT / "requirements.txt"
TEST = ROOT / "requirements-test.txt"
# What pip needs to build ``-e .`` (pyproject.toml's [build-system] requires).
BUILD_BACKEND = "setuptools>=68"
VENV = ROOT / ".venv"
LOCK_NAME = "wheels.lock"
# Signatures a wheel may carry beside RECORD without being listed in it (PEP 427).
UNLISTED = ("RECORD", "RECORD.jws", "RECORD.p7s")


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


def sha256_of(path: Path) -> str:
    """The hex sha256 of a file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def packages(folder: Path) -> list[Path]:
    """The distributions in a wheelhouse: wheels and source archives, sorted by name."""
    return sorted(p for p in folder.iterdir() if p.is_file() and p.name.endswith((".whl", ".tar.gz", ".zip")))


def write_lock(folder: Path) -> Path:
    """Write ``folder/wheels.lock``: ``<sha256>  <file name>`` per distribution (``sha256sum`` format), atomically."""
    sys.path.insert(0, str(ROOT))
    from helpers.writes import atomic_write_text
    lock = folder / LOCK_NAME
    atomic_write_text(lock, "".join(f"{sha256_of(p)}  {p.name}\n" for p in packages(folder)))
    return lock


def read_lock(lock: Path) -> dict[str, str]:
    """File name -> hex sha256 from a ``wheels.lock``; ValueError naming the line for one that is not
    ``<64 hex digits>  <name>``."""
    entries = {}
    for number, line in enumerate(lock.read_text(encoding="utf-8").splitlines(), 1):
        digest, _, name = line.partition("  ")
        if len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest) or not name.strip():
            raise ValueError(f"{lock}, line {number}: not '<sha256>  <file name>'")
        entries[name.strip()] = digest
    return entries


def _record_digest(data: bytes) -> str:
    return "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()


def wheel_problems(path: Path) -> list[str]:
    """What is wrong with one wheel file (empty when nothing): the zip does not read back (a member's CRC or
    its compressed data is wrong), ``RECORD`` is missing or unreadable, a file's sha256 or size differs
    from its ``RECORD`` line, a listed file is absent, or a file is present that ``RECORD`` does not list."""
    name = path.name
    try:
        with zipfile.ZipFile(path) as wheel:
            members = {info.filename: info for info in wheel.infolist() if not info.is_dir()}
            records = [m for m in members if m.count("/") == 1 and m.endswith(".dist-info/RECORD")]
            if len(records) != 1:
                return [f"{name}: no single .dist-info/RECORD (found {len(records)}): not a wheel pip can trust"]
            contents = {member: wheel.read(member) for member in members}  # checks every CRC
    except Exception as error:  # zipfile reports damage as any of a dozen types (BadZipFile, zlib.error,
        # RuntimeError for a flipped "encrypted" flag, ...): whatever stops it reading, the wheel is corrupt
        return [f"{name}: the zip does not read back whole ({type(error).__name__}: {error}): the file is corrupt"]
    problems, listed = [], set()
    try:
        rows = list(csv.reader(io.StringIO(contents[records[0]].decode("utf-8"))))
    except (UnicodeDecodeError, csv.Error) as error:
        return [f"{name}: RECORD cannot be read ({error})"]
    dist_info = records[0].split("/")[0]
    for row in rows:
        if not row:
            continue
        member, digest, size = (row + ["", ""])[:3]
        listed.add(member)
        if member not in contents:
            problems.append(f"{name}: {member} is listed in RECORD but not in the wheel")
        elif member.rsplit("/", 1)[-1] in UNLISTED and member.startswith(dist_info + "/"):
            continue
        elif not digest.startswith("sha256="):
            problems.append(f"{name}: {member} has no sha256 in RECORD")
        elif digest != _record_digest(contents[member]) or (size and size != str(len(contents[member]))):
            problems.append(f"{name}: {member} does not match its RECORD hash: the file was changed after the "
                            "wheel was built")
    for member in sorted(set(contents) - listed):
        if not (member.startswith(dist_info + "/") and member.rsplit("/", 1)[-1] in UNLISTED):
            problems.append(f"{name}: {member} is in the wheel but not in its RECORD")
    return problems


def integrity_problems(folder: Path) -> list[str]:
    """Every problem ``wheel_problems`` finds in the folder's wheels, plus, when ``wheels.lock`` exists, each
    distribution whose sha256 differs from the lock's, is missing, or is not in the lock."""
    problems = [p for wheel in packages(folder) if wheel.suffix == ".whl" for p in wheel_problems(wheel)]
    lock = folder / LOCK_NAME
    if lock.exists():
        try:
            expected = read_lock(lock)
        except (ValueError, OSError, UnicodeDecodeError) as error:
            return problems + [f"{LOCK_NAME} cannot be read: {error}"]
        present = {p.name: p for p in packages(folder)}
        for name, digest in sorted(expected.items()):
            if name not in present:
                problems.append(f"{name} is in {LOCK_NAME} but not in the folder")
            elif sha256_of(present[name]) != digest:
                problems.append(f"{name}: its sha256 is not the one in {LOCK_NAME}: the file changed after build")
        problems += [f"{name} is not in {LOCK_NAME}: it was added after build" for name in sorted(set(present) - set(expected))]
    return problems


def build(folder: Path, requirements: Path) -> int:
    folder.mkdir(parents=True, exist_ok=True)
    status = run(build_command(folder, requirements), isolated=False)
    if status:
        print(f"build failed (pip exit status {status}): is there network or an index?", file=sys.stderr)
        return status
    lock = write_lock(folder)
    print(f"{len(list(folder.glob('*.whl')))} wheels in {folder}; their sha256 in {lock.name}")
    return check(folder, requirements)


def verify(folder: Path) -> int:
    """0 when every wheel in ``folder`` is whole and matches its RECORD (and ``wheels.lock``); else 1, each
    problem printed."""
    problems = integrity_problems(folder)
    for problem in problems:
        print(f"wheelhouse check: {problem}", file=sys.stderr)
    if problems:
        print(f"wheelhouse check: CORRUPT OR TAMPERED WHEELS ({len(problems)} problem(s) above): build the "
              "wheelhouse again where there is network", file=sys.stderr)
        return 1
    return 0


def check(folder: Path, requirements: Path, python: str = sys.executable) -> int:
    """0 if every wheel in ``folder`` is intact (``integrity_problems``) and pip resolves ``requirements`` from
    ``folder`` alone; else 1 for a damaged wheel (named) or pip's status (it names what is missing)."""
    if not folder.is_dir():
        print(f"{folder} does not exist: run `python scripts/wheelhouse.py build` where there is network.",
              file=sys.stderr)
        return 1
    if verify(folder):
        return 1
    status = run(install_command(folder, requirements, python, dry_run=True))
    print(f"wheelhouse check: {'OK, installs offline' if status == 0 else 'MISSING WHEELS (see pip above)'}")
    return status


def _relocate(built: Path, final: Path) -> None:
    """Point a virtual environment built in ``built`` at ``final``: its activate scripts, console-script
    shebangs and pyvenv.cfg name the folder they were made in."""
    old, new = str(built).encode(), str(final).encode()
    for path in [*(built / "bin").iterdir(), built / "pyvenv.cfg"]:
        if path.is_symlink() or not path.is_file():
            continue
        data = path.read_bytes()
        if old in data and b"\0" not in data:
            mode = path.stat().st_mode
            path.write_bytes(data.replace(old, new))
            path.chmod(mode)


def sweep_unfinished(venv: Path) -> None:
    """Remove what a killed ``install`` left beside ``venv`` (``.venv.building-*``, ``.venv.old-*``)."""
    for leftover in [*venv.parent.glob(f"{venv.name}.building-*"), *venv.parent.glob(f"{venv.name}.old-*")]:
        print(f"removing {leftover.name}, left by an install that was stopped")
        shutil.rmtree(leftover, ignore_errors=True)


def install(folder: Path, requirements: Path, venv: Path = VENV, python: str = sys.executable) -> int:
    """Create ``venv`` from ``folder`` alone (no index), or replace it; returns 0, or the failing status.

    Refuses a damaged wheelhouse before changing anything (``verify``). The environment is built in
    ``<venv>.building-<pid>`` beside it and renamed into place only when pip succeeded; on failure it is
    removed and the previous ``venv`` (or none) stays as it was.
    """
    if not folder.is_dir():
        print(f"{folder} does not exist: run `python scripts/wheelhouse.py build` where there is network.",
              file=sys.stderr)
        return 1
    if verify(folder):
        return 1
    sweep_unfinished(venv)
    building = venv.parent / f"{venv.name}.building-{os.getpid()}"
    try:
        status = run([python, "-m", "venv", "--prompt", venv.name, str(building)])
        if status == 0:
            status = run(install_command(folder, requirements, str(building / "bin" / "python")))
        if status:
            print(f"install failed (status {status}): {venv} was not changed", file=sys.stderr)
            return status
        _relocate(building, venv)
        old: Optional[Path] = None
        if venv.exists():
            old = venv.parent / f"{venv.name}.old-{os.getpid()}"
            os.rename(venv, old)
        os.rename(building, venv)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
        print(f"installed into {venv}")
        return 0
    finally:
        if building.exists():
            shutil.rmtree(building, ignore_errors=True)


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

"""scripts/wheelhouse.py: ``check`` refuses a wheel with one corrupt byte or a tampered module, and ``install``
never leaves a half-built .venv."""

from __future__ import annotations

import base64
import hashlib
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
import wheelhouse  # noqa: E402  (scripts/ is not a package)

NAME, VERSION = "tinykitpkg", "1.0"
WHEEL = f"{NAME}-{VERSION}-py3-none-any.whl"
MODULE = f"{NAME}/__init__.py"


def digest(data: bytes) -> str:
    return "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()


def wheel_files(module: bytes = b"VALUE = 1\n" * 20) -> dict[str, bytes]:
    info = f"{NAME}-{VERSION}.dist-info"
    return {MODULE: module,
            f"{info}/METADATA": f"Metadata-Version: 2.1\nName: {NAME}\nVersion: {VERSION}\n".encode(),
            f"{info}/WHEEL": b"Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n"}


def write_wheel(path: Path, files: dict[str, bytes], record_of: dict[str, bytes] | None = None) -> Path:
    """A wheel holding ``files`` whose RECORD describes ``record_of`` (default: the same files)."""
    record_name = f"{NAME}-{VERSION}.dist-info/RECORD"
    record = "".join(f"{p},{digest(d)},{len(d)}\n" for p, d in (record_of or files).items()) + f"{record_name},,\n"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as wheel:
        for member, data in {**files, record_name: record.encode()}.items():
            wheel.writestr(zipfile.ZipInfo(member, date_time=(2026, 12, 3, 0, 0, 0)), data,
                           compress_type=zipfile.ZIP_DEFLATED)
    return path


@pytest.fixture
def house(tmp_path) -> tuple[Path, Path]:
    folder = tmp_path / "wheelhouse"
    folder.mkdir()
    write_wheel(folder / WHEEL, wheel_files())
    requirements = tmp_path / "requirements.txt"
    requirements.write_text(f"{NAME}=={VERSION}\n")
    return folder, requirements


def member_data_span(path: Path, member: str) -> range:
    """Byte offsets of one member's compressed data inside the zip."""
    with zipfile.ZipFile(path) as wheel:
        info = wheel.getinfo(member)
    raw = path.read_bytes()
    name_len = int.from_bytes(raw[info.header_offset + 26:info.header_offset + 28], "little")
    extra_len = int.from_bytes(raw[info.header_offset + 28:info.header_offset + 30], "little")
    start = info.header_offset + 30 + name_len + extra_len
    return range(start, start + info.compress_size)


def flip(path: Path, offset: int) -> None:
    data = bytearray(path.read_bytes())
    data[offset] ^= 0x01
    path.write_bytes(bytes(data))


def test_an_intact_wheelhouse_passes(house):
    folder, requirements = house
    assert wheelhouse.integrity_problems(folder) == []
    assert wheelhouse.check(folder, requirements) == 0


def test_one_corrupt_byte_in_a_module_fails_the_check(house, capsys):
    folder, requirements = house
    span = member_data_span(folder / WHEEL, MODULE)
    flip(folder / WHEEL, span[len(span) // 2])
    assert wheelhouse.check(folder, requirements) != 0
    err = capsys.readouterr().err
    assert WHEEL in err and "corrupt" in err.lower()


def test_every_corrupt_byte_of_any_member_is_found_without_a_lock(house):
    folder, _ = house
    original = (folder / WHEEL).read_bytes()
    with zipfile.ZipFile(folder / WHEEL) as wheel:
        members = [info.filename for info in wheel.infolist()]
    # Two bits of a deflate stream can flip without changing what it decompresses to: the first byte's
    # "last block" flag (zipfile stops at the member's size anyway) and the last byte's padding. Only the
    # lock (below) sees those; every other byte changes what the member holds.
    offsets = [o for m in members for o in member_data_span(folder / WHEEL, m)[1:-1]]
    assert offsets
    for offset in offsets:
        (folder / WHEEL).write_bytes(original)
        flip(folder / WHEEL, offset)
        assert wheelhouse.integrity_problems(folder), f"a flipped byte at {offset} went unnoticed"


def test_with_a_lock_every_single_corrupt_byte_is_found(house):
    folder, _ = house
    wheelhouse.write_lock(folder)
    original = (folder / WHEEL).read_bytes()
    for offset in range(len(original)):
        (folder / WHEEL).write_bytes(original)
        flip(folder / WHEEL, offset)
        assert wheelhouse.integrity_problems(folder), f"a flipped byte at {offset} went unnoticed"


def test_a_tampered_module_fails_its_record_hash(house, capsys):
    folder, requirements = house
    honest = wheel_files()
    write_wheel(folder / WHEEL, wheel_files(module=b"import os; os.system('steal')\n"), record_of=honest)
    assert wheelhouse.check(folder, requirements) != 0
    err = capsys.readouterr().err
    assert f"{WHEEL}: {MODULE} does not match its RECORD hash" in err


def test_a_module_slipped_in_unlisted_is_found(house):
    folder, _ = house
    files = wheel_files()
    write_wheel(folder / WHEEL, {**files, f"{NAME}/extra.py": b"print('hi')\n"}, record_of=files)
    assert any("not in its RECORD" in p for p in wheelhouse.integrity_problems(folder))


def test_a_rebuilt_wheel_with_a_consistent_record_is_caught_by_the_lock(house):
    folder, _ = house
    wheelhouse.write_lock(folder)
    write_wheel(folder / WHEEL, wheel_files(module=b"VALUE = 2\n"))  # RECORD rewritten to match
    problems = wheelhouse.integrity_problems(folder)
    assert any(f"not the one in {wheelhouse.LOCK_NAME}" in p for p in problems)


def test_a_wheel_added_after_build_is_named(house):
    folder, _ = house
    wheelhouse.write_lock(folder)
    write_wheel(folder / f"{NAME}-2.0-py3-none-any.whl", wheel_files())
    assert any("added after build" in p for p in wheelhouse.integrity_problems(folder))


def test_a_failed_install_leaves_no_half_built_venv(house, tmp_path):
    folder, _ = house
    requirements = tmp_path / "missing.txt"
    requirements.write_text(f"{NAME}=={VERSION}\nnot-in-the-wheelhouse==9.9\n")
    venv = tmp_path / ".venv"
    assert wheelhouse.install(folder, requirements, venv=venv) != 0
    assert not venv.exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".venv")] == []


def test_a_failed_reinstall_keeps_the_previous_venv(house, tmp_path):
    folder, _ = house
    venv = tmp_path / ".venv"
    venv.mkdir()
    (venv / "marker").write_text("the working environment")
    write_wheel(folder / WHEEL, wheel_files(module=b"tampered\n"), record_of=wheel_files())
    assert wheelhouse.install(folder, tmp_path / "requirements.txt", venv=venv) != 0
    assert (venv / "marker").read_text() == "the working environment"


def test_an_install_is_renamed_into_place_and_works_there(house, tmp_path):
    folder, requirements = house
    venv = tmp_path / ".venv"
    (tmp_path / ".venv.building-12345").mkdir()  # left by an install that was killed
    assert wheelhouse.install(folder, requirements, venv=venv) == 0
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".venv")] == [".venv"]
    done = subprocess.run([str(venv / "bin" / "python"), "-c", f"import {NAME}; print({NAME}.VALUE)"],
                          capture_output=True, text=True)
    assert done.stdout.strip() == "1"
    pip = subprocess.run([str(venv / "bin" / "pip"), "--version"], capture_output=True, text=True)
    assert pip.returncode == 0 and str(venv) in pip.stdout  # its shebang names the final folder
    assert ".venv.building" not in (venv / "bin" / "activate").read_text()

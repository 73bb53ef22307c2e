"""What a learner or a workshop room installs and opens: a slim pinned install, test tools apart, a
wheelhouse for a room without network, commands that work as root, and links that resolve in JupyterLab."""

import ast
import base64
import hashlib
import os
import re
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
import wheelhouse  # noqa: E402  (scripts/ is not a package)

TEST_TOOLS = {"pytest", "nbval", "pytest-xdist", "hypothesis", "playwright", "markdown-it-py", "mdit-py-plugins"}
# Modules of the test tools, as code would import them.
TEST_MODULES = {"pytest", "nbval", "xdist", "hypothesis", "playwright", "_pytest", "markdown_it", "mdit_py_plugins"}


def names(requirements: Path) -> set[str]:
    return {re.split(r"[=<>!~\[ ]", line, maxsplit=1)[0].lower() for line in wheelhouse.pinned(requirements)}


def test_learners_install_no_test_tool_and_every_requirement_is_pinned():
    learner = names(wheelhouse.LEARNER)
    assert learner and not learner & TEST_TOOLS
    for path in (wheelhouse.LEARNER, wheelhouse.TEST):
        for line in wheelhouse.pinned(path):
            assert re.fullmatch(r"[A-Za-z0-9_.-]+==[0-9][0-9A-Za-z.]*", line), f"{path.name}: pin {line!r}"


def test_the_test_requirements_add_the_test_tools_to_the_learners():
    assert "-r requirements.txt" in wheelhouse.TEST.read_text().splitlines()
    # The suite also builds the website, so the test install includes the site's tools (learners' never does).
    site = ROOT / "requirements-site.txt"
    assert "-r requirements-site.txt" in wheelhouse.TEST.read_text().splitlines()
    assert not names(site) & names(wheelhouse.LEARNER)
    assert names(wheelhouse.TEST) == names(wheelhouse.LEARNER) | TEST_TOOLS | names(site)


def test_what_learners_run_never_imports_a_test_tool():
    for path in [*(ROOT / "helpers").rglob("*.py"), *(ROOT / "scripts").glob("*.py"),
                 *(ROOT / "exercises").rglob("*.py")]:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                imported = {a.name.split(".")[0] for a in node.names}
            elif isinstance(node, ast.ImportFrom) and not node.level:
                imported = {(node.module or "").split(".")[0]}
            else:
                continue
            assert not imported & TEST_MODULES, f"{path.relative_to(ROOT)} imports {imported & TEST_MODULES}"


def readme_commands() -> list[str]:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    return re.findall(r"^[ \t]*```\n(.*?)\n[ \t]*```", readme, re.M | re.S)


def test_the_readme_installs_both_for_tests_and_only_the_learners_for_the_lab():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    test_command = re.search(r"<!-- test-command -->\s*```\s*(.*?)\s*```", readme, re.S)[1]
    assert "pip install -r requirements-test.txt" in test_command and test_command.endswith("-m pytest")
    lab = [c for c in readme_commands() if "jupyter lab" in c]
    assert len(lab) == 2, "the quick start and the live command"
    for command in lab:
        assert "--allow-root" in command, f"JupyterLab refuses to start as root without it: {command}"
        # Opened at the repository root (no folder argument), so the README's links resolve inside it.
        assert command.split("jupyter lab", 1)[1].split() == ["--allow-root"]
    assert "pip install -r requirements.txt" in lab[0]


LINK = re.compile(r"\]\(([^)#\s]+)(?:#[^)]*)?\)")


@pytest.mark.parametrize("page", ["README.md", "instructors/README.md", "my_work/README.md"])
def test_every_relative_link_resolves_inside_the_lab_root(page):
    path = ROOT / page
    links = [t for t in LINK.findall(path.read_text(encoding="utf-8")) if "://" not in t]
    for target in links:
        resolved = (path.parent / target).resolve()
        assert resolved.exists(), f"{page} links to {target}, which does not exist"
        assert ROOT in resolved.parents or resolved == ROOT, f"{page} links outside the repository: {target}"


def fake_wheel(folder: Path, name: str, version: str) -> Path:
    """A minimal, valid pure-Python wheel (its RECORD lists every file with its sha256): enough for pip to
    resolve it with no index, and for ``wheelhouse.check`` to trust it."""
    dist = f"{name}-{version}"
    wheel = folder / f"{dist}-py3-none-any.whl"
    files = {f"{dist}.dist-info/METADATA": f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n".encode(),
             f"{dist}.dist-info/WHEEL":
                 b"Wheel-Version: 1.0\nGenerator: tests\nRoot-Is-Purelib: true\nTag: py3-none-any\n"}
    record = "".join(f"{path},sha256={base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b'=').decode()},"
                     f"{len(data)}\n" for path, data in files.items()) + f"{dist}.dist-info/RECORD,,\n"
    with zipfile.ZipFile(wheel, "w") as archive:
        for path, data in {**files, f"{dist}.dist-info/RECORD": record.encode()}.items():
            archive.writestr(path, data)
    return wheel


def test_the_wheelhouse_check_names_a_missing_wheel_and_passes_once_it_is_there(tmp_path, capfd):
    folder = tmp_path / "wheelhouse"
    folder.mkdir()
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("room_kit_probe==1.0\n")
    assert wheelhouse.check(folder, requirements) != 0
    assert "room_kit_probe" in capfd.readouterr().err.replace("-", "_")
    fake_wheel(folder, "room_kit_probe", "1.0")
    assert wheelhouse.check(folder, requirements) == 0
    assert "OK, installs offline" in capfd.readouterr().out


def test_the_wheelhouse_is_built_for_every_pin_and_installed_with_no_index(tmp_path):
    build = wheelhouse.build_command(tmp_path, wheelhouse.TEST, python="python")
    assert build[:4] == ["python", "-m", "pip", "download"]
    assert set(wheelhouse.pinned(wheelhouse.TEST)) <= set(build) and wheelhouse.BUILD_BACKEND in build
    assert not any(arg.startswith("-e") for arg in build), "the kit itself is built from the copied repository"
    install = wheelhouse.install_command(tmp_path, wheelhouse.LEARNER, "python")
    assert {"--no-index", "--find-links", str(tmp_path)} <= set(install)
    environment = wheelhouse.isolated_environment()
    assert environment["PIP_CONFIG_FILE"] == os.devnull
    assert not {k for k in environment if k.startswith("PIP_")} - {"PIP_CONFIG_FILE", "PIP_DISABLE_PIP_VERSION_CHECK"}

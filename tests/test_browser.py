"""The playground in a real browser: JupyterLab on 127.0.0.1, driven by headless Chromium through Playwright.

Runs the playground notebook twice: offline (its recording and the simulator) and live against the
simulator served on 127.0.0.1 (the live code path, with the spending cap). Each time it runs every
cell, clicks Generate and checks that the widgets rendered and a new image reached the gallery. The
offline run saves a screenshot to ``artifacts/playground.png``.

Both runs share one JupyterLab server and one browser (starting them is most of a run's time): each
run opens its own copy of the notebook, whose kernelspec gives its kernel that run's environment.

Uses the system Chromium (Debian's ``chromium`` package), never a browser downloaded by Playwright.
Without it the test is skipped, except under CI (the CI environment variable), where it fails.
"""

from __future__ import annotations

import os
import json
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import pytest

from helpers.maintainer.simulator_server import serve
from helpers.offline.simulator import Simulator

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK = ROOT / "notebooks" / "06_playground.ipynb"
ARTIFACTS = ROOT / "artifacts"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 # Both runs' pages work at once; neither may be slowed down as a background tab.
                 "--disable-background-timer-throttling", "--disable-renderer-backgrounding",
                 "--disable-backgrounding-occluded-windows"]
SERVER_START_S = 90
RUN_ALL_S = 180
ACTION_MS = 60_000
LAB_SETTINGS = {
    # Otherwise the front end asks about news and looks for updates over the network.
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings":
        '{"fetchNews": "false", "checkForUpdates": false}',
    # Render every cell, so outputs far down the notebook exist in the page to be checked.
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": '{"windowingMode": "none"}',
}
# Otherwise the page asks the server whether JupyterLab needs a rebuild, which takes seconds to answer
# and matters only to someone installing source extensions.
PAGE_CONFIG = '{"buildCheck": false, "buildAvailable": false}'
# Server extensions the playground does not use: the language-server bridge looks for a dozen language
# servers at start-up, and terminals are never opened.
SERVER_CONFIG = '{"ServerApp": {"jpserver_extensions": {"jupyter_lsp": false, "jupyter_server_terminals": false}}}'
LIVE_BUDGET_USD = "0.25"


def require_system_chromium() -> None:
    """Skip the calling test when Debian's Chromium is missing, except under CI, where it fails."""
    if not CHROMIUM.exists():
        reason = f"{CHROMIUM} is missing: install Debian's chromium package (apt-get install -y chromium)"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)


@pytest.fixture(scope="module", autouse=True)
def system_chromium():
    require_system_chromium()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_until_up(url: str, server: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + SERVER_START_S
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"JupyterLab exited with {server.returncode}:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(0.25)
    raise TimeoutError(f"JupyterLab did not answer within {SERVER_START_S} s:\n{log.read_text()[-3000:]}")


def _stop(server: subprocess.Popen) -> None:
    if server.poll() is None:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            # The server started its own session, so its kernels go with it.
            os.killpg(server.pid, signal.SIGKILL)
            server.wait(timeout=10)


def _kernelspec(home: Path, name: str, environment: dict[str, str]) -> None:
    """A kernel of this Python that starts with ``environment``: how one server gives each run its own mode."""
    folder = home / "data" / "kernels" / name
    folder.mkdir(parents=True)
    spec = {"argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
            "display_name": name, "language": "python", "env": environment}
    (folder / "kernel.json").write_text(json.dumps(spec))


def _notebook_for(home: Path, kernel: str) -> None:
    """A copy of the playground that opens with ``kernel`` (its metadata names the kernel)."""
    notebook = json.loads(NOTEBOOK.read_text())
    notebook["metadata"]["kernelspec"] = {"name": kernel, "display_name": kernel, "language": "python"}
    (home / "notebooks" / f"{NOTEBOOK.stem}-{kernel}.ipynb").write_text(json.dumps(notebook))


@dataclass(frozen=True)
class Lab:
    base: str
    token: str

    def url(self, kernel: str) -> str:
        """The URL (token included) of the playground copy that runs in ``kernel``, in a workspace of its own
        (so the other run's open notebook is not restored into this page)."""
        return f"{self.base}/lab/workspaces/{kernel}/tree/{NOTEBOOK.stem}-{kernel}.ipynb?token={self.token}"


@contextmanager
def jupyterlab(home: Path, kernels: dict[str, dict[str, str]]) -> Iterator[Lab]:
    """One JupyterLab serving a copy of the playground per kernel in ``kernels`` (name -> its environment)."""
    (home / "notebooks").mkdir(parents=True)
    for name, environment in kernels.items():
        _kernelspec(home, name, environment)
        _notebook_for(home, name)
    for name, text in LAB_SETTINGS.items():
        (home / "settings" / Path(name).parent).mkdir(parents=True, exist_ok=True)
        (home / "settings" / name).write_text(text)
    (home / "config" / "labconfig").mkdir(parents=True)
    (home / "config" / "labconfig" / "page_config.json").write_text(PAGE_CONFIG)
    (home / "config" / "jupyter_server_config.json").write_text(SERVER_CONFIG)
    port, token = _free_port(), secrets.token_hex(16)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("COOKBOOK_", "OPENAI_", "JUPYTER"))}
    env.update(JUPYTER_CONFIG_DIR=str(home / "config"), JUPYTER_DATA_DIR=str(home / "data"),
               JUPYTER_RUNTIME_DIR=str(home / "runtime"), IPYTHONDIR=str(home / "ipython"))
    log = home / "server.log"
    command = [sys.executable, "-m", "jupyter", "lab", "--no-browser", "--ServerApp.open_browser=False",
               "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}", "--ServerApp.port_retries=0",
               f"--ServerApp.root_dir={home / 'notebooks'}", f"--IdentityProvider.token={token}",
               f"--LabApp.user_settings_dir={home / 'settings'}", f"--LabApp.workspaces_dir={home / 'workspaces'}",
               "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
               "--LabApp.extension_manager=readonly", "--LabApp.expose_app_in_browser=True"]
    if os.geteuid() == 0:
        command.append("--allow-root")  # CI containers run as root
    with log.open("w") as sink:
        server = subprocess.Popen(command, env=env, stdout=sink, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        base = f"http://127.0.0.1:{port}"
        _wait_until_up(f"{base}/api/status?token={token}", server, log)
        yield Lab(base, token)
    finally:
        _stop(server)


@pytest.fixture(scope="module")
def lab(tmp_path_factory) -> Iterator[Lab]:
    """One server for both runs (starting JupyterLab is most of a run's time); each copy has its own kernel."""
    with serve(Simulator()) as simulator_url, jupyterlab(tmp_path_factory.mktemp("lab"), {
            "offline": {"COOKBOOK_MODE": "offline"},
            "live": {"COOKBOOK_MODE": "live", "OPENAI_API_KEY": "sk-browser-test-dummy",
                     "OPENAI_BASE_URL": simulator_url, "COOKBOOK_BUDGET_USD": LIVE_BUDGET_USD}}) as server:
        yield server


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path_factory.mktemp("chromium-profile")), executable_path=str(CHROMIUM), headless=True,
            args=CHROMIUM_ARGS, viewport={"width": 1280, "height": 2000})
        try:
            yield context
        finally:
            context.close()


@pytest.fixture(scope="module")
def pages(lab, browser):
    """Both runs' pages, their "Run all" started together: one run's cells execute while the other's
    page loads and its kernel starts. Each test then waits for its own page to finish."""
    opened = {}
    try:
        for kernel in ("offline", "live"):
            opened[kernel] = browser.new_page()
            opened[kernel].set_default_timeout(ACTION_MS)
            start_run_all(opened[kernel], lab.url(kernel))
        yield opened
    finally:
        for page in opened.values():
            page.close()


KERNEL_IDLE = """() => {
    const panel = window.jupyterapp && window.jupyterapp.shell.currentWidget;
    const kernel = panel && panel.sessionContext && panel.sessionContext.session
        && panel.sessionContext.session.kernel;
    return !!kernel && kernel.status === 'idle';
}"""
ALL_CELLS_RAN = """() => {
    const panel = window.jupyterapp.shell.currentWidget;
    const kernel = panel.sessionContext.session.kernel;
    const cells = panel.content.widgets.filter(c => c.model.type === 'code');
    return kernel.status === 'idle' && cells.every(c => c.model.executionCount !== null);
}"""
# Returns once "Run all" has started (not awaited), so the other run's page can start meanwhile.
CLEAR_AND_START_RUN_ALL = """async () => {
    await window.jupyterapp.commands.execute('notebook:clear-all-cell-outputs');
    window.jupyterapp.shell.currentWidget.content.widgets.forEach(c => {
        if (c.model.type === 'code') { c.model.executionCount = null; }
    });
    window.jupyterapp.commands.execute('notebook:run-all-cells');
}"""


def start_run_all(page, url: str) -> None:
    page.goto(url)
    page.wait_for_function(KERNEL_IDLE, timeout=ACTION_MS)
    page.evaluate(CLEAR_AND_START_RUN_ALL)


def finish_run_all(page) -> None:
    page.wait_for_function(ALL_CELLS_RAN, timeout=RUN_ALL_S * 1000, polling=100)
    errors = page.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']")
    tracebacks = [t for t in errors.all_inner_texts() if "Traceback" in t or "Error" in t.split("\n")[0]]
    assert not tracebacks, tracebacks


def history_rows(page) -> int:
    return page.locator(".playground-history tbody tr").count()


def click_generate_and_wait_for_a_new_image(page) -> None:
    panel = page.locator(".playground")
    panel.scroll_into_view_if_needed()
    for part in ("model", "prompt", "quality", "size", "format", "background", "n", "mask"):
        assert panel.locator(f"label:text-is('{part}')").count() == 1, f"the {part} control did not render"
    assert "Expected output cost" in panel.locator("pre").first.inner_text()
    before = history_rows(page)
    panel.locator(".widget-button:has-text('Generate')").click()
    page.wait_for_function(f"() => document.querySelectorAll('.playground-history tbody tr').length > {before}",
                           timeout=ACTION_MS)
    page.wait_for_function("() => { const img = document.querySelector('img.playground-gallery');"
                           " return !!img && img.complete && img.naturalWidth > 0; }", timeout=ACTION_MS)
    status = page.locator(".playground-status").inner_text()
    assert status.startswith(f"Run {before + 1}:"), status


def screenshot(page, name: str) -> None:
    """The window with the panel scrolled to its top (an element shot of a scrolled cell comes out garbled)."""
    page.locator(".playground").evaluate("panel => panel.scrollIntoView({block: 'start'})")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / name))


def choose(page, label: str, option: str) -> None:
    page.locator(f".playground .widget-dropdown:has(label:text-is('{label}')) select").select_option(label=option)


def test_the_playground_offline_in_a_real_browser(pages):
    page = pages["offline"]
    finish_run_all(page)
    assert "Mode: offline" in page.locator(".jp-OutputArea-output").first.inner_text()
    click_generate_and_wait_for_a_new_image(page)
    screenshot(page, "playground.png")


def test_the_playground_live_against_the_simulator_with_the_spending_cap(pages):
    page = pages["live"]
    finish_run_all(page)
    assert "Mode: live" in page.locator(".jp-OutputArea-output").first.inner_text()
    assert "Live: real API calls" in page.locator(".playground").inner_text()
    click_generate_and_wait_for_a_new_image(page)
    before = history_rows(page)
    choose(page, "quality", "high")
    choose(page, "size", "1536x1024")
    choose(page, "n", "10")
    page.locator(".playground .widget-button:has-text('Generate')").click()
    page.wait_for_function("() => document.querySelector('.playground-status').innerText"
                           ".startsWith('Spending cap:')", timeout=ACTION_MS)
    assert history_rows(page) == before
    screenshot(page, "playground-live.png")

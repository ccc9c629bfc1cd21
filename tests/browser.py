"""Headless-browser helpers for the end-to-end tests (and the README screenshot).

Offline pages: :func:`dump_dom` and :func:`screenshot` run Debian's chromium once
per page with networking disabled (every request to a host name or through the
proxy fails), so a chart only draws if the page carries everything it needs.
:func:`png_stats` reads a PNG with zlib and numpy (no Pillow) to tell a drawn
chart from a blank page. :func:`external_urls` lists what a page would fetch.

Live JupyterLab: :func:`jupyter_lab` starts a private server (own port, token,
settings and workspaces folders) and stops it by its own PID; :func:`run_in_lab`
opens a notebook in headless chromium through Selenium and chromedriver, runs
every cell from the Run menu and reports what rendered.

Command line, e.g. for the README screenshot::

    .venv/bin/python tests/browser.py screenshot reports/sample/01_explore_rfv.html shot.png
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

import numpy as np

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
ROOT = Path(__file__).resolve().parents[1]

BASE_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-default-apps",
    "--disable-extensions",
    "--disable-sync",
    "--mute-audio",
    "--hide-scrollbars",
)
# Every host resolves to nothing except 127.0.0.1 (the local lab server).
NO_DNS = "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"
# For file:// pages: all http(s) goes to a closed local port, loopback included.
OFFLINE_FLAGS = (NO_DNS, "--proxy-server=127.0.0.1:9", "--proxy-bypass-list=<-loopback>")


def chromium_missing() -> str | None:
    """Why the browser tests cannot run here, or None when they can."""
    if not CHROMIUM.exists():
        return f"{CHROMIUM} is missing (apt-get install chromium chromium-driver)"
    return None


# ----------------------------------------------------------------------------- processes
def _run(cmd: list[str], timeout: float) -> subprocess.CompletedProcess:
    """Run a browser in its own session; on timeout kill that session's group only."""
    proc = subprocess.Popen(
        cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True
    )
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, err = proc.communicate()
        raise TimeoutError(
            f"{Path(cmd[0]).name} did not finish in {timeout:.0f} s: "
            f"{err.decode(errors='replace')[-2000:]}"
        ) from None
    return subprocess.CompletedProcess(cmd, proc.returncode, out, err)


def _page_url(page: str | Path) -> str:
    text = str(page)
    return text if "://" in text else Path(text).resolve().as_uri()


def _chromium(args: list[str], timeout: float) -> subprocess.CompletedProcess:
    with tempfile.TemporaryDirectory(prefix="rfvkit-chromium-") as profile:
        cmd = [str(CHROMIUM), *BASE_FLAGS, *OFFLINE_FLAGS, f"--user-data-dir={profile}", *args]
        return _run(cmd, timeout)


def dump_dom(page: str | Path, *, budget_ms: int = 15000, timeout: float = 180) -> str:
    """The DOM of ``page`` after its scripts ran, offline (``chromium --dump-dom``)."""
    done = _chromium([f"--virtual-time-budget={budget_ms}", "--dump-dom", _page_url(page)], timeout)
    if done.returncode != 0 or not done.stdout:
        raise RuntimeError(
            f"chromium --dump-dom failed ({done.returncode}): "
            f"{done.stderr.decode(errors='replace')[-2000:]}"
        )
    return done.stdout.decode("utf-8", errors="replace")


def screenshot(
    html_path: str | Path,
    png_path: str | Path,
    width: int = 1280,
    height: int = 1600,
    *,
    budget_ms: int = 15000,
    timeout: float = 180,
) -> Path:
    """Save a PNG of the top ``width`` x ``height`` pixels of a page, rendered offline."""
    png_path = Path(png_path).resolve()
    png_path.parent.mkdir(parents=True, exist_ok=True)
    png_path.unlink(missing_ok=True)
    done = _chromium(
        [
            f"--virtual-time-budget={budget_ms}",
            f"--window-size={width},{height}",
            f"--screenshot={png_path}",
            _page_url(html_path),
        ],
        timeout,
    )
    if not png_path.exists():
        raise RuntimeError(
            f"chromium --screenshot wrote nothing ({done.returncode}): "
            f"{done.stderr.decode(errors='replace')[-2000:]}"
        )
    return png_path


# ----------------------------------------------------------------------------- HTML checks
class _Links(HTMLParser):
    ATTRS = ("src", "href", "data", "poster", "action")

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if (
                name in self.ATTRS
                and value
                and value.strip().lower().startswith(("http://", "https://", "//"))
            ):
                self.urls.append(f"<{tag} {name}={value.strip()}>")


def external_urls(html_text: str) -> list[str]:
    """Tags whose src/href/data/poster/action point off the page's own folder (http(s), //)."""
    parser = _Links()
    parser.feed(html_text)
    parser.close()
    return parser.urls


def count_class(html_text: str, name: str) -> int:
    """Elements whose class list contains ``name`` (in serialized DOM or source HTML)."""

    class Counter(HTMLParser):
        n = 0

        def handle_starttag(self, tag, attrs):
            classes = dict(attrs).get("class") or ""
            self.n += name in classes.split()

    counter = Counter(convert_charrefs=True)
    counter.feed(html_text)
    counter.close()
    return counter.n


# ----------------------------------------------------------------------------- PNG
@dataclass(frozen=True)
class PngStats:
    width: int
    height: int
    colours: int  # distinct RGB colours
    saturated: float  # share of pixels with max(rgb) - min(rgb) > 60: chart ink, not text


def _paeth_row(row: bytearray, prev: bytes, bpp: int) -> None:
    for i in range(len(row)):
        a = row[i - bpp] if i >= bpp else 0
        b = prev[i]
        c = prev[i - bpp] if i >= bpp else 0
        p = a + b - c
        pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
        pred = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
        row[i] = (row[i] + pred) & 0xFF


def _average_row(row: bytearray, prev: bytes, bpp: int) -> None:
    for i in range(len(row)):
        a = row[i - bpp] if i >= bpp else 0
        row[i] = (row[i] + ((a + prev[i]) >> 1)) & 0xFF


def read_png(path: str | Path) -> np.ndarray:
    """Pixels of an 8-bit, non-interlaced PNG as a ``(height, width, channels)`` uint8 array."""
    data = Path(path).read_bytes()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError(f"{path} is not a PNG file")
    pos, idat, header = 8, bytearray(), None
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind, body = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]
        pos += 12 + length
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        elif kind == b"IEND":
            break
    if header is None:
        raise ValueError(f"{path}: no IHDR chunk")
    width, height, depth, colour_type, _, _, interlace = header
    channels = {0: 1, 2: 3, 4: 2, 6: 4}.get(colour_type)
    if depth != 8 or interlace or channels is None:
        raise ValueError(
            f"{path}: only 8-bit non-interlaced grey/RGB(A) PNGs are supported "
            f"(depth={depth}, colour type={colour_type}, interlace={interlace})"
        )
    raw = zlib.decompress(bytes(idat))
    stride = width * channels
    pixels = np.zeros((height, stride), dtype=np.uint8)
    prev = np.zeros(stride, dtype=np.uint8)
    for y in range(height):
        start = y * (stride + 1)
        kind = raw[start]
        row = np.frombuffer(raw, dtype=np.uint8, count=stride, offset=start + 1).copy()
        if kind == 1:  # Sub: running sum per channel, modulo 256
            row = np.cumsum(row.reshape(width, channels), axis=0, dtype=np.uint8).ravel()
        elif kind == 2:  # Up
            row = row + prev
        elif kind == 3:
            buf = bytearray(row.tobytes())
            _average_row(buf, prev.tobytes(), channels)
            row = np.frombuffer(bytes(buf), dtype=np.uint8)
        elif kind == 4:
            buf = bytearray(row.tobytes())
            _paeth_row(buf, prev.tobytes(), channels)
            row = np.frombuffer(bytes(buf), dtype=np.uint8)
        elif kind != 0:
            raise ValueError(f"{path}: unknown PNG filter {kind} in row {y}")
        pixels[y] = row
        prev = pixels[y]
    return pixels.reshape(height, width, channels)


def png_stats(path: str | Path) -> PngStats:
    """Distinct colours and share of strongly coloured pixels in a PNG."""
    pixels = read_png(path)
    height, width, channels = pixels.shape
    rgb = pixels[..., :3] if channels >= 3 else np.repeat(pixels[..., :1], 3, axis=2)
    rgb = rgb.astype(np.int32)
    packed = (rgb[..., 0] << 16) | (rgb[..., 1] << 8) | rgb[..., 2]
    spread = rgb.max(axis=2) - rgb.min(axis=2)
    return PngStats(
        width=width,
        height=height,
        colours=int(np.unique(packed).size),
        saturated=float((spread > 60).mean()),
    )


# ----------------------------------------------------------------------------- JupyterLab
def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class LabServer:
    url: str  # http://127.0.0.1:PORT/
    token: str
    root_dir: Path
    proc: subprocess.Popen
    log: Path

    def api(self, method: str, path: str, timeout: float = 10) -> object:
        request = urllib.request.Request(
            f"{self.url}{path.lstrip('/')}",
            method=method,
            headers={"Authorization": f"token {self.token}"},
        )
        with urllib.request.urlopen(request, timeout=timeout) as response:
            body = response.read()
        return json.loads(body) if body else None

    def log_tail(self, n: int = 4000) -> str:
        return self.log.read_text(errors="replace")[-n:] if self.log.exists() else ""

    def shutdown_kernels(self) -> None:
        """Shut every kernel down through the REST API (sessions first, then strays)."""
        for session in self.api("GET", "api/sessions") or []:
            self.api("DELETE", f"api/sessions/{session['id']}", timeout=30)
        for kernel in self.api("GET", "api/kernels") or []:
            self.api("DELETE", f"api/kernels/{kernel['id']}", timeout=30)


@contextmanager
def jupyter_lab(root_dir: str | Path, *, timeout: float = 120) -> Iterator[LabServer]:
    """A private JupyterLab server on 127.0.0.1, stopped by its own PID on exit."""
    root_dir = Path(root_dir).resolve()
    state = Path(tempfile.mkdtemp(prefix="rfvkit-lab-"))
    port, token = free_port(), secrets.token_hex(16)
    env = {
        **os.environ,
        "JUPYTER_RUNTIME_DIR": str(state / "runtime"),
        "JUPYTERLAB_SETTINGS_DIR": str(state / "settings"),
        "JUPYTERLAB_WORKSPACES_DIR": str(state / "workspaces"),
        "PYDEVD_DISABLE_FILE_VALIDATION": "1",
    }
    # Never write to the notebooks under test (no autosave), no news/update toasts.
    for plugin, values in {
        "docmanager-extension/plugin": {"autosave": False},
        "apputils-extension/notification": {"fetchNews": "false", "checkForUpdates": False},
    }.items():
        path = state / "settings" / "@jupyterlab" / f"{plugin}.jupyterlab-settings"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values))
    cmd = [
        sys.executable, "-m", "jupyterlab",
        "--no-browser",
        f"--port={port}",
        "--ServerApp.port_retries=0",
        "--ServerApp.ip=127.0.0.1",
        f"--IdentityProvider.token={token}",
        "--allow-root",
        f"--ServerApp.root_dir={root_dir}",
        "--LabApp.news_url=None",
        "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
        "--LabApp.extension_manager=readonly",
    ]  # fmt: skip
    log = state / "server.log"
    with log.open("wb") as sink:
        proc = subprocess.Popen(cmd, stdout=sink, stderr=subprocess.STDOUT, env=env, cwd=root_dir)
    server = LabServer(f"http://127.0.0.1:{port}/", token, root_dir, proc, log)
    try:
        deadline = time.monotonic() + timeout
        while True:
            if proc.poll() is not None:
                raise RuntimeError(
                    f"jupyter lab exited with {proc.returncode}:\n{server.log_tail()}"
                )
            try:
                server.api("GET", "api/status", timeout=5)
                break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                if time.monotonic() > deadline:
                    raise TimeoutError(
                        f"jupyter lab not ready in {timeout:.0f} s:\n{server.log_tail()}"
                    ) from None
                time.sleep(0.5)
        yield server
    finally:
        try:
            if proc.poll() is None:
                server.shutdown_kernels()
        except (urllib.error.URLError, OSError):
            pass  # the server is going away anyway; its kernels die with it
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=30)
        shutil.rmtree(state, ignore_errors=True)


@dataclass
class LabRun:
    """What a notebook run in JupyterLab showed."""

    notebook: str
    seconds: float
    cells: int
    plotly_charts: int  # rendered charts anywhere (.js-plotly-plot with .main-svg)
    widget_charts: int  # rendered charts inside a widget (an explorer's Output)
    widgets: int  # widget views (.jupyter-widgets)
    sliders: int  # slider widgets
    tracebacks: list[str] = field(default_factory=list)
    screenshot: Path | None = None
    then: object = None  # what the ``then`` callback returned


def _driver(window: tuple[int, int] = (1400, 1000)):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in (*BASE_FLAGS, NO_DNS, f"--window-size={window[0]},{window[1]}"):
        options.add_argument("--headless=new" if flag == "--headless" else flag)
    # Path to chromedriver + binary_location: Selenium Manager is never asked to download.
    service = Service(executable_path=str(CHROMEDRIVER))
    return webdriver.Chrome(service=service, options=options)


_STATE_JS = """
const cells = document.querySelectorAll('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-CodeCell');
const prompts = [...document.querySelectorAll(
    '.jp-NotebookPanel:not(.lm-mod-hidden) .jp-CodeCell .jp-InputPrompt')].map(p => p.textContent);
const drawn = sel => [...document.querySelectorAll(sel)].filter(
    e => e.querySelector('.main-svg')).length;
const errors = [...document.querySelectorAll(
    '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]')]
    .map(e => e.textContent).filter(t => t.includes('Traceback') || t.includes('Error'));
return {
  cells: cells.length,
  running: prompts.filter(t => t.includes('*')).length,
  executed: prompts.filter(t => /\\[\\d+\\]/.test(t)).length,
  plotly: drawn('.jp-OutputArea .js-plotly-plot'),
  widget_plotly: drawn('.jupyter-widgets .js-plotly-plot'),
  widgets: document.querySelectorAll('.jp-OutputArea .jupyter-widgets').length,
  sliders: document.querySelectorAll('.jp-OutputArea .widget-slider').length,
  dialogs: document.querySelectorAll('.jp-Dialog').length,
  errors: errors.map(t => t.slice(0, 2000)),
};
"""


def _poll(check, timeout: float, what: str, interval: float = 0.5):
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(interval)


def _menu_command(driver, menu: str, commands: tuple[str, ...]) -> bool:
    """Click ``menu`` in the menu bar, then the first enabled item running one of ``commands``."""
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    labels = [
        m
        for m in driver.find_elements(By.CSS_SELECTOR, ".lm-MenuBar-itemLabel")
        if m.text.strip() == menu
    ]
    if not labels:
        return False
    labels[0].click()
    selector = ", ".join(f'li.lm-Menu-item[data-command="{c}"]' for c in commands)
    items = [
        item
        for item in driver.find_elements(By.CSS_SELECTOR, selector)
        if item.is_displayed() and "lm-mod-disabled" not in (item.get_attribute("class") or "")
    ]
    if not items:  # menu not ready (notebook still loading): close it, the caller retries
        ActionChains(driver).send_keys(Keys.ESCAPE).perform()
        return False
    items[0].click()
    return True


# Command ids of "Edit > Clear Outputs of All Cells" and "Run > Run All Cells"; they moved
# between JupyterLab versions, so both spellings are accepted.
CLEAR_ALL = ("editmenu:clear-all", "notebook:clear-all-cell-outputs")
RUN_ALL = ("runmenu:run-all", "notebook:run-all-cells")


def run_in_lab(
    server: LabServer,
    notebook: str,
    *,
    timeout: float = 240,
    screenshot_to: str | Path | None = None,
    expect_widgets: bool = True,
    then: Callable[[object], object] | None = None,
) -> LabRun:
    """Open ``notebook`` (path relative to the server root) in JupyterLab and run all cells.

    Clears stored outputs, runs all cells from the Run menu, then waits until every code
    cell has an execution count and none is running, and, when ``expect_widgets``, until
    a drawn plotly chart and a widget are on the page (or a traceback appears). Then
    ``then(driver)`` runs, e.g. to move a slider (see :func:`set_slider`), and the
    screenshot is taken. Kernels are shut down and the browser closed before returning.
    """
    started = time.monotonic()
    workspace = f"test-{secrets.token_hex(4)}"
    url = f"{server.url}lab/workspaces/{workspace}/tree/{notebook}?reset&token={server.token}"
    driver = _driver()
    state: dict = {}

    def look() -> dict:
        nonlocal state
        state = driver.execute_script(_STATE_JS)
        return state

    def kernel_idle() -> bool:
        return any(
            s["path"] == notebook
            and s["kernel"]["execution_state"] == "idle"
            and s["kernel"].get("connections", 1) >= 1
            for s in server.api("GET", "api/sessions")
        )

    def cleared() -> bool:
        return _menu_command(driver, "Edit", CLEAR_ALL) and not look()["executed"]

    def run_all_started() -> bool:
        # A click that lands while the panel is still wiring up its session does
        # nothing: click again until some cell is queued or has run.
        if not _menu_command(driver, "Run", RUN_ALL):
            return False
        with suppress(TimeoutError):
            return _poll(lambda: look()["running"] + look()["executed"], 15, "a cell to start")
        return False

    def finished() -> bool:
        look()
        if state["dialogs"]:  # e.g. a kernel chooser: accept the default
            for button in driver.find_elements("css selector", ".jp-Dialog .jp-mod-accept"):
                button.click()
            return False
        done = state["running"] == 0 and state["executed"] == state["cells"]
        if expect_widgets:
            done = done and state["plotly"] >= 1 and state["widgets"] >= 1
        return done or bool(state["errors"])

    try:
        driver.set_page_load_timeout(timeout)
        driver.get(url)
        _poll(lambda: look()["cells"], timeout, f"{notebook} to open in JupyterLab")
        _poll(kernel_idle, timeout, f"the kernel of {notebook} to start and go idle")
        _poll(cleared, 60, "Edit > Clear Outputs of All Cells")
        _poll(run_all_started, timeout, "Run > Run All Cells to start the notebook", 1.0)
        try:
            _poll(finished, timeout, "all cells to run and a chart and a widget to render", 1.0)
        except TimeoutError as exc:
            raise TimeoutError(f"{exc}; last state: {state}") from None
        after = then(driver) if then is not None and not state["errors"] else None
        if screenshot_to is not None:
            driver.save_screenshot(str(screenshot_to))
    finally:
        try:
            server.shutdown_kernels()
        finally:
            driver.quit()
    return LabRun(
        notebook=notebook,
        seconds=time.monotonic() - started,
        cells=state["cells"],
        plotly_charts=state["plotly"],
        widget_charts=state["widget_plotly"],
        widgets=state["widgets"],
        sliders=state["sliders"],
        tracebacks=state["errors"],
        screenshot=Path(screenshot_to) if screenshot_to is not None else None,
        then=after,
    )


def set_slider(driver, label: str, value: int) -> str:
    """Type ``value`` into the readout of the slider widget labelled ``label``, as a user would.

    Returns the readout's text before the change.
    """
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    def find():
        for slider in driver.find_elements(By.CSS_SELECTOR, ".jupyter-widgets.widget-slider"):
            names = slider.find_elements(By.CSS_SELECTOR, ".widget-label")
            if names and names[0].text.strip() == label:
                return slider.find_element(By.CSS_SELECTOR, ".widget-readout")
        return None

    readout = _poll(find, 30, f"a slider labelled {label!r}")
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", readout)
    before = readout.text.strip()
    readout.click()
    readout.send_keys(Keys.CONTROL, "a")
    readout.send_keys(str(value))
    readout.send_keys(Keys.ENTER)
    return before


def widget_chart_ticks(driver) -> list[list[str]]:
    """x-axis tick labels of every plotly chart drawn inside a widget, in page order."""
    return driver.execute_script(
        "return [...document.querySelectorAll('.jupyter-widgets .js-plotly-plot')].map("
        "p => [...p.querySelectorAll('.xtick text')].map(t => t.textContent));"
    )


def wait_for(check: Callable[[], object], timeout: float, what: str) -> object:
    """Poll ``check`` every half second until it returns something truthy."""
    return _poll(check, timeout, what)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    shot = sub.add_parser("screenshot", help="PNG of an HTML page, rendered offline")
    shot.add_argument("html")
    shot.add_argument("png")
    shot.add_argument("--width", type=int, default=1280)
    shot.add_argument("--height", type=int, default=1600)
    args = parser.parse_args(argv)
    out = screenshot(args.html, args.png, args.width, args.height)
    stats = png_stats(out)
    print(f"{out}: {stats.width}x{stats.height}, {stats.colours} colours")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

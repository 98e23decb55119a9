"""Ingest throughput: batch endpoint and single OsmAnd requests vs raw Redis GEOADD.

Starts the real app as ``make demo`` serves it (``python -m shouwang serve``,
threaded Werkzeug, its own process) on a free port with the pilot data, an
embedded Redis (or ``REDIS_URL``) and a throw-away SQLite file (or
``DATABASE_URL``), then measures over HTTP from client threads in this
process:

- batch: ``POST /api/v1/positions`` with 100 fixes per request;
- OsmAnd: one ``GET /api/v1/ingest/osmand`` per fix (what a phone sends);
- baseline: raw ``GEOADD`` of the same number of positions to the same Redis,
  one pipelined call per 100 (the floor any ingest path stands on).

Run: ``.venv/bin/python bench/ingest.py [--fixes 20000] [--threads 4]``
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import requests
from tqdm import tqdm

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from live.state.redisconn import connect_redis
from shouwang.dataset import load_dataset
from shouwang.settings import ROOT, load_settings


def _fixes(guards, n: int, t0: float) -> list[dict]:
    """n plausible fixes walking slowly round each guard's post, time-ordered per guard."""
    rng = np.random.default_rng(1)
    g = len(guards)
    rows = []
    for i in range(n):
        r = guards[i % g]
        step = i // g
        rows.append(
            {
                "device_id": r[0],
                "lat": r[2] + 1e-6 * step + rng.normal(0, 2e-6),
                "lon": r[1] + rng.normal(0, 2e-6),
                "ts": t0 + step * 0.5,  # 0.5 s apart per guard: slow walking speed
                "accuracy_m": 8.0,
                "speed_mps": 0.3,
                "heading_deg": 0.0,
                "battery_pct": 80.0,
            }
        )
    return rows


def bench_batch(url: str, fixes: list[dict], threads: int, size: int = 100) -> float:
    # Each guard's fixes must arrive in time order: one thread per slice of guards.
    by_thread: list[list[dict]] = [[] for _ in range(threads)]
    devices = sorted({f["device_id"] for f in fixes})
    owner = {d: i % threads for i, d in enumerate(devices)}
    for f in fixes:
        by_thread[owner[f["device_id"]]].append(f)
    bar = tqdm(total=len(fixes), desc="batch   ", unit="fix")

    def worker(chunk: list[dict]) -> int:
        s = requests.Session()
        accepted = 0
        for i in range(0, len(chunk), size):
            body = s.post(f"{url}/api/v1/positions", json=chunk[i : i + size], timeout=30).json()
            accepted += body["accepted"]
            bar.update(len(chunk[i : i + size]))
        return accepted

    started = time.perf_counter()
    with ThreadPoolExecutor(threads) as pool:
        accepted = sum(pool.map(worker, by_thread))
    elapsed = time.perf_counter() - started
    bar.close()
    if accepted != len(fixes):
        print(f"  note: {len(fixes) - accepted} fixes rejected by filters", file=sys.stderr)
    return len(fixes) / elapsed


def bench_osmand(url: str, fixes: list[dict], threads: int) -> float:
    devices = sorted({f["device_id"] for f in fixes})
    owner = {d: i % threads for i, d in enumerate(devices)}
    by_thread: list[list[dict]] = [[] for _ in range(threads)]
    for f in fixes:
        by_thread[owner[f["device_id"]]].append(f)
    bar = tqdm(total=len(fixes), desc="osmand  ", unit="fix")

    def worker(chunk: list[dict]) -> None:
        s = requests.Session()
        for f in chunk:
            params = {
                "id": f["device_id"],
                "lat": f["lat"],
                "lon": f["lon"],
                "timestamp": f["ts"],
                "speed": f["speed_mps"] / 0.514444,
                "bearing": f["heading_deg"],
                "accuracy": f["accuracy_m"],
                "batt": f["battery_pct"],
            }
            s.get(f"{url}/api/v1/ingest/osmand", params=params, timeout=30).raise_for_status()
            bar.update()

    started = time.perf_counter()
    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(worker, by_thread))
    elapsed = time.perf_counter() - started
    bar.close()
    return len(fixes) / elapsed


def bench_geoadd(client, fixes: list[dict], size: int = 100) -> float:
    key = "bench:geoadd"
    client.delete(key)
    started = time.perf_counter()
    for i in range(0, len(fixes), size):
        values: list = []
        for f in fixes[i : i + size]:
            values += [f["lon"], f["lat"], f["device_id"]]
        client.geoadd(key, values)
    elapsed = time.perf_counter() - started
    client.delete(key)
    return len(fixes) / elapsed


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _serve(state: str, redis_url: str) -> tuple[subprocess.Popen, str]:
    """Start ``python -m shouwang serve`` as make demo would, without the simulator."""
    port = _free_port()
    env = {
        **os.environ,
        "PORT": str(port),
        "STATE_DIR": state,
        "REDIS_URL": redis_url,
        "STORE_PREFIX": f"bench:{os.getpid()}:",
        "LOG_LEVEL": "WARNING",
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "shouwang", "serve"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if requests.get(f"{url}/api/v1/health", timeout=2).ok:
                return proc, url
        except requests.ConnectionError:
            time.sleep(0.3)
    proc.kill()
    raise RuntimeError(f"server did not start: {proc.stderr.read()[-2000:]}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--fixes", type=int, default=20_000, help="fixes per measurement")
    parser.add_argument(
        "--osmand-fixes",
        type=int,
        default=4_000,
        help="fixes for the one-request-per-fix measurement",
    )
    parser.add_argument("--threads", type=int, default=4, help="client threads")
    args = parser.parse_args()

    dataset = load_dataset(load_settings().DATA_DIR)
    guards = [(str(r.device_id), r.post_lon, r.post_lat) for r in dataset.guards.itertuples()]
    with tempfile.TemporaryDirectory() as state:
        # The server runs in its own process (as in production) so client threads do
        # not share its interpreter; Redis is ours, so the baseline hits the same one.
        handle = connect_redis(os.environ.get("REDIS_URL"), state)
        proc, url = _serve(state, handle.url)
        try:
            now = time.time()
            baseline = bench_geoadd(handle.client, _fixes(guards, args.fixes, now))
            batch = bench_batch(url, _fixes(guards, args.fixes, now - 3000), args.threads)
            osmand = bench_osmand(url, _fixes(guards, args.osmand_fixes, now - 600), args.threads)
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(30)
            handle.close()
    where = "embedded Redis" if not os.environ.get("REDIS_URL") else os.environ["REDIS_URL"]
    print(f"\nIngest throughput ({where}, server process + {args.threads} client threads)")
    print(f"{'path':<34}{'fixes/s':>10}{'vs GEOADD':>12}")
    print(f"{'raw Redis GEOADD, 100 per call':<34}{baseline:>10,.0f}{1.0:>11.2f}x")
    print(f"{'POST /api/v1/positions, 100/req':<34}{batch:>10,.0f}{batch / baseline:>11.3f}x")
    print(f"{'GET /api/v1/ingest/osmand, 1/req':<34}{osmand:>10,.0f}{osmand / baseline:>11.4f}x")


if __name__ == "__main__":
    main()

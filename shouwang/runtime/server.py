"""Serve one Shouwang process: ``python -m shouwang demo`` or ``serve``.

``demo`` serves the app with the pilot data and, unless ``SIMULATE=0``, the
guard simulator sending fixes through the real HTTP ingest. ``serve`` is the
same without the simulator. Ctrl-C (or SIGTERM) stops everything this
process started: the simulator, the history writer (after it has copied
what is waiting into SQL) and the embedded Redis.
"""

from __future__ import annotations

import logging
import signal
import sys
import threading
import time
from types import FrameType
from typing import NoReturn

from shouwang.dataset import DatasetError
from shouwang.runtime.app import build_context, create_app
from shouwang.settings import Settings
from shouwang.sim.simulator import Simulator

log = logging.getLogger("shouwang")


def _raise_keyboard_interrupt(signum: int, frame: FrameType | None) -> NoReturn:
    raise KeyboardInterrupt


def serve(settings: Settings, simulate: bool) -> int:
    """Build everything, serve until interrupted, then stop it all; the exit code."""
    logging.basicConfig(
        level=settings.LOG_LEVEL, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    # Werkzeug logs every request at INFO (phones send one a second each) and
    # warns about itself at start; Alembic narrates every migration step.
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    logging.getLogger("alembic").setLevel(logging.WARNING)
    signal.signal(signal.SIGTERM, _raise_keyboard_interrupt)

    started = time.perf_counter()
    try:
        ctx = build_context(settings)
    except DatasetError as exc:
        print(f"The data set in {settings.DATA_DIR} has problems:\n{exc}", file=sys.stderr)
        return 2
    simulator = None
    try:
        app = create_app(ctx)
        ctx.start_background()
        url = f"http://{settings.HOST}:{settings.PORT}/"
        if simulate:
            simulator = Simulator(
                base_url=f"http://127.0.0.1:{settings.PORT}",
                dataset=ctx.dataset,
                speedup=settings.SIMULATOR_SPEEDUP,
                tz=settings.TIMEZONE,
            )
            # Starts sending once the server answers; it waits for it by itself.
            threading.Thread(target=simulator.run, name="simulator", daemon=True).start()
        redis_where = "embedded Redis" if ctx.redis.embedded else settings.REDIS_URL
        print(
            f"\n  Shouwang 守望 is running: {url}\n"
            f"  guards: {len(ctx.dataset.guards)}, Redis: {redis_where}, "
            f"SQL: {ctx.engine.dialect.name}, simulator: {'on' if simulate else 'off'}\n"
            f"  ready in {time.perf_counter() - started:.1f} s; Ctrl-C stops everything.\n",
            flush=True,
        )
        ctx.socketio.run(
            app,
            host=settings.HOST,
            port=settings.PORT,
            allow_unsafe_werkzeug=True,
            use_reloader=False,
            log_output=False,
        )
    except KeyboardInterrupt:
        pass
    finally:
        print("\n  stopping…", flush=True)
        if simulator is not None:
            simulator.stop()
        ctx.close()
        print("  stopped (history copied to SQL, embedded Redis shut down).", flush=True)
    return 0

"""The simulator's guards answer dispatch tasks by themselves (the demo's auto-responder),
against the real app served over HTTP (real Redis, real SQL, the pilot data)."""

from __future__ import annotations

import threading
import time
from urllib.parse import quote

import pytest
import requests

from shouwang.sim.simulator import Simulator

TZ = "Asia/Shanghai"


@pytest.fixture
def served(settings, redis_handle, clean_engine, pilot):
    """The app with its background jobs (arrival detection), served on a free port."""
    from werkzeug.serving import make_server

    from shouwang.runtime.app import build_context, create_app

    ctx = build_context(settings, redis_handle=redis_handle, engine=clean_engine, dataset=pilot)
    server = make_server("127.0.0.1", 0, create_app(ctx), threaded=True)
    ctx.start_background()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", ctx
    server.shutdown()
    thread.join(5)
    ctx.close()
    ctx.store.wipe()


def wait(predicate, timeout_s: float, step_s: float = 0.25):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = predicate()
        if value is not None and value is not False:
            return value
        time.sleep(step_s)
    return None


def test_a_simulated_guard_accepts_walks_arrives_and_clears_by_himself(served, pilot):
    url, ctx = served
    api = f"{url}/api/v1"
    sim = Simulator(
        url, pilot, speedup=10.0, seed=7, tz=TZ, report_every_s=1.0,
        auto_respond={"poll_s": 0.5, "ack_delay_s": (0.5, 1.0), "clear_after_s": 2.0},
    )  # fmt: skip
    runner = threading.Thread(target=sim.run, daemon=True)
    runner.start()
    try:

        def someone_on_post():
            states = ctx.store.states()
            ready = states[(states["status"] == "on_post") & states["lon"].notna()]
            return None if ready.empty else ready.iloc[0]

        guard = wait(someone_on_post, 30)
        assert guard is not None, "no simulated guard on post"
        # An incident ~50 m from him, and he is sent (as a dispatcher does).
        body = {"kind": "dispute", "priority": 2, "lon": float(guard.lon) + 0.0005,
                "lat": float(guard.lat), "description": "模拟"}  # fmt: skip
        actor = {"X-Actor": quote("张警官")}
        incident = requests.post(f"{api}/incidents", json=body, headers=actor, timeout=10).json()
        iid = incident["incident_id"]
        sent = requests.post(f"{api}/incidents/{iid}/assign", json={"guard_ids": [guard.guard_id]},
                             headers=actor, timeout=10)  # fmt: skip
        assert sent.status_code == 201, sent.text
        aid = sent.json()["assignments"][0]["assignment_id"]

        def status():
            return ctx.dispatch.get(iid)["assignments"][0]["status"]

        assert wait(lambda: status() in ("en_route", "on_scene", "cleared"), 30), status()
        assert wait(lambda: status() in ("on_scene", "cleared"), 60), status()
        assert wait(lambda: status() == "cleared", 30), status()
        inc = ctx.dispatch.get(iid)
        assert inc["status"] == "closed"
        steps = {e["kind"]: e for e in inc["timeline"] if e["assignment_id"] == aid}
        for step in ("acknowledged", "en_route", "on_scene", "cleared"):
            assert step in steps
        assert steps["acknowledged"]["actor"] == f"guard:{guard.guard_id}"
        # His own fixes brought him within the arrival radius: the server set him on scene.
        assert steps["on_scene"]["detail"].get("arrival") == "auto"
        assert sim.responder.steps >= 3
        # Released, he walks back and is no longer dispatched.
        assert wait(lambda: ctx.store.states().set_index("guard_id").loc[guard.guard_id,
                    "status"] != "dispatched", 10)  # fmt: skip
    finally:
        sim.stop()
        runner.join(3)


def test_a_task_ended_by_the_dispatcher_sends_the_guard_back(served, pilot):
    url, ctx = served
    api = f"{url}/api/v1"
    sim = Simulator(url, pilot, speedup=10.0, seed=8, tz=TZ, report_every_s=1.0,
                    auto_respond={"poll_s": 0.5, "ack_delay_s": (0.2, 0.4)})  # fmt: skip
    runner = threading.Thread(target=sim.run, daemon=True)
    runner.start()
    try:

        def someone_on_post():
            states = ctx.store.states()
            ready = states[(states["status"] == "on_post") & states["lon"].notna()]
            return None if ready.empty else ready.iloc[0]

        guard = wait(someone_on_post, 30)
        body = {"kind": "fraud", "lon": float(guard.lon) + 0.004, "lat": float(guard.lat)}
        iid = requests.post(f"{api}/incidents", json=body, timeout=10).json()["incident_id"]
        requests.post(f"{api}/incidents/{iid}/assign", json={"guard_ids": [guard.guard_id]},
                      timeout=10).raise_for_status()  # fmt: skip
        assert wait(lambda: ctx.dispatch.get(iid)["assignments"][0]["status"] == "en_route", 30)
        requests.post(f"{api}/incidents/{iid}/cancel", timeout=10).raise_for_status()
        # The responder notices the task is gone and stops playing it.
        assert wait(lambda: not sim.responder._tasks, 20)
        assert ctx.dispatch.get(iid)["assignments"][0]["status"] == "cancelled"
    finally:
        sim.stop()
        runner.join(3)

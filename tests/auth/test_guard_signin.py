"""Guard sign-in: demo PINs hashed, tokens, failed-PIN counting and lock-out, refusals."""

from __future__ import annotations

import os
import subprocess
import sys

import sqlalchemy as sa

from shouwang.auth.guards import demo_pin, load_secret_key, verify_pin
from shouwang.records.fieldops_tables import guard_pins, guard_signins
from shouwang.settings import ROOT
from tests.fieldops.test_fieldops_helpers import guard_row


def _signin(client, device_id: str, pin: str):
    return client.post("/api/v1/guard/signin", json={"device_id": device_id, "pin": pin})


def _signins(engine, device_id: str) -> list[tuple[bool, str]]:
    with engine.connect() as conn:
        return [
            (bool(ok), reason)
            for ok, reason in conn.execute(
                sa.select(guard_signins.c.ok, guard_signins.c.reason)
                .where(guard_signins.c.device_id == device_id)
                .order_by(guard_signins.c.id)
            )
        ]


def test_demo_pins_are_stored_only_as_salted_hashes(ctx):
    r = guard_row(ctx, "G001")
    with ctx.engine.connect() as conn:
        rows = conn.execute(
            sa.select(guard_pins).where(guard_pins.c.guard_id.in_(["G001", "G002"]))
        )
        stored = {row.guard_id: row.pin_hash for row in rows}
    pin = demo_pin(str(r.phone))
    assert pin == str(r.phone)[-4:]
    assert pin not in stored["G001"] and verify_pin(pin, stored["G001"])
    assert not verify_pin("0000" if pin != "0000" else "1111", stored["G001"])
    assert stored["G001"].split("$")[4] != stored["G002"].split("$")[4]  # own salt each
    g = ctx.dataset.guards
    phones = dict(zip(g["guard_id"], g["phone"].astype(str), strict=True))
    assert ctx.fieldops.auth.seed_demo_pins(phones) == 0  # seeded once; a restart adds none


def test_serve_seeds_no_demo_pins(settings, redis_handle, clean_engine, pilot, clock):
    """Demo PINs are a demo convenience: off unless DEMO_PINS (make demo) says so."""
    from shouwang.runtime.app import build_context, create_app

    with clean_engine.begin() as conn:
        conn.execute(guard_pins.delete())
    served = build_context(
        settings.replace(DEMO_PINS=False), clock=clock, redis_handle=redis_handle,
        engine=clean_engine, dataset=pilot,
    )  # fmt: skip
    try:
        with clean_engine.connect() as conn:
            assert conn.execute(sa.select(sa.func.count()).select_from(guard_pins)).scalar() == 0
        first = pilot.guards.iloc[0]
        refused = _signin(
            create_app(served).test_client(), str(first.device_id), demo_pin(str(first.phone))
        )
        assert refused.status_code == 401, refused.get_json()
    finally:
        served.close()
        served.store.wipe()


def test_good_pin_gives_a_token_that_opens_the_guard_endpoints(ctx, app):
    client = app.test_client()
    r = guard_row(ctx, "G002")
    resp = _signin(client, str(r.device_id), demo_pin(str(r.phone)))
    assert resp.status_code == 200, resp.get_json()
    body = resp.get_json()
    assert body["guard_id"] == "G002" and body["guard"]["name"] == r["name"]
    assert (
        "HttpOnly" in resp.headers["Set-Cookie"] and "SameSite=Strict" in resp.headers["Set-Cookie"]
    )
    fresh = app.test_client()  # no cookie: the Bearer header alone
    me = fresh.get("/api/v1/guard/me", headers={"Authorization": f"Bearer {body['token']}"})
    assert me.status_code == 200 and me.get_json()["guard"]["guard_id"] == "G002"
    assert client.get("/api/v1/guard/me").status_code == 200  # the cookie alone
    assert _signins(ctx.engine, str(r.device_id))[-1] == (True, "ok")


def test_guard_endpoints_refuse_without_a_valid_token(app):
    client = app.test_client()
    for method, path in (
        ("get", "/api/v1/guard/me"),
        ("post", "/api/v1/rollcalls/RC-x/answer"),
        ("post", "/api/v1/reinforcements/RF-x/respond"),
        ("post", "/api/v1/reports"),
    ):
        resp = getattr(client, method)(path)
        assert resp.status_code == 401, path
        assert resp.get_json()["error"]["code"] == "invalid_token"
        forged = getattr(client, method)(path, headers={"Authorization": "Bearer abc.def.ghi"})
        assert forged.status_code == 401, path


def test_bad_pins_are_counted_and_the_device_locked_out(ctx, app):
    client = app.test_client()
    r = guard_row(ctx, "G003")
    device, good = str(r.device_id), demo_pin(str(r.phone))
    wrong = "9999" if good != "9999" else "8888"
    first = _signin(client, device, wrong)
    assert first.status_code == 401 and first.get_json()["error"]["code"] == "bad_credentials"
    assert ctx.fieldops.auth.failures(device) == 1
    unknown = _signin(client, "no-such-device", good)
    assert unknown.status_code == 401  # same answer: no hint which devices exist
    for _ in range(ctx.fieldops.auth.max_failures - 1):
        assert _signin(client, device, wrong).status_code == 401
    locked = _signin(client, device, good)  # even the right PIN waits now
    assert locked.status_code == 429
    assert locked.get_json()["error"]["code"] == "locked_out"
    assert 0 < int(locked.headers["Retry-After"]) <= ctx.fieldops.auth.window_s
    log = _signins(ctx.engine, device)
    assert log[-1] == (False, "locked_out")
    assert log.count((False, "bad_pin")) == ctx.fieldops.auth.max_failures
    assert _signins(ctx.engine, "no-such-device")[-1] == (False, "unknown_device")
    invalid = client.post("/api/v1/guard/signin", json={"device_id": "", "pin": 1234})
    assert invalid.status_code == 400
    assert {d["field"] for d in invalid.get_json()["error"]["details"]} == {"device_id", "pin"}


def test_changing_the_pin_ends_old_sessions(ctx, app, tmp_path):
    client = app.test_client()
    r = guard_row(ctx, "G006")
    old = _signin(client, str(r.device_id), demo_pin(str(r.phone))).get_json()["token"]
    env = {
        **os.environ,
        "DATABASE_URL": ctx.engine.url.render_as_string(hide_password=False),
        "STATE_DIR": str(tmp_path),
        "PYTHONPATH": str(ROOT),
    }
    done = subprocess.run(
        [sys.executable, "-m", "shouwang", "set-pin", "G006", "--stdin"],
        input="482913\n", capture_output=True, text=True, env=env, cwd=ROOT, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    fresh = app.test_client()
    stale = fresh.get("/api/v1/guard/me", headers={"Authorization": f"Bearer {old}"})
    assert stale.status_code == 401
    assert _signin(fresh, str(r.device_id), demo_pin(str(r.phone))).status_code == 401
    assert _signin(fresh, str(r.device_id), "482913").status_code == 200
    bad = subprocess.run(
        [sys.executable, "-m", "shouwang", "set-pin", "G006", "--stdin"],
        input="12ab\n", capture_output=True, text=True, env=env, cwd=ROOT, timeout=120,
    )  # fmt: skip
    assert bad.returncode == 1 and "4 to 8 digits" in bad.stderr


def test_secret_key_is_made_once_and_kept(tmp_path):
    first = load_secret_key(None, tmp_path)
    assert len(first) > 40 and load_secret_key(None, tmp_path) == first
    assert (tmp_path / "secret_key").stat().st_mode & 0o777 == 0o600
    assert load_secret_key("configured", tmp_path) == "configured"

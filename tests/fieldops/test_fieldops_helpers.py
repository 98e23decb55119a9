"""Helpers shared by the field-operations tests (guards on duty, fixes, sign-in)."""

from __future__ import annotations

from shouwang.auth.guards import demo_pin


def guard_row(ctx, guard_id: str):
    g = ctx.dataset.guards
    return g.loc[g["guard_id"] == guard_id].iloc[0]


def put_on_duty(ctx, client, clock, positions: dict[str, tuple[float, float]]) -> None:
    """Force guards on duty and send each one fix at (lon, lat) through the batch ingest."""
    fixes = []
    for gid, (lon, lat) in positions.items():
        # Other tests of the session may have left the guard sent to an incident
        # in the shared SQL database; the dispatch mark rebuilt from it is this
        # test's own Redis state, so free him here.
        ctx.store.marks.clear(gid)
        ctx.store.set_duty_override(gid, True)
        fixes.append(
            {
                "device_id": str(guard_row(ctx, gid).device_id),
                "lon": lon,
                "lat": lat,
                "ts": clock.now,
                "accuracy_m": 5,
            }
        )
    resp = client.post("/api/v1/positions", json={"fixes": fixes})
    assert resp.status_code == 200 and resp.get_json()["accepted"] == len(fixes), resp.get_json()


def at_post(ctx, guard_id: str, east_m: float = 0.0) -> tuple[float, float]:
    """A guard's post, moved ``east_m`` metres east."""
    r = guard_row(ctx, guard_id)
    return float(r.post_lon) + east_m / 92_600.0, float(r.post_lat)


def sign_in(client, ctx, guard_id: str) -> dict[str, str]:
    """Sign a guard in with his demo PIN; returns the Authorization header."""
    r = guard_row(ctx, guard_id)
    resp = client.post(
        "/api/v1/guard/signin",
        json={"device_id": str(r.device_id), "pin": demo_pin(str(r.phone))},
    )
    assert resp.status_code == 200, resp.get_json()
    return {"Authorization": f"Bearer {resp.get_json()['token']}"}

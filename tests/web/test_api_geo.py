"""Geo endpoints on the running app: nearest, coverage, heat."""

from __future__ import annotations

import pandas as pd
import pytest

from live.fixes import Fix


@pytest.fixture
def on_duty_guards(ctx, clock):
    """Eight pilot guards forced on duty, each reporting from his post."""
    g = ctx.dataset.guards.sort_values("guard_id").iloc[:8]
    items = []
    for r in g.itertuples():
        ctx.store.set_duty_override(r.guard_id, True)
        items.append(
            (
                r.guard_id,
                Fix(
                    device_id=str(r.device_id),
                    lat=r.post_lat,
                    lon=r.post_lon,
                    ts=clock.now,
                    accuracy_m=5.0,
                ),
                True,
            )
        )
    ctx.store.record_fixes(items)
    return g


def test_nearest_ranks_by_walking_time_with_paths(client, on_duty_guards):
    first = on_duty_guards.iloc[0]
    resp = client.get(f"/api/v1/nearest?lat={first.post_lat + 0.0004}&lon={first.post_lon}&k=3")
    assert resp.status_code == 200, resp.get_data(as_text=True)
    body = resp.get_json()
    assert body["mode"] == "walk" and len(body["features"]) == 3
    etas = [f["properties"]["eta_s"] for f in body["features"]]
    assert etas == sorted(etas)
    assert all(f["geometry"]["type"] == "LineString" for f in body["features"])
    assert body["incident"]["zone_id"] in {"C", "E", "N", "S", "W"}
    line = client.get(
        f"/api/v1/nearest?lat={first.post_lat + 0.0004}&lon={first.post_lon}&k=3&mode=line"
    ).get_json()
    for f in line["features"]:  # straight line is never longer than the walk
        walk = next((w for w in body["features"] if w["id"] == f["id"]), None)
        if walk:
            assert f["properties"]["distance_m"] <= walk["properties"]["distance_m"] + 0.5


def test_nearest_with_coverage_kept(client, on_duty_guards):
    first = on_duty_guards.iloc[0]
    body = client.get(
        f"/api/v1/nearest?lat={first.post_lat}&lon={first.post_lon}&k=2&coverage_radius_m=300"
    ).get_json()
    cov = body["features"][0]["properties"]["coverage"]
    assert cov["covered_pct_without"] <= cov["covered_pct_now"]


def test_nearest_reports_every_bad_parameter(client):
    resp = client.get("/api/v1/nearest?lon=500&k=0&mode=fly")
    assert resp.status_code == 400
    fields = {d["field"] for d in resp.get_json()["error"]["details"]}
    assert fields == {"lat", "lon", "k", "mode"}


def test_nearest_with_nobody_on_duty_is_a_clear_conflict(client):
    resp = client.get("/api/v1/nearest?lat=33.78&lon=118.38")
    assert resp.status_code == 409
    assert resp.get_json()["error"]["code"] == "no_guard_on_duty"


def test_coverage_live_and_planned(client, on_duty_guards):
    live = client.get("/api/v1/coverage?radius_m=300").get_json()
    assert live["source"] == "live"
    assert sorted(z["zone_id"] for z in live["zones"]) == ["C", "E", "N", "S", "W"]
    planned = client.get("/api/v1/coverage?radius_m=300&at=10:00").get_json()
    by_zone = {z["zone_id"]: z["covered_pct"] for z in planned["zones"]}
    assert all(0 <= v <= 100 for v in by_zone.values())
    assert sum(by_zone.values()) > sum(z["covered_pct"] for z in live["zones"])  # 8 vs ~100 guards
    wider = client.get("/api/v1/coverage?radius_m=600&at=10:00").get_json()
    assert all(w["covered_pct"] >= by_zone[w["zone_id"]] - 1e-9 for w in wider["zones"])
    walk = client.get("/api/v1/coverage?walk_s=180&at=10:00").get_json()
    assert walk["params"]["walk_s"] == 180


def test_coverage_needs_exactly_one_reach(client):
    for query in ("", "?radius_m=300&walk_s=100", "?radius_m=-3", "?radius_m=300&at=25:00"):
        resp = client.get("/api/v1/coverage" + query)
        assert resp.status_code == 400, query


def test_heat_filters(client):
    everything = client.get("/api/v1/heat").get_json()
    burglary = client.get("/api/v1/heat?kind=burglary").get_json()
    assert 0 < burglary["n_incidents"] < everything["n_incidents"]
    assert len(everything["top_units"]) == 10
    night = client.get("/api/v1/heat?hours=22-6").get_json()
    assert night["n_incidents"] < everything["n_incidents"]
    resp = client.get("/api/v1/heat?kind=arson&from=tomorrow")
    assert resp.status_code == 400
    assert {d["field"] for d in resp.get_json()["error"]["details"]} == {"kind", "from"}
    assert (
        everything["kind_labels"]["burglary"] == "入室盗窃" and len(everything["kind_labels"]) == 7
    )


@pytest.fixture
def utc_client(settings, redis_handle, clean_engine, pilot, clock):
    """The app of a station whose TIMEZONE is UTC."""
    from shouwang.runtime.app import build_context, create_app

    context = build_context(
        settings.replace(TIMEZONE="UTC"), clock=clock, redis_handle=redis_handle,
        engine=clean_engine, dataset=pilot,
    )  # fmt: skip
    yield create_app(context).test_client()
    context.close()
    context.store.wipe()


def test_heat_hours_are_the_stations_hours(client, utc_client, pilot):
    """``hours=22-6`` means 22:00-06:00 in the TIMEZONE setting, not always in Shanghai."""
    occurred = pd.to_datetime(pilot.incidents["occurred_at"], utc=True, format="ISO8601")

    def night_in(tz: str) -> int:
        hour = occurred.dt.tz_convert(tz).dt.hour
        return int(((hour >= 22) | (hour < 6)).sum())

    shanghai = client.get("/api/v1/heat?hours=22-6").get_json()
    utc = utc_client.get("/api/v1/heat?hours=22-6").get_json()
    assert shanghai["n_incidents"] == night_in("Asia/Shanghai")
    assert utc["n_incidents"] == night_in("UTC") != shanghai["n_incidents"]
    assert utc["last_at"].endswith("+00:00") and shanghai["last_at"].endswith("+08:00")


def test_walking_coverage_of_the_night_shift_draws_its_gaps(client):
    """Planned 3-minute walking cover at 21:00 once broke polygon rounding."""
    body = client.get("/api/v1/coverage?walk_s=180&at=21:00&method=exact").get_json()
    assert len(body["zones"]) == 5
    assert body["features"] and all(f["geometry"]["coordinates"] for f in body["features"])

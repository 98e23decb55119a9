"""The coverage review page (/coverage) without a browser: pure builders and callbacks.

Callbacks are called through their module-level functions with the real app
context (pilot data, real Redis and SQL); expected figures are derived from
the engines' own answers or recomputed from the pilot files.
"""

from __future__ import annotations

import dataclasses

import dash
import numpy as np
import pandas as pd
import pytest
import shapely
import sqlalchemy as sa

from dashboard.coverage import charts
from dashboard.coverage.callbacks import (
    draw_map,
    update_coverage,
    update_focus,
    update_heat,
    update_response,
)
from dashboard.coverage.figures import coverage_map
from dashboard.coverage.layout import coverage_layout
from dashboard.coverage.sources import (
    CoverageSources,
    PageInputError,
    coverage_query,
    default_period,
    heat_query,
)
from dashboard.ids import CoverageIds
from dashboard.theme import ZONE_COLOURS
from geo.heat import PREVENTABLE_KINDS
from shouwang.i18n import CATALOGUE, key_of, t
from shouwang.vocab import IncidentKind
from tests.conftest import report_from_posts
from tests.dashboard.components import find_all, texts


@pytest.fixture
def src(ctx) -> CoverageSources:
    return CoverageSources.from_context(ctx)


def on_duty_at_posts(ctx, clock, n: int) -> pd.DataFrame:
    """The first ``n`` pilot guards on duty, each reporting from his post."""
    return report_from_posts(
        ctx.store, ctx.dataset.guards.sort_values("guard_id").iloc[:n], clock.now
    )


# --- pure parts ---------------------------------------------------------------------


def test_every_kind_label_matches_the_engines_and_exists_in_both_languages():
    for kind in IncidentKind:
        assert CATALOGUE[key_of(kind)]["zh"] and CATALOGUE[key_of(kind)]["en"]
    assert set(PREVENTABLE_KINDS) <= {k.value for k in IncidentKind}
    coverage_keys = [k for k in CATALOGUE if k.startswith("coverage.")]
    assert all(CATALOGUE[k].get("zh") and CATALOGUE[k].get("en") for k in coverage_keys)


def test_bad_controls_report_every_problem_together():
    with pytest.raises(PageInputError) as err:
        coverage_query("walk", 300, 99, "planned", "25:99", "fast")
    fields = [p["field"] for p in err.value.problems]
    assert fields == ["walk_min", "at", "method"]
    with pytest.raises(PageInputError) as err:
        heat_query(["burglary"], "2026-05-01", "2026-01-31", 7, 7)
    assert [p["field"] for p in err.value.problems] == ["from", "hours"]
    q = coverage_query("radius", 250, 3, "planned", "7:5", "grid")
    assert (q.radius_m, q.walk_s, q.at, q.method) == (250.0, None, "07:05", "grid")
    assert coverage_query("walk", 300, 4, "live", None, "exact").walk_s == 240.0


def test_heat_query_makes_the_last_day_inclusive_and_hours_wrap():
    q = heat_query([], "2026-01-01", "2026-01-31", 22, 6)
    assert q == {"kinds": None, "start": "2026-01-01", "end": "2026-02-01", "hours": (22, 6)}
    assert heat_query(["fraud"], None, None, 0, 24)["hours"] is None


def test_default_period_is_the_last_twelve_months_of_the_data(pilot):
    first, last = default_period(pilot.incidents, "Asia/Shanghai")
    t_ = pd.to_datetime(pilot.incidents["occurred_at"], utc=True).dt.tz_convert("Asia/Shanghai")
    assert last == t_.max().date().isoformat()
    span = pd.Timestamp(last) - pd.Timestamp(first)
    assert 364 <= span.days <= 365


def test_coverage_bar_heights_and_colours_follow_the_zone_table():
    table = [
        {"zone_id": "E", "covered_pct": 82.5, "gap_m2": 175_000.0, "area_m2": 1_000_000.0,
         "n_guards": 12},
        {"zone_id": "C", "covered_pct": 40.0, "gap_m2": 300_000.0, "area_m2": 500_000.0,
         "n_guards": 3},
    ]  # fmt: skip
    rows = charts.coverage_rows(table, {"C": "中心区", "E": "东区"})
    assert [r.zone_id for r in rows] == ["C", "E"]  # the data set's zone order
    fig = charts.coverage_bar(rows, "zh")
    assert list(fig.data[0].y) == [40.0, 82.5]
    assert list(fig.data[0].marker.color) == [ZONE_COLOURS["C"], ZONE_COLOURS["E"]]
    assert list(fig.data[0].text) == ["40.0%", "82.5%"]
    # area-weighted: (1.5 km² - 0.475 km²) / 1.5 km²
    assert charts.station_pct(rows) == pytest.approx(100 * (1_500_000 - 475_000) / 1_500_000)


def test_response_figure_shows_p50_and_p90_per_zone_and_measure():
    def m(count, p50, p90):
        return {"count": count, "p50_s": p50, "p90_s": p90}

    stats = {
        "overall": {k: m(3, 1, 2) for k in charts.MEASURES},
        "groups": [
            {"zone_id": "W", "acknowledge": m(2, 20.0, 28.0), "turnout": m(2, 10.0, 14.0),
             "travel": m(2, 90.0, 114.0), "total": m(2, 124.0, 160.0)},
            {"zone_id": None, "acknowledge": m(1, 5.0, 5.0), "turnout": m(0, None, None),
             "travel": m(0, None, None), "total": m(1, 50.0, 50.0)},
        ],
    }  # fmt: skip
    fig = charts.response_figure(stats, {"E": "东区", "W": "西区"}, "zh")
    assert len(fig.data) == 8  # four measures × (P50, P90)
    ack50, ack90, *_, tot50, tot90 = fig.data
    assert list(ack50.x) == ["西区", "区域外"] and ack50.name == "P50" and ack90.name == "P90"
    assert list(ack50.y) == [20.0, 5.0] and list(ack90.y) == [28.0, 5.0]
    assert list(tot50.y) == [124.0, 50.0] and list(tot90.y) == [160.0, 50.0]
    assert list(fig.data[2].y) == [10.0, None]  # turnout never happened outside the zones
    assert charts.response_count(stats) == 3
    assert charts.response_count({"overall": {k: m(0, None, None) for k in charts.MEASURES}}) == 0


# --- callbacks with the real context --------------------------------------------------


def test_coverage_callback_planned_radius_and_walking_change_the_table(src, ctx):
    base = ("planned", "21:00", "exact")
    wide = update_coverage(src, "radius", 300, 3, *base, "zh")
    narrow = update_coverage(src, "radius", 100, 3, *base, "zh")
    walk = update_coverage(src, "walk", 300, 3, *base, "zh")
    for data, table, bar, status in (wide, narrow, walk):
        pct = {z["zone_id"]: z["covered_pct"] for z in data["zones"]}
        names = charts.zone_names(ctx.dataset.zones, "zh")
        assert list(bar.data[0].y) == [pct[z] for z in names]  # bar heights = coverage %
        assert [f"{pct[z]:.1f}%" for z in names] == [s for s in texts(table) if s.endswith("%")][:5]
        assert isinstance(status, str) and "按排班 21:00" in status
    expected = ctx.geo.coverage(
        ctx.geo.planned_guards(ctx.geo.local_time_today("21:00", ctx.clock())), radius_m=100
    )
    assert narrow[0]["zones"] == expected["zones"]
    assert all(
        n["covered_pct"] < w["covered_pct"]
        for n, w in zip(narrow[0]["zones"], wide[0]["zones"], strict=True)
    )
    assert walk[0]["zones"] != wide[0]["zones"]
    assert "步行 3 分钟" in walk[3] and "直线 300 米" in wide[3]
    counted = wide[0]["guards"]
    on_shift = ctx.geo.planned_guards(ctx.geo.local_time_today("21:00", ctx.clock()))
    assert sorted(counted["ids"]) == sorted(on_shift.loc[on_shift["on_duty"], "guard_id"])
    assert len(wide[0]["features"]) > 0  # gap polygons to draw


def test_coverage_callback_live_counts_the_guards_reporting(src, ctx, clock):
    none = update_coverage(src, "radius", 300, 3, "live", None, "exact", "en")
    assert all(z["covered_pct"] == 0 for z in none[0]["zones"])
    assert "Live: 0 guards" in none[3]
    guards = on_duty_at_posts(ctx, clock, 12)
    data, table, bar, status = update_coverage(src, "radius", 300, 3, "live", None, "grid", "en")
    assert sorted(data["guards"]["ids"]) == sorted(guards["guard_id"])
    assert data["guards"]["lon"] == pytest.approx(
        guards.set_index("guard_id").loc[data["guards"]["ids"], "post_lon"].tolist()
    )
    assert max(z["covered_pct"] for z in data["zones"]) > 0
    assert "Live: 12 guards" in status and "grid" in status


def test_coverage_callback_shows_every_bad_input_and_keeps_the_figures(src):
    data, table, bar, status = update_coverage(src, "walk", 300, 42, "planned", "9am", "x", "zh")
    assert data is dash.no_update and table is dash.no_update and bar is dash.no_update
    shown = " ".join(texts(status))
    assert "条件有误" in shown and "walk_min" in shown and "at" in shown and "method" in shown


def test_heat_callback_counts_the_filtered_cases_and_lists_hot_units(src, ctx):
    start, end = src.period
    data, top, share, status = update_heat(src, ["burglary", "bike_theft"], start, end, 22, 6,
                                           "zh")  # fmt: skip
    inc = ctx.dataset.incidents
    at = pd.to_datetime(inc["occurred_at"], utc=True).dt.tz_convert("Asia/Shanghai")
    keep = (
        inc["kind"].isin(["burglary", "bike_theft"])
        & (at.dt.date >= pd.Timestamp(start).date())
        & (at.dt.date <= pd.Timestamp(end).date())
        & ((at.dt.hour >= 22) | (at.dt.hour < 6))
    )
    assert data["n_incidents"] == int(keep.sum()) > 0
    assert f"可防性案件 {int(keep.sum())} 起" in status and "22:00–06:00" in status
    buttons = find_all(top[0], lambda c: isinstance(getattr(c, "id", None), dict))
    assert 0 < len(buttons) <= 10
    assert all(b.id["type"] == CoverageIds.HOT_UNIT for b in buttons)
    heat = ctx.geo.heat(**heat_query(["burglary", "bike_theft"], start, end, 22, 6))
    assert [b.id["unit"] for b in buttons] == [r["unit_id"] for r in heat["top_units"]]
    # stacked bars: per zone, the kinds add up to the zone's count
    kinds = [tr for tr in share.data if tr.type == "bar"]
    totals = np.sum([np.asarray(tr.y) for tr in kinds], axis=0)
    assert totals.tolist() == [int(c) for c in share.data[-1].y]
    assert sum(totals) == sum(z["count"] for z in heat["zones"])


def test_heat_callback_reports_bad_filters(src):
    data, top, share, status = update_heat(src, [], "2026-05-01", "2026-01-01", 3, 3, "en")
    assert data is dash.no_update
    shown = " ".join(texts(status))
    assert "Please correct" in shown and "from" in shown and "hours" in shown


def test_map_draws_gaps_guards_and_heat_and_zooms_to_a_clicked_unit(src):
    cov = update_coverage(src, "radius", 200, 3, "planned", "21:00", "exact", "zh")[0]
    heat = update_heat(src, [], *src.period, 0, 24, "zh")[0]
    plain = draw_map(src, None, None, "off", None, "zh")
    fig = draw_map(src, cov, heat, "density", {"unit": None, "n": 0}, "zh")
    assert len(fig.layout.map.layers) == len(plain.layout.map.layers) + 2  # gap fill + outline
    density, guards = fig.data
    assert density.type == "densitymap" and list(density.z) == heat["density"]["z"]
    assert guards.type == "scattermap" and guards.mode == "markers"
    assert len(guards.lon) == len(cov["guards"]["ids"])
    hexes = draw_map(src, cov, heat, "hexagons", None, "zh").data[0]
    assert hexes.type == "choroplethmap"
    assert sum(hexes.z) == heat["n_incidents"]
    assert draw_map(src, cov, heat, "off", None, "zh").data[0].type == "scattermap"
    # no text on the map: MapLibre would fetch glyphs from the internet
    assert all(getattr(tr, "mode", None) in (None, "markers") for tr in fig.data)

    unit = "U14"
    focus = update_focus(src, {"type": CoverageIds.HOT_UNIT, "unit": unit}, 1, {"n": 0})
    assert focus == {"unit": unit, "n": 1}
    zoomed = draw_map(src, cov, heat, "density", focus, "zh")
    centre, zoom = src.unit_views[unit]
    assert zoomed.layout.map.center.lon == pytest.approx(centre["lon"])
    assert zoomed.layout.map.zoom == zoom > fig.layout.map.zoom
    assert zoomed.layout.uirevision != fig.layout.uirevision  # the new view is applied
    u = src.units.set_index("unit_id").geometry[unit]
    assert u.contains(shapely.Point(centre["lon"], centre["lat"]))
    assert update_focus(src, {"type": CoverageIds.HOT_UNIT, "unit": unit}, 0, focus) is (
        dash.no_update
    )  # a list re-render is not a click
    back = update_focus(src, CoverageIds.RESET, 1, focus)
    assert back == {"unit": None, "n": 2}
    assert draw_map(src, cov, heat, "off", back, "zh").layout.map.zoom == src.zoom


def test_response_times_empty_state_then_p50_p90_per_zone(src, ctx, client, clock):
    figure, wrap, status = update_response(src, [], "zh")
    assert wrap == "hidden" and "暂无已派出的警情" in " ".join(texts(status))

    guards = on_duty_at_posts(ctx, clock, 8)
    waits = [(10, 5, 60), (30, 15, 120)]  # acknowledge, turnout, travel (seconds)
    actor = {"X-Actor": "张警官"}
    for i, (ack, turnout, travel) in enumerate(waits):
        g = guards.iloc[i]
        body = {"kind": "burglary", "lon": float(g.post_lon), "lat": float(g.post_lat) + 0.0004,
                "priority": 2, "description": "居民报称单元门被撬"}  # fmt: skip
        resp = client.post("/api/v1/incidents", json=body, headers=actor)
        assert resp.status_code == 201, resp.get_data(as_text=True)
        iid = resp.get_json()["incident_id"]
        clock.advance(4)
        aid = client.post(f"/api/v1/incidents/{iid}/assign", json={"guard_ids": [g.guard_id]},
                          headers=actor).get_json()["assignments"][0]["assignment_id"]  # fmt: skip
        for to, wait in (("acknowledged", ack), ("en_route", turnout), ("on_scene", travel)):
            clock.advance(wait)
            resp = client.post(f"/api/v1/assignments/{aid}/transition", json={"to": to},
                               headers=actor)  # fmt: skip
            assert resp.status_code == 200, resp.get_data(as_text=True)
    zone = ctx.dataset.units.set_index("unit_id").at[guards.iloc[0].unit_id, "zone_id"]
    figure, wrap, status = update_response(src, [], "zh")
    assert wrap == "" and "共 2 次派单" in status
    ack50, ack90 = figure.data[0], figure.data[1]
    assert list(ack50.x) == [charts.zone_names(ctx.dataset.zones, "zh")[zone]]
    acks = [w[0] for w in waits]
    assert ack50.y[0] == pytest.approx(np.percentile(acks, 50))
    assert ack90.y[0] == pytest.approx(np.percentile(acks, 90))
    totals = [4 + sum(w) for w in waits]
    assert figure.data[7].y[0] == pytest.approx(np.percentile(totals, 90))
    # the kind filter: no fraud was dispatched
    assert update_response(src, ["fraud"], "zh")[1] == "hidden"


def test_response_callback_error_is_readable(src):
    broken = dataclasses.replace(src, engine=sa.create_engine("sqlite://"))  # no tables
    figure, wrap, status = update_response(broken, [], "en")
    shown = " ".join(texts(status))
    assert "This page hit an error" in shown and "Traceback" not in shown


def test_page_is_served_and_listed_in_both_languages(client, src, ctx):
    resp = client.get("/coverage")
    assert resp.status_code == 200 and b"<html" in resp.data.lower()
    for lang, words in (("zh", ["覆盖率", "案件热力", "响应时间", "直线距离", "步行时间"]),
                        ("en", ["Coverage", "Incident heat", "Response times", "Walking time"])):  # fmt: skip
        shown = texts(coverage_layout(src, lang))
        for w in words:
            assert w in shown, (lang, w)
    from dashboard.app import build_pages

    nav = build_pages(ctx)
    assert nav.find("/coverage") is not None
    assert "/coverage" not in {p.path for p in nav.planned}


def test_coverage_map_without_results_is_the_base_map(src):
    fig = coverage_map(src.base, None, None, "density", project=src.project, centre=src.centre,
                       zoom=src.zoom)  # fmt: skip
    assert fig.layout.map.layers == tuple(fig.layout.map.layers)[: len(src.base)]
    assert len(fig.data) == 1 and len(fig.data[0].lon) == 0
    sources = fig.layout.map.style["sources"]  # no web tiles, only an empty placeholder
    assert all(v["type"] == "geojson" and not v["data"]["features"] for v in sources.values())
    assert t("coverage.map.guards", "zh").format(n=0) == fig.data[0].name

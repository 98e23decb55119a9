"""The dispatch console (/dispatch): pure builders, and its actions and live panels on the
real app context (real Redis, real SQL, the pilot data), plus the wall's incident feed."""

from __future__ import annotations

import json

import dash
import numpy as np
import pandas as pd
import pytest

from dashboard.dispatch import actions
from dashboard.dispatch.callbacks import candidate_panel, candidate_target, point_text
from dashboard.dispatch.figures import (
    TRACE,
    TRACES,
    dispatch_figure,
    duration_text,
    route_lines,
    signature,
)
from dashboard.dispatch.layout import dispatch_layout
from dashboard.dispatch.live import live_panels, patch_live
from dashboard.dispatch.ops import ops_panels
from dashboard.dispatch.panels import kind_label, step_label
from dashboard.dispatch.sources import DispatchSources, places_of
from dashboard.wall.incidents import incident_feed, incident_lines, sos_banner
from live.fixes import Fix
from shouwang.dispatch.escalation import EscalationJob
from shouwang.i18n import CATALOGUE, label, t
from shouwang.vocab import AssignmentStatus, IncidentKind
from tests.dashboard.components import find_all, text_of

IDENTITY = lambda lon, lat: (np.asarray(lon, float), np.asarray(lat, float))  # noqa: E731


def test_duration_text_and_route_lines():
    assert duration_text(0) == "0:00"
    assert duration_text(75.9) == "1:15"
    assert duration_text(3725) == "1:02:05"
    assert duration_text(None) == "–"
    assert duration_text(-5) == "0:00"
    lon, lat = route_lines([[[1, 2], [3, 4]], [], [[5, 6]]], IDENTITY)
    assert lon == [1.0, 3.0, None, 5.0] and lat == [2.0, 4.0, None, 6.0]


def test_signature_ignores_ticking_timers_only():
    a = {"incident_id": "D1", "status": "open", "unassigned_for_s": 3.0,
         "assignments": [{"status": "assigned", "ack_due_in_s": 40.0}]}  # fmt: skip
    b = {**a, "unassigned_for_s": 9.0, "assignments": [{"status": "assigned", "ack_due_in_s": 2.0}]}
    c = {**a, "assignments": [{"status": "acknowledged", "ack_due_in_s": None}]}
    assert signature("zh", a) == signature("zh", b)
    assert signature("zh", a) != signature("zh", c)
    assert signature("zh", a) != signature("en", a)


def test_dispatch_figure_has_fixed_traces_and_no_text_mode():
    states = pd.DataFrame(
        {"guard_id": ["G1", "G2", "G3"], "name": ["甲", "乙", "丙"], "unit_id": ["U1"] * 3,
         "status": ["on_post", "dispatched", "off_duty"], "lon": [118.38, 118.381, np.nan],
         "lat": [33.78, 33.781, np.nan]}
    )  # fmt: skip
    incidents = [{"incident_id": "D1", "kind": "burglary", "kind_zh": "入室盗窃", "priority": 1,
                  "status": "open", "status_zh": "待派", "lon": 118.382, "lat": 33.782}]  # fmt: skip
    routes = [[[118.38, 33.78], [118.382, 33.782]], [[118.381, 33.781], [118.382, 33.782]]]
    fig = dispatch_figure([], states, incidents, project=IDENTITY, centre={"lon": 118.38,
                          "lat": 33.78}, zoom=14, routes=routes,
                          selected={"lon": 118.382, "lat": 33.782}, point=None)  # fmt: skip
    assert [tr.type for tr in fig.data] == ["scattermap"] * len(TRACES)
    assert all("text" not in (tr.mode or "") for tr in fig.data)
    assert len(fig.data[TRACE["guards"]].lon) == 2  # the guard without a fix is not drawn
    assert list(fig.data[TRACE["guards"]].marker.color) == ["#22c55e", "#f59e0b"]
    assert len(fig.data[TRACE["route_top"]].lon) == 2  # the first route only, highlighted
    assert fig.data[TRACE["route_top"]].line.width > fig.data[TRACE["routes"]].line.width
    assert list(fig.data[TRACE["incidents"]].marker.color) == ["#dc2626"]  # priority 1: red
    assert len(fig.data[TRACE["point"]].lon) == 0
    assert fig.layout.uirevision == "dispatch"


def test_the_dispatcher_steps_follow_the_rules():
    assert actions.NEXT_STEPS == {
        "assigned": ("acknowledged", "cancelled"),
        "acknowledged": ("en_route", "on_scene", "cancelled"),
        "en_route": ("on_scene", "cancelled"),
        "on_scene": ("cleared", "cancelled"),
    }


def test_kind_and_status_labels_are_the_apis():
    """The console names kinds and states as the API's ``*_zh`` fields do (one catalogue)."""
    assert len(IncidentKind) == 12
    for lang in ("zh", "en"):
        for kind in IncidentKind:
            assert kind_label(kind.value, lang) == label(kind, lang)
        for step in AssignmentStatus:
            assert step_label(step.value, lang) == label(step, lang)
    assert step_label("teleported", "zh") == "teleported"  # an unknown code shows as itself
    assert all({"zh", "en"} <= set(v) for k, v in CATALOGUE.items() if k.startswith("dispatch."))


def test_places_are_unit_centres_inside_the_wall_and_gates(pilot):
    places = places_of(pilot.units, pilot.gates)
    assert len(places) == len(pilot.units) + len(pilot.gates)
    u01 = next(p for p in places if p.value == "unit:U01")
    wall = pilot.units.set_index("unit_id").geometry["U01"]
    from shapely.geometry import Point

    assert wall.contains(Point(u01.lon, u01.lat))
    assert "洋河新区社会事业局" in u01.label
    assert any(p.value == "gate:U01-G1" for p in places)


# --------------------------------------------------------------------------- on the real ctx


@pytest.fixture
def src(ctx) -> DispatchSources:
    return DispatchSources.from_context(ctx)


def point_near(row, dlat=0.0004) -> dict:
    return {"lon": float(row.post_lon), "lat": float(row.post_lat) + dlat}


def test_the_page_renders_in_both_languages(src, on_duty):
    for lang in ("zh", "en"):
        body = dispatch_layout(src, lang)
        text = text_of(body)
        assert t("dispatch.candidates", lang) in text and t("dispatch.rc", lang) in text
    config = find_all(body, lambda c: getattr(c, "id", None) == "dsp-config")[0]
    assert json.loads(config.to_plotly_json()["props"]["data-shouwang-dispatch"])["clickId"]


def test_every_action_needs_the_dispatchers_name_and_says_what_is_missing(src, on_duty):
    out = actions.create_incident(src, "", "zh", None, None, 3, "")
    assert not out.ok
    for key in ("dispatch.err.actor", "dispatch.err.point", "dispatch.err.kind"):
        assert t(key, "zh") in out.message  # every problem together
    for out in (
        actions.send(src, " ", "en", ["G001"], incident_id="D1"),
        actions.step(src, None, "en", "A1", "acknowledged"),
        actions.ack_sos(src, "", "en", "G001"),
        actions.start_rollcall(src, "", "en", None),
    ):
        assert not out.ok and out.message == t("dispatch.err.actor", "en")


def test_candidates_for_a_new_place_then_record_and_send_in_one_go(src, ctx, on_duty):
    point = point_near(on_duty.iloc[0])
    target = candidate_target(src, None, point)
    data, options, picked, head, note, label = candidate_panel(src, target, "walk", "zh")
    assert head == t("dispatch.cand.for_point", "zh") and label == t("dispatch.create_send", "zh")
    rows = data["rows"]
    assert len(rows) == 5 and len(data["routes"]) == 5 and data["mode"] == "walk"
    assert [r["eta_s"] for r in rows] == sorted(r["eta_s"] for r in rows)
    assert all(r["coverage_kept_pct"] is not None for r in rows)
    assert picked == [rows[0]["guard_id"]]  # the nearest is ticked
    assert rows[0]["name"] in text_of(options[0])
    line = candidate_panel(src, target, "line", "zh")[0]
    assert line["mode"] == "line"
    assert [r["eta_s"] for r in line["rows"]] == sorted(r["eta_s"] for r in line["rows"])
    walk_m = {r["guard_id"]: r["distance_m"] for r in rows}
    # A straight line is never longer than the walk round by the gates.
    assert all(r["distance_m"] <= walk_m[r["guard_id"]] + 0.1 for r in line["rows"]
               if r["guard_id"] in walk_m)  # fmt: skip

    out = actions.send(src, "张警官", "zh", picked, incident_id=None, point=point,
                       kind="burglary", priority=2, description="单元门被撬")  # fmt: skip
    assert out.ok and out.incident_id and out.refresh_candidates
    inc = ctx.dispatch.get(out.incident_id)
    assert inc["status"] == "dispatched" and inc["created_by"] == "张警官"
    assert [a["guard_id"] for a in inc["assignments"]] == picked
    # Ranked again for the incident: the guard just sent is not offered twice.
    again = candidate_panel(src, candidate_target(src, out.incident_id, point), "walk", "zh")
    assert picked[0] not in [r["guard_id"] for r in again[0]["rows"]]
    assert point_text(src, {**point, "zone_id": "C", "unit_id": "U01"}, "zh").startswith("地点：")


def test_two_dispatchers_one_guard_the_second_is_told_and_gets_a_fresh_list(src, ctx, on_duty):
    a = actions.create_incident(src, "张警官", "zh", point_near(on_duty.iloc[0]), "dispute", 2, "")
    b = actions.create_incident(src, "李警官", "zh", point_near(on_duty.iloc[1]), "fraud", 3, "")
    guard = on_duty.iloc[0].guard_id
    first = actions.send(src, "张警官", "zh", [guard], incident_id=a.incident_id)
    second = actions.send(src, "李警官", "zh", [guard], incident_id=b.incident_id)
    assert first.ok and not second.ok
    assert second.message == t("dispatch.err.busy", "zh").format(guards=guard)
    assert second.refresh_candidates
    assert ctx.dispatch.get(b.incident_id)["assignments"] == []  # nothing half-done
    fresh = candidate_panel(src, candidate_target(src, b.incident_id, None), "walk", "zh")[0]
    assert guard not in [r["guard_id"] for r in fresh["rows"]]


def test_the_whole_chain_from_the_console_and_the_live_panels(src, ctx, on_duty, clock):
    made = actions.create_incident(src, "张警官", "zh", point_near(on_duty.iloc[2]), "medical", 1,
                                   "老人晕倒")  # fmt: skip
    iid = made.incident_id
    options, empty, detail, sos, sigs, now = live_panels(src, iid, {}, "zh")
    assert [o["value"] for o in options] == [iid] and empty == ""
    assert "急救" in text_of(options) and "待派" in text_of(detail)
    # Nothing changed: nothing is re-rendered (the timers tick in the browser).
    clock.advance(3)
    again = live_panels(src, iid, sigs, "zh")
    assert again[0] is dash.no_update and again[2] is dash.no_update and again[4] == sigs
    assert again[5] == pytest.approx(clock.now)

    guard = on_duty.iloc[2].guard_id
    assert actions.send(src, "张警官", "zh", [guard], incident_id=iid).ok
    detail = live_panels(src, iid, sigs, "zh")[2]
    steps = find_all(detail, lambda c: isinstance(getattr(c, "id", None), dict))
    assert {s.id["to"] for s in steps} == {"acknowledged", "cancelled"}
    aid = steps[0].id["aid"]
    timers = find_all(detail, lambda c: "sw-timer" in (getattr(c, "className", "") or ""))
    assert any("data-until" in tm.to_plotly_json()["props"] for tm in timers)  # ack countdown
    for to in ("acknowledged", "en_route", "on_scene"):
        assert actions.step(src, "张警官", "zh", aid, to).ok
    inc = ctx.dispatch.get(iid)
    assert inc["status"] == "on_scene"
    wrong = actions.step(src, "张警官", "zh", aid, "acknowledged")
    assert not wrong.ok and wrong.message == t("dispatch.err.transition", "zh")
    assert actions.step(src, "张警官", "zh", aid, "cleared").ok
    inc = ctx.dispatch.get(iid)
    assert inc["status"] == "closed"
    assert [e["actor"] for e in inc["timeline"] if e["kind"] == "cleared"] == ["张警官"]
    options, empty, detail, *_ = live_panels(src, iid, {}, "en")
    assert options == [] and empty == t("dispatch.list.none", "en")
    assert "Closed" in text_of(detail)  # the selected one stays readable after it ends


def test_an_unacknowledged_assignment_times_out_beeps_and_offers_the_next(src, ctx, on_duty,
                                                                            clock):  # fmt: skip
    made = actions.create_incident(
        src, "张警官", "zh", point_near(on_duty.iloc[3]), "dispute", 2, ""
    )
    iid = made.incident_id
    first = candidate_panel(src, candidate_target(src, iid, None), "walk", "zh")[2]
    assert actions.send(src, "张警官", "zh", first, incident_id=iid).ok
    clock.advance(ctx.settings.ACK_TIMEOUT_S + 1)
    EscalationJob(ctx.dispatch).tick()
    detail = live_panels(src, iid, {}, "zh")[2]
    flagged = find_all(detail, lambda c: "a-timed_out" in (getattr(c, "className", "") or ""))
    assert flagged and flagged[0].to_plotly_json()["props"]["data-beep"].startswith("timeout:")
    offers = find_all(detail, lambda c: isinstance(getattr(c, "id", None), dict)
                      and c.id.get("type") == "dsp-offer")  # fmt: skip
    assert len(offers) == 1 and offers[0].id["gid"] != first[0]
    out = actions.send(src, "张警官", "zh", [offers[0].id["gid"]], incident_id=iid)
    assert out.ok
    inc = ctx.dispatch.get(iid)
    assert [a["status"] for a in inc["assignments"]] == ["timed_out", "assigned"]
    assert inc["offer"] is None


def test_sos_is_owned_by_the_first_dispatcher(src, ctx, on_duty, clock):
    g = on_duty.iloc[4]
    fix = Fix(device_id=str(g.device_id), lat=float(g.post_lat), lon=float(g.post_lon), ts=clock.now,
              accuracy_m=5.0, alarm="sos")  # fmt: skip
    ctx.store.record_fixes([(g.guard_id, fix, True)])  # raises the SOS flag
    EscalationJob(ctx.dispatch).tick()
    panel = live_panels(src, None, {}, "zh")[3]
    alarms = find_all(panel, lambda c: "data-alarm" in c.to_plotly_json()["props"])
    assert len(alarms) == 1  # sounds until someone takes it
    first = actions.ack_sos(src, "李警官", "zh", g.guard_id)
    second = actions.ack_sos(src, "王警官", "zh", g.guard_id)
    assert first.ok and first.incident_id
    assert not second.ok and second.message == t("dispatch.err.sos_owned", "zh").format(
        owner="李警官"
    )
    panel = live_panels(src, None, {}, "zh")[3]
    assert "由 李警官 负责" in text_of(panel)
    assert not find_all(panel, lambda c: "data-alarm" in c.to_plotly_json()["props"])
    assert actions.end_incident(src, "李警官", "zh", first.incident_id, "closed").ok
    assert g.guard_id not in ctx.store.open_sos()


def test_reinforcement_and_roll_call_from_the_console(src, ctx, on_duty):
    made = actions.create_incident(
        src, "张警官", "zh", point_near(on_duty.iloc[0]), "dispute", 2, ""
    )
    none = actions.start_reinforcement(src, "张警官", "zh", incident_id=None, how="walk", value=5,
                                       scope="zone")  # fmt: skip
    assert not none.ok and none.message == t("dispatch.err.select", "zh")
    rf = actions.start_reinforcement(src, "张警官", "zh", incident_id=made.incident_id,
                                     how="radius", value=400, scope="zone")  # fmt: skip
    assert rf.ok and rf.created_id
    alerted = ctx.fieldops.reinforcements.get(rf.created_id)["guards"]
    ctx.fieldops.reinforcements.respond(rf.created_id, alerted[0]["guard_id"], "coming")
    rc = actions.start_rollcall(src, "张警官", "zh", "C")
    assert rc.ok and rc.created_id
    rf_view, rc_view, sigs = ops_panels(src, rf.created_id, rc.created_id, {}, "zh")
    assert "前往 1" in text_of(rf_view) and f"已通知 {len(alerted)} 人" in text_of(rf_view)
    called = ctx.fieldops.rollcalls.get(rc.created_id)["summary"]["alerted"]
    assert called >= 8  # our eight, and whoever else of zone C is on shift now
    assert f"应到 {called}" in text_of(rc_view) and f"待应答 {called}" in text_of(rc_view)
    same = ops_panels(src, rf.created_id, rc.created_id, sigs, "zh")
    assert same[0] is dash.no_update and same[1] is dash.no_update
    bad = actions.start_rollcall(src, "张警官", "en", "Q")
    assert not bad.ok and "zone" in bad.message


def test_map_patch_touches_only_guards_and_incidents(src, on_duty):
    patch = patch_live(src, src.open_incidents(), "zh").to_plotly_json()
    touched = {tuple(op["location"][:2]) for op in patch["operations"]}
    assert touched == {("data", TRACE["guards"]), ("data", TRACE["incidents"])}


# --------------------------------------------------------------------------- the wall's part


def test_wall_feed_pulses_waiting_incidents_and_banners_unowned_sos(src, ctx, on_duty, clock):
    made = actions.create_incident(src, "张警官", "zh", point_near(on_duty.iloc[1]), "fraud", 1, "")
    g = on_duty.iloc[5]
    fix = Fix(device_id=str(g.device_id), lat=float(g.post_lat), lon=float(g.post_lon), ts=clock.now,
              accuracy_m=5.0, alarm="sos")  # fmt: skip
    ctx.store.record_fixes([(g.guard_id, fix, True)])
    EscalationJob(ctx.dispatch).tick()
    clock.advance(ctx.settings.SOS_ESCALATE_S + 1)
    EscalationJob(ctx.dispatch).tick()
    found = src.open_incidents()
    feed = incident_feed(found, IDENTITY, clock.now, "zh")
    by_id = {i["id"]: i for i in feed["incidents"]}
    assert by_id[made.incident_id]["waiting"] and by_id[made.incident_id]["colour"] == "#dc2626"
    assert (
        feed["alarm"] and feed["sos"][0]["escalated"] and feed["sos"][0]["guard_id"] == g.guard_id
    )
    banner = sos_banner(feed, {g.guard_id: g["name"]}, "zh")
    assert g["name"] in text_of(banner) and "无人接管" in text_of(banner)
    assert "诈骗" in text_of(incident_lines(found, src.zone_names("zh"), clock.now, "zh"))
    actions.ack_sos(src, "李警官", "zh", g.guard_id)
    assert not incident_feed(src.open_incidents(), IDENTITY, clock.now, "zh")["alarm"]

"""Roll call: on time on post, off post, late, missing after the deadline, rates, the period list."""

from __future__ import annotations

import shapely
import sqlalchemy as sa

from geo.distance import haversine_m
from shouwang.records import audit
from shouwang.records.fieldops_tables import rollcall_guards
from tests.fieldops.test_fieldops_helpers import at_post, guard_row, put_on_duty, sign_in

CALLED = ("G001", "G004", "G005", "G010", "G016")  # all of zone C


def _only_on_duty(ctx, zone_id: str, keep: tuple[str, ...]) -> None:
    for gid, entry in ctx.store.roster().items():
        if entry.zone_id == zone_id and gid not in keep:
            ctx.store.set_duty_override(gid, False)


def _inside_wall_far_from_post(ctx, guard_id: str) -> tuple[float, float]:
    """A point inside the guard's unit wall, more than POST_RADIUS_M from his post."""
    r = guard_row(ctx, guard_id)
    units = ctx.dataset.units
    wall = units.loc[units["unit_id"] == r.unit_id].geometry.iloc[0]
    point = wall.centroid if wall.contains(wall.centroid) else wall.representative_point()
    assert haversine_m(point.y, point.x, r.post_lat, r.post_lon) > ctx.settings.POST_RADIUS_M
    return point.x, point.y


def test_roll_call_outcomes_and_response_rate(ctx, client, clock):
    _only_on_duty(ctx, "C", CALLED)
    off_post = at_post(ctx, "G005", east_m=150)
    units = ctx.dataset.units
    g005_wall = units.loc[units["unit_id"] == guard_row(ctx, "G005").unit_id].geometry.iloc[0]
    assert not shapely.contains_xy(g005_wall, *off_post)  # precondition: out in the street
    put_on_duty(
        ctx,
        client,
        clock,
        {
            "G001": at_post(ctx, "G001", east_m=10),  # within POST_RADIUS_M of his post
            "G004": _inside_wall_far_from_post(ctx, "G004"),  # patrolling inside his compound
            "G005": off_post,
            "G010": at_post(ctx, "G010"),  # never answers
            "G016": at_post(ctx, "G016"),  # answers after the deadline
        },
    )
    started = client.post("/api/v1/rollcalls", json={"zone_id": "C"}, headers={"X-Actor": "duty-1"})
    assert started.status_code == 201, started.get_json()
    rc = started.get_json()
    rid = rc["rollcall_id"]
    assert {g["guard_id"] for g in rc["guards"]} == set(CALLED)
    assert rc["summary"]["pending"] == 5 and rc["status"] == "open"

    clock.advance(30)
    answers = {}
    for gid in ("G001", "G004", "G005"):
        resp = client.post(f"/api/v1/rollcalls/{rid}/answer", headers=sign_in(client, ctx, gid))
        assert resp.status_code == 200, resp.get_json()
        answers[gid] = resp.get_json()
    assert answers["G001"]["outcome"] == "on_time" and answers["G001"]["on_post"] is True
    assert answers["G004"]["outcome"] == "on_time"  # inside his unit's wall
    assert answers["G005"]["outcome"] == "off_post" and answers["G005"]["on_post"] is False
    assert answers["G005"]["post_distance_m"] > 100
    again = client.post(f"/api/v1/rollcalls/{rid}/answer", headers=sign_in(client, ctx, "G001"))
    assert again.get_json()["answered_at"] == answers["G001"]["answered_at"]  # first answer kept

    before = client.get(f"/api/v1/rollcalls/{rid}").get_json()
    assert before["status"] == "open" and before["summary"]["pending"] == 2

    clock.advance(ctx.settings.ROLL_CALL_MINUTES * 60)  # past the deadline
    after = client.get(f"/api/v1/rollcalls/{rid}").get_json()
    assert after["status"] == "closed"
    outcome = {g["guard_id"]: g["outcome"] for g in after["guards"]}
    assert outcome == {
        "G001": "on_time", "G004": "on_time", "G005": "off_post", "G010": "missing",
        "G016": "missing",
    }  # fmt: skip
    assert ctx.fieldops.rollcalls.close(rid) is False  # finalised once only

    late = client.post(f"/api/v1/rollcalls/{rid}/answer", headers=sign_in(client, ctx, "G016"))
    assert late.status_code == 200 and late.get_json()["outcome"] == "late"

    summary = client.get(f"/api/v1/rollcalls/{rid}").get_json()["summary"]
    assert summary == {
        "alerted": 5, "on_time": 2, "off_post": 1, "late": 1, "missing": 1, "pending": 0,
        "answered": 4, "response_rate": 0.4, "answer_rate": 0.8,
    }  # fmt: skip
    with ctx.engine.connect() as conn:
        stored = dict(
            conn.execute(
                sa.select(rollcall_guards.c.guard_id, rollcall_guards.c.outcome).where(
                    rollcall_guards.c.rollcall_id == rid
                )
            ).all()
        )
    assert stored["G010"] == "missing" and stored["G016"] == "late"
    actions = [e["action"] for e in audit.entries(ctx.engine, target=f"rollcall:{rid}")]
    assert actions.count("rollcall.answer") == 4 and actions.count("rollcall.close") == 1

    # Past closes_at no answer is taken any more.
    clock.advance(ctx.settings.ROLL_CALL_MINUTES * 60 + 1)
    closed = client.post(f"/api/v1/rollcalls/{rid}/answer", headers=sign_in(client, ctx, "G010"))
    assert closed.status_code == 409

    listed = client.get("/api/v1/rollcalls").get_json()
    mine = [r for r in listed["rollcalls"] if r["rollcall_id"] == rid]
    assert mine and mine[0]["summary"]["response_rate"] == 0.4
    assert listed["total"]["alerted"] >= 5


def test_background_closer_marks_the_missing(ctx, client, clock):
    _only_on_duty(ctx, "W", ("G054",))
    put_on_duty(ctx, client, clock, {"G054": at_post(ctx, "G054")})
    rid = client.post("/api/v1/rollcalls", json={"zone_id": "W"}).get_json()["rollcall_id"]
    assert ctx.fieldops.rollcalls.close_due() == []
    clock.advance(ctx.settings.ROLL_CALL_MINUTES * 60 + 1)
    assert ctx.fieldops.rollcalls.close_due() == [rid]
    assert ctx.fieldops.rollcalls.close_due() == []
    body = client.get(f"/api/v1/rollcalls/{rid}").get_json()
    assert body["summary"]["missing"] == 1 and body["status"] == "closed"


def test_roll_call_refusals(ctx, client, clock):
    bad = client.post("/api/v1/rollcalls", json={"zone_id": "Q"})
    assert bad.status_code == 400 and bad.get_json()["error"]["details"][0]["field"] == "zone_id"
    _only_on_duty(ctx, "S", ())
    assert client.post("/api/v1/rollcalls", json={"zone_id": "S"}).status_code == 409
    _only_on_duty(ctx, "W", ("G054",))
    put_on_duty(ctx, client, clock, {"G054": at_post(ctx, "G054")})
    rid = client.post("/api/v1/rollcalls", json={"zone_id": "W"}).get_json()["rollcall_id"]
    not_called = client.post(
        f"/api/v1/rollcalls/{rid}/answer", headers=sign_in(client, ctx, "G001")
    )
    assert not_called.status_code == 403
    assert client.get("/api/v1/rollcalls/RC-nope").status_code == 404
    period = client.get("/api/v1/rollcalls?from=yesterday&to=2020-13-01")
    assert period.status_code == 400
    assert {d["field"] for d in period.get_json()["error"]["details"]} == {"from", "to"}

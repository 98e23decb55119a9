"""Zone reinforcement: who is alerted (radius, walking time, zone), answers recorded and published."""

from __future__ import annotations

import json

import sqlalchemy as sa

from geo.distance import haversine_m
from shouwang.records import audit
from shouwang.records.fieldops_tables import reinforcement_alerts
from tests.fieldops.test_fieldops_helpers import at_post, put_on_duty, sign_in

# Around unit U01 (zone C): G010 (U03, zone C, on foot) is 368 m away in a
# straight line but ~1,070 m on foot round the compound walls; G198 (U35,
# zone N, e-bike) is 518 m away but 610 m by street; G205 (U37, zone N) and
# G121 (U20, zone E) complete the picture.
ON_DUTY = ("G001", "G010", "G121", "G198", "G205")


def _incident(ctx):
    lon, lat = at_post(ctx, "G001", east_m=27.8)
    return lon, lat


def _setup(ctx, client, clock):
    put_on_duty(ctx, client, clock, {g: at_post(ctx, g) for g in ON_DUTY})


def test_radius_alerts_every_guard_within_the_straight_line(ctx, client, clock):
    _setup(ctx, client, clock)
    lon, lat = _incident(ctx)
    resp = client.post(
        "/api/v1/reinforcements",
        json={"incident_id": "I-T1", "lon": lon, "lat": lat, "radius_m": 400, "scope": "all"},
        headers={"X-Actor": "dispatcher-1"},
    )
    assert resp.status_code == 201, resp.get_json()
    body = resp.get_json()
    posts = {g: at_post(ctx, g) for g in ON_DUTY}
    expected = {g for g, (x, y) in posts.items() if haversine_m(lat, lon, y, x) <= 400}
    assert {g["guard_id"] for g in body["guards"]} == expected == {"G001", "G010", "G205"}
    assert all(g["distance_m"] <= 400 for g in body["guards"])
    assert body["counts"] == {"alerted": 3, "coming": 0, "cannot": 0, "no_answer": 3}
    assert body["created_by"] == "dispatcher-1"

    zone_only = client.post(
        "/api/v1/reinforcements",
        json={"incident_id": "I-T1", "lon": lon, "lat": lat, "radius_m": 400},
    ).get_json()
    assert zone_only["zone_id"] == "C"
    assert {g["guard_id"] for g in zone_only["guards"]} == {"G001", "G010"}


def test_walking_time_follows_the_streets_not_the_straight_line(ctx, client, clock):
    _setup(ctx, client, clock)
    lon, lat = _incident(ctx)
    body = client.post(
        "/api/v1/reinforcements",
        json={"incident_id": "I-T2", "lon": lon, "lat": lat, "walk_s": 500, "scope": "all"},
    ).get_json()
    by_id = {g["guard_id"]: g for g in body["guards"]}
    # G010 is nearer than G198 as the crow flies, but walled in: left out.
    assert set(by_id) == {"G001", "G198", "G205"}
    assert all(g["eta_s"] <= 500 for g in body["guards"])
    assert by_id["G198"]["distance_m"] > 518  # the street route, longer than the line
    etas = [g["eta_s"] for g in body["guards"]]
    assert etas == sorted(etas)


def test_responses_are_recorded_published_and_audited(ctx, client, clock):
    _setup(ctx, client, clock)
    lon, lat = _incident(ctx)
    created = client.post(
        "/api/v1/reinforcements",
        json={"incident_id": "I-T3", "lon": lon, "lat": lat, "radius_m": 400, "scope": "all"},
    ).get_json()
    rid = created["reinforcement_id"]
    pubsub = ctx.store.redis.pubsub(ignore_subscribe_messages=True)
    pubsub.subscribe(ctx.store.events_channel)
    pubsub.get_message(timeout=1)

    coming = client.post(
        f"/api/v1/reinforcements/{rid}/respond",
        json={"answer": "coming"},
        headers=sign_in(client, ctx, "G010"),
    )
    assert coming.status_code == 200, coming.get_json()
    clock.advance(20)
    cannot = client.post(
        f"/api/v1/reinforcements/{rid}/respond",
        json={"answer": "cannot", "note": "正在处理纠纷"},
        headers=sign_in(client, ctx, "G205"),
    )
    assert cannot.status_code == 200
    # A guard who was not alerted cannot answer; a bad answer is refused.
    outsider = sign_in(client, ctx, "G121")
    refused = client.post(
        f"/api/v1/reinforcements/{rid}/respond", json={"answer": "coming"}, headers=outsider
    )
    assert refused.status_code == 403
    assert refused.get_json()["error"]["code"] == "not_alerted"
    bad = client.post(
        f"/api/v1/reinforcements/{rid}/respond",
        json={"answer": "maybe"},
        headers=sign_in(client, ctx, "G001"),
    )
    assert bad.status_code == 400 and bad.get_json()["error"]["details"][0]["field"] == "answer"

    got = client.get(f"/api/v1/reinforcements/{rid}").get_json()
    answers = {g["guard_id"]: g["answer"] for g in got["guards"]}
    assert answers == {"G001": None, "G010": "coming", "G205": "cannot"}
    assert got["counts"] == {"alerted": 3, "coming": 1, "cannot": 1, "no_answer": 1}
    with ctx.engine.connect() as conn:
        stored = conn.execute(
            sa.select(reinforcement_alerts.c.guard_id, reinforcement_alerts.c.note).where(
                reinforcement_alerts.c.reinforcement_id == rid,
                reinforcement_alerts.c.answer.is_not(None),
            )
        ).all()
    assert dict(stored) == {"G010": "", "G205": "正在处理纠纷"}

    events = []
    for _ in range(20):
        message = pubsub.get_message(timeout=0.5)
        if message:
            events.append(json.loads(message["data"]))
        if sum(e["type"] == "reinforcement_response" for e in events) == 2:
            break
    pubsub.close()
    responses = [e for e in events if e["type"] == "reinforcement_response"]
    assert [(e["guard_id"], e["answer"]) for e in responses] == [
        ("G010", "coming"),
        ("G205", "cannot"),
    ]
    actions = [e["action"] for e in audit.entries(ctx.engine, target=f"reinforcement:{rid}")]
    assert actions == ["reinforcement.create", "reinforcement.respond", "reinforcement.respond"]


def test_bad_calls_report_every_problem(client):
    resp = client.post(
        "/api/v1/reinforcements", json={"lon": 500, "radius_m": 1, "walk_s": "x", "scope": "x"}
    )
    assert resp.status_code == 400
    fields = {d["field"] for d in resp.get_json()["error"]["details"]}
    assert {"lon", "radius_m", "walk_s"} <= fields
    both = client.post(
        "/api/v1/reinforcements", json={"lon": 118.38, "lat": 33.78, "radius_m": 100, "walk_s": 60}
    )
    assert both.status_code == 400
    unknown = client.post("/api/v1/reinforcements", json={"incident_id": "NOPE", "radius_m": 100})
    assert unknown.status_code == 404
    assert client.get("/api/v1/reinforcements/RF-nope").status_code == 404

"""Read API: health, zones, units, guards, OpenAPI."""

from __future__ import annotations

import re


def test_health_reports_both_stores(client, ctx):
    body = client.get("/api/v1/health").get_json()
    assert body["status"] == "ok"
    assert body["checks"]["redis"]["ok"] and body["checks"]["database"]["ok"]
    assert body["checks"]["database"]["dialect"] == ctx.engine.dialect.name
    assert body["guards"]["total"] == 207


JOBS = ["history-writer", "duty-refresh", "dispatch-timers", "push-relay", "rollcall-closer",
        "event-bus"]  # fmt: skip


def test_health_reports_every_background_job(client, ctx):
    jobs = client.get("/api/v1/health").get_json()["jobs"]
    # The wall's coverage job joins them when the geo engine offers coverage.
    assert sorted(n for n in jobs if n != "wall-coverage") == sorted(JOBS)
    assert all(j == {"running": False, "last_run_at": None, "last_error": None}
               for j in jobs.values())  # fmt: skip
    ctx.start_background()
    assert ctx.bus.wait_connected(5)
    jobs = client.get("/api/v1/health").get_json()["jobs"]
    assert all(jobs[n]["running"] for n in JOBS)
    ctx.supervisor.stop()
    jobs = client.get("/api/v1/health").get_json()["jobs"]
    assert not any(j["running"] for j in jobs.values())


def test_zones_and_units_geojson(client):
    zones = client.get("/api/v1/zones").get_json()
    assert zones["type"] == "FeatureCollection"
    assert sorted(f["properties"]["zone_id"] for f in zones["features"]) == [
        "C",
        "E",
        "N",
        "S",
        "W",
    ]
    units = client.get("/api/v1/units").get_json()
    assert len(units["features"]) == 37
    assert all(f["geometry"]["type"] in ("Polygon", "MultiPolygon") for f in units["features"])
    assert units["features"][0]["properties"]["name_zh"]  # Chinese names come through unescaped


def test_guards_geojson_has_live_state(client, clock):
    body = client.get("/api/v1/guards").get_json()
    assert len(body["features"]) == 207
    props = body["features"][0]["properties"]
    for key in (
        "status",
        "on_duty",
        "last_fix_at",
        "accuracy_m",
        "battery_pct",
        "unit_id",
        "zone_id",
        "sos",
    ):
        assert key in props
    assert body["features"][0]["geometry"] is None  # no fix yet
    statuses = {f["properties"]["status"] for f in body["features"]}
    assert statuses <= {"off_duty", "signal_lost"}  # nobody has reported yet


def test_openapi_documents_every_api_route(app, client):
    spec = client.get("/api/v1/openapi.json").get_json()
    assert spec["openapi"].startswith("3.")
    documented = {(path, method) for path, ops in spec["paths"].items() for method in ops}
    routes = set()
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/"):
            continue
        path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule)
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            routes.add((path, method.lower()))
    assert routes == documented


def test_openapi_documents_the_error_shape_and_the_request_models(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    error = spec["components"]["schemas"]["Error"]["properties"]["error"]
    assert set(error["required"]) == {"status", "code", "message", "details"}
    assert error["additionalProperties"] is True  # candidates, owner…
    for path, ops in spec["paths"].items():
        for method, op in ops.items():
            assert op["summary"], (method, path)
            for status, answer in op["responses"].items():
                if status.startswith(("4", "5")) and status != "503":
                    assert answer == {"$ref": "#/components/responses/Error"}, (method, path)
    nearest = {p["name"]: p for p in spec["paths"]["/api/v1/nearest"]["get"]["parameters"]}
    assert nearest["lat"]["required"] and nearest["k"]["schema"]["maximum"] == 50
    body = spec["paths"]["/api/v1/incidents"]["post"]["requestBody"]["content"]
    assert body["application/json"]["schema"] == {"$ref": "#/components/schemas/IncidentBody"}
    assert "X-Actor" in {
        p["name"] for p in spec["paths"]["/api/v1/incidents"]["post"]["parameters"]
    }

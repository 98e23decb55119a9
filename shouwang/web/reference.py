"""Read endpoints: health, zones, units, guards with live state, alarms, the API document."""

from __future__ import annotations

import json
import math
import time
from typing import Any

import pandas as pd
import sqlalchemy as sa
from flask import Blueprint, Response, current_app, jsonify

from shouwang import __version__
from shouwang.context import AppContext
from shouwang.timeutil import iso_z
from shouwang.web.models.geo import FeatureCollection
from shouwang.web.openapi import build_spec, documented


def _clean(value: Any) -> Any:
    """JSON-safe scalar: NaN → None, numpy → Python."""
    if value is None:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if hasattr(value, "item"):
        return _clean(value.item())
    return value


def feature_collection(gdf, columns: list[str]) -> dict:
    """GeoJSON FeatureCollection of ``gdf`` with the given property columns."""
    geo = json.loads(gdf[[*columns, "geometry"]].to_json(drop_id=True))
    return {"type": "FeatureCollection", "features": geo["features"]}


def guards_geojson(states: pd.DataFrame) -> dict:
    """GeoJSON of guards at their live positions (geometry null before a first fix)."""
    features = []
    for row in states.to_dict("records"):
        has_fix = row["lon"] is not None and not math.isnan(row["lon"])
        features.append(
            {
                "type": "Feature",
                "id": row["guard_id"],
                "geometry": {"type": "Point", "coordinates": [row["lon"], row["lat"]]}
                if has_fix
                else None,
                "properties": {
                    "guard_id": row["guard_id"],
                    "name": row["name"],
                    "unit_id": row["unit_id"],
                    "zone_id": _clean(row["zone_id"]),
                    "status": row["status"],
                    "on_duty": bool(row["on_duty"]),
                    "sos": bool(row["sos"]),
                    "incident_id": _clean(row["incident_id"]),
                    "last_fix_at": iso_z(_clean(row["last_fix_at"])),
                    "age_s": None if not has_fix else round(float(row["age_s"]), 1),
                    "accuracy_m": _clean(row["accuracy_m"]),
                    "speed_mps": _clean(row["speed_mps"]),
                    "heading_deg": _clean(row["heading_deg"]),
                    "battery_pct": _clean(row["battery_pct"]),
                    "source": _clean(row["source"]),
                    "post": [row["post_lon"], row["post_lat"]],
                    "shift": row["shift"],
                    "mobility": row["mobility"],
                },
            }
        )
    return {"type": "FeatureCollection", "features": features}


def create_blueprint(ctx: AppContext) -> Blueprint:
    """Blueprint of the read endpoints, bound to the app context ``ctx``."""
    bp = Blueprint("reference", __name__)
    ds = ctx.dataset
    zones_json = feature_collection(ds.zones, ["zone_id", "name_zh", "name_en", "unit_kind"])
    units_json = feature_collection(
        ds.units, ["unit_id", "name_zh", "name_en", "kind", "zone_id", "company", "address"]
    )
    openapi: dict[str, Any] = {}  # built on first request, once every blueprint is in

    @bp.get("/api/v1/health")
    @documented("Health of Redis and SQL, guard counts, rejected fixes by reason",
                responses={200: "OK", 503: "Redis or SQL down"})  # fmt: skip
    def health() -> tuple[Response, int]:
        checks: dict[str, Any] = {}
        ok = True
        try:
            started = time.perf_counter()
            ctx.store.ping()
            checks["redis"] = {
                "ok": True,
                "embedded": ctx.redis.embedded is not None,
                "ms": round((time.perf_counter() - started) * 1000, 2),
            }
        except Exception as exc:  # the health answer must say what is down, not fail
            ok = False
            checks["redis"] = {"ok": False, "error": str(exc)}
        try:
            with ctx.engine.connect() as conn:
                conn.execute(sa.text("SELECT 1"))
            checks["database"] = {"ok": True, "dialect": ctx.engine.dialect.name}
        except Exception as exc:
            ok = False
            checks["database"] = {"ok": False, "error": str(exc)}
        body: dict[str, Any] = {
            "status": "ok" if ok else "degraded",
            "version": __version__,
            "checks": checks,
        }
        body["jobs"] = ctx.supervisor.health()  # each background worker: running, last run, error
        if checks["redis"]["ok"]:
            states = ctx.store.states()
            body["guards"] = {
                "total": int(len(states)),
                "on_duty": int(states["on_duty"].sum()),
                "with_fix": int(states["last_fix_at"].notna().sum()),
                "by_status": {k: int(v) for k, v in states["status"].value_counts().items()},
            }
            body["history_backlog"] = ctx.store.history_backlog()
            body["rejected_fixes"] = ctx.store.rejection_counts()
        return jsonify(body), 200 if ok else 503

    @bp.get("/api/v1/zones")
    @documented("Joint-defence zones (GeoJSON)", response=FeatureCollection)
    def zones():
        return jsonify(zones_json)

    @bp.get("/api/v1/units")
    @documented("Security units with their walls (GeoJSON)", response=FeatureCollection)
    def units():
        return jsonify(units_json)

    @bp.get("/api/v1/guards")
    @documented("Guards at their live positions with status, on_duty, last_fix_at, accuracy_m, "
                "battery_pct (GeoJSON; geometry null before a first fix)", response=FeatureCollection)  # fmt: skip
    def guards():
        return jsonify(guards_geojson(ctx.store.states()))

    @bp.get("/api/v1/alarms")
    @documented("Open SOS alarms")
    def alarms():
        open_sos = ctx.store.open_sos()
        return jsonify(
            {
                "alarms": [
                    {"guard_id": gid, "kind": "sos", "at": iso_z(ts)}
                    for gid, ts in sorted(open_sos.items())
                ]
            }
        )

    @bp.get("/api/v1/openapi.json")
    @documented("This document")
    def openapi_json():
        if not openapi:
            openapi.update(build_spec(current_app))
        return jsonify(openapi)

    return bp

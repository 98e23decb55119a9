"""Geo endpoints: nearest guards, coverage gaps, incident heat.

Query parameters are validated by the models of :mod:`shouwang.web.models.geo`,
and every problem is reported together in the one error shape.
"""

from __future__ import annotations

from flask import Blueprint, jsonify, request

from geo.coverage import CoverageInputError
from geo.heat import HeatInputError, parse_heat_query
from geo.nearest import NoGuardOnDuty
from shouwang.context import AppContext
from shouwang.errors import Conflict, InvalidInput
from shouwang.web.models import parse_query
from shouwang.web.models.geo import CoverageQuery, HeatQuery, NearestQuery
from shouwang.web.openapi import documented


def create_blueprint(ctx: AppContext) -> Blueprint:
    """Blueprint of the geo endpoints, bound to the app context ``ctx``."""
    bp = Blueprint("geo", __name__)
    geo = ctx.geo

    @bp.get("/api/v1/nearest")
    @documented(
        "The on-duty guards who can reach a point first, by walking time on the street "
        "network (compound gates respected) or straight line; GeoJSON with each guard's path",
        query=NearestQuery,
        responses={200: "ranked guards: features (LineString paths) with distance_m, eta_s, "
                   "zone_id, same_zone, status; incident {lon, lat, zone_id}", 400: "", 409: ""},
    )  # fmt: skip
    def nearest():
        q = parse_query(NearestQuery, request.args, "invalid nearest-guard query")
        guards = geo.live_guards(ctx.store.states())
        try:
            body = geo.nearest(
                guards,
                q.lon,
                q.lat,
                k=q.k,
                mode=q.mode,
                max_eta_s=q.max_eta_s,
                zone_first=q.zone_first,
                with_coverage_radius_m=q.coverage_radius_m,
            )
        except NoGuardOnDuty as exc:
            raise Conflict(
                "no_guard_on_duty",
                "no guard is on duty with a live position and an available status",
                [{"field": "guards", "problem": str(exc)}],
            ) from exc
        return jsonify(body)

    @bp.get("/api/v1/coverage")
    @documented(
        "Per-zone share of area within reach of an on-duty guard, and the gap polygons (GeoJSON)",
        query=CoverageQuery,
        responses={200: "gap features with zone_id, area_m2, covered_pct; zones (per-zone "
                   "table); source live|planned", 400: ""},
    )  # fmt: skip
    def coverage():
        q = parse_query(CoverageQuery, request.args, "invalid coverage query",
                        local_time=lambda at: geo.local_time_today(at, ctx.clock()))  # fmt: skip
        if q.at is not None:
            guards, key = geo.planned_guards(q.at), None
        else:
            guards, key = geo.live_guards(ctx.store.states()), "live"
        try:
            body = geo.coverage(
                guards, radius_m=q.radius_m, walk_s=q.walk_s, method=q.method, cache_key=key
            )
        except CoverageInputError as exc:
            raise InvalidInput("invalid_request", "invalid coverage query", exc.problems) from exc
        body["source"] = "planned" if q.at is not None else "live"
        if q.at is not None:
            body["at"] = q.at.isoformat()
        return jsonify(body)

    @bp.get("/api/v1/heat")
    @documented(
        "Incident heat: smoothed density, H3 hexagon counts, ten hottest units, per-zone shares",
        query=HeatQuery,
        responses={200: "density, hexagons, top_units, zones, kind_labels", 400: ""},
    )
    def heat():
        q = parse_query(HeatQuery, request.args, "invalid heat query")
        try:
            query = parse_heat_query(q.args(), geo.tz)
        except HeatInputError as exc:
            raise InvalidInput("invalid_request", "invalid heat query", exc.problems) from exc
        return jsonify(geo.heat(**query))

    return bp

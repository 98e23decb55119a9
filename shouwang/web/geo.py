"""Geo endpoints: nearest guards, coverage gaps, incident heat.

Query parameters are validated here, once, and every problem is reported
together in the one error shape.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Blueprint, jsonify, request

from geo.coverage import CoverageInputError
from geo.heat import HeatInputError, parse_heat_query
from geo.nearest import NoGuardOnDuty
from shouwang.errors import Conflict, InvalidInput


class _Params:
    """Collects typed query parameters and every problem with them."""

    def __init__(self, args: Mapping[str, str]) -> None:
        self.args = args
        self.problems: list[dict[str, str]] = []

    def number(
        self,
        name: str,
        *,
        required: bool = False,
        lo: float | None = None,
        hi: float | None = None,
        default: float | None = None,
        integer: bool = False,
    ) -> Any:
        text = self.args.get(name, "").strip()
        if not text:
            if required:
                self.problems.append({"field": name, "problem": "is required"})
            return default
        try:
            value = int(text) if integer else float(text)
        except ValueError:
            kind = "a whole number" if integer else "a number"
            self.problems.append({"field": name, "problem": f"must be {kind}, got {text!r}"})
            return default
        if value != value or (lo is not None and value < lo) or (hi is not None and value > hi):
            self.problems.append({"field": name, "problem": f"must be between {lo} and {hi}"})
            return default
        return value

    def choice(self, name: str, options: tuple[str, ...], default: str) -> str:
        value = self.args.get(name, "").strip() or default
        if value not in options:
            self.problems.append({"field": name, "problem": f"must be one of {', '.join(options)}"})
            return default
        return value

    def flag(self, name: str) -> bool:
        value = self.args.get(name, "").strip().lower()
        if value in ("", "0", "false", "no"):
            return False
        if value in ("1", "true", "yes"):
            return True
        self.problems.append({"field": name, "problem": "must be true or false"})
        return False

    def check(self, message: str) -> None:
        if self.problems:
            raise InvalidInput("invalid_request", message, self.problems)


def create_blueprint(ctx) -> Blueprint:
    """Blueprint of the geo endpoints, bound to the app context ``ctx``."""
    bp = Blueprint("geo", __name__)
    geo = ctx.geo

    @bp.get("/api/v1/nearest")
    def nearest():
        p = _Params(request.args)
        lat = p.number("lat", required=True, lo=-90, hi=90)
        lon = p.number("lon", required=True, lo=-180, hi=180)
        k = p.number("k", lo=1, hi=50, default=5, integer=True)
        mode = p.choice("mode", ("walk", "line"), "walk")
        max_eta_s = p.number("max_eta_s", lo=1, hi=86_400)
        zone_first = p.flag("zone_first")
        coverage_radius_m = p.number("coverage_radius_m", lo=10, hi=5_000)
        p.check("invalid nearest-guard query")
        guards = geo.live_guards(ctx.store.states())
        try:
            body = geo.nearest(
                guards,
                lon,
                lat,
                k=k,
                mode=mode,
                max_eta_s=max_eta_s,
                zone_first=zone_first,
                with_coverage_radius_m=coverage_radius_m,
            )
        except NoGuardOnDuty as exc:
            raise Conflict(
                "no_guard_on_duty",
                "no guard is on duty with a live position and an available status",
                [{"field": "guards", "problem": str(exc)}],
            ) from exc
        return jsonify(body)

    @bp.get("/api/v1/coverage")
    def coverage():
        p = _Params(request.args)
        radius_m = p.number("radius_m", lo=10, hi=5_000)
        walk_s = p.number("walk_s", lo=10, hi=3_600)
        method = p.choice("method", ("exact", "grid"), "exact")
        at = request.args.get("at", "").strip()
        if (radius_m is None) == (walk_s is None) and not p.problems:
            p.problems.append(
                {
                    "field": "radius_m",
                    "problem": "give exactly one of radius_m "
                    "(straight line, metres) or walk_s (walking time, seconds)",
                }
            )
        planned_at = None
        if at:
            try:
                planned_at = geo.local_time_today(at, ctx.clock())
            except ValueError as exc:
                p.problems.append({"field": "at", "problem": str(exc)})
        p.check("invalid coverage query")
        if planned_at is not None:
            guards, key = geo.planned_guards(planned_at), None
        else:
            guards, key = geo.live_guards(ctx.store.states()), "live"
        try:
            body = geo.coverage(
                guards, radius_m=radius_m, walk_s=walk_s, method=method, cache_key=key
            )
        except CoverageInputError as exc:
            raise InvalidInput("invalid_request", "invalid coverage query", exc.problems) from exc
        body["source"] = "planned" if planned_at is not None else "live"
        if planned_at is not None:
            body["at"] = planned_at.isoformat()
        return jsonify(body)

    @bp.get("/api/v1/heat")
    def heat():
        try:
            query = parse_heat_query(request.args)
            return jsonify(geo.heat(**query))
        except HeatInputError as exc:
            raise InvalidInput("invalid_request", "invalid heat query", exc.problems) from exc

    return bp

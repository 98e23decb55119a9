"""Queries of the geo endpoints: nearest guards, coverage gaps, incident heat."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    Field,
    ValidationInfo,
    WithJsonSchema,
    field_validator,
    model_validator,
)

from shouwang.web.models.base import QueryModel, field_problem

__all__ = ["CoverageQuery", "FeatureCollection", "HeatQuery", "NearestQuery"]


class FeatureCollection(BaseModel):
    """A GeoJSON FeatureCollection (WGS-84), for the API document."""

    type: Literal["FeatureCollection"] = "FeatureCollection"
    features: list[dict[str, Any]]


class NearestQuery(QueryModel):
    lat: float = Field(ge=-90, le=90, description="latitude (WGS-84)")
    lon: float = Field(ge=-180, le=180, description="longitude (WGS-84)")
    k: int = Field(5, ge=1, le=50, description="how many guards (1-50, default 5)")
    mode: Literal["walk", "line"] = Field("walk", description="`walk` (default) or `line`")
    max_eta_s: float | None = Field(None, ge=1, le=86_400, description="leave out guards who need longer")  # fmt: skip
    zone_first: bool = Field(False, description="prefer the incident's zone, then neighbouring zones")  # fmt: skip
    coverage_radius_m: float | None = Field(None, ge=10, le=5_000, description="also give the coverage each candidate's zone keeps if he leaves (radius in metres)")  # fmt: skip


class CoverageQuery(QueryModel):
    """Exactly one reach; ``at`` is read with ``local_time`` from the validation context."""

    radius_m: float | None = Field(None, ge=10, le=5_000, description="reach as a straight-line radius in metres")  # fmt: skip
    walk_s: float | None = Field(None, ge=10, le=3_600, description="reach as walking time in seconds on the street network")  # fmt: skip
    method: Literal["exact", "grid"] = Field("exact", description="`exact` (default) or `grid`")
    at: Annotated[datetime | None, WithJsonSchema({"anyOf": [{"type": "string", "example": "21:00"}, {"type": "null"}]})] = Field(None, description="HH:MM: planned coverage, guards on shift then standing at their posts; default: live positions")  # fmt: skip

    @field_validator("at", mode="before")
    @classmethod
    def _today_at(cls, value: Any, info: ValidationInfo) -> datetime | None:
        if value is None:
            return None
        try:
            local_time = (info.context or {})["local_time"]
            moment: datetime = local_time(value)
            return moment
        except ValueError as exc:
            raise field_problem("at", str(exc)) from None

    @model_validator(mode="after")
    def _one_reach(self) -> CoverageQuery:
        if (self.radius_m is None) == (self.walk_s is None):
            raise field_problem("radius_m", "give exactly one of radius_m (straight line, "
                                "metres) or walk_s (walking time, seconds)")  # fmt: skip
        return self


class HeatQuery(QueryModel):
    """The heat filters; their rules live with the heat layer (``geo.heat.parse_heat_query``)."""

    kind: str | None = Field(None, description="incident kind(s), comma-separated")
    from_: str | None = Field(None, alias="from", description="start (ISO-8601 date or time)")
    to: str | None = Field(None, description="end, exclusive")
    hours: str | None = Field(None, description="hours of day, e.g. 22-6 (wraps midnight)")

    def args(self) -> dict[str, str]:
        """The given filters by their query names."""
        return self.model_dump(by_alias=True, exclude_none=True)

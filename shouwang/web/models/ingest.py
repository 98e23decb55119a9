"""The phone protocols, for the API document only.

``live.ingest.protocols`` decodes these (every field problem together, with
the protocol's own spellings and units); the models here describe them.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

__all__ = ["Batch", "Fix", "IngestOutcome", "OsmAndQuery", "OwnTracksMessage"]


class Fix(BaseModel):
    """One position report of our batch protocol."""

    device_id: str = Field(max_length=64)
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)
    ts: float | str | None = Field(None, description="epoch seconds, epoch milliseconds or ISO-8601 with zone")  # fmt: skip
    accuracy_m: float | None = Field(None, ge=0)
    speed_mps: float | None = Field(None, ge=0)
    heading_deg: float | None = Field(None, ge=0, le=360)
    altitude_m: float | None = None
    battery_pct: float | None = Field(None, ge=0, le=100)
    charging: bool | None = None
    alarm: Literal["sos"] | None = None


class Batch(BaseModel):
    """At most 1000 fixes, as a list or as ``{"fixes": [...]}``."""

    fixes: list[Fix] = Field(max_length=1000)


class FieldProblem(BaseModel):
    field: str
    problem: str


class Rejected(BaseModel):
    index: int
    errors: list[FieldProblem]


class IngestOutcome(BaseModel):
    accepted: int
    late: int = Field(description="accepted for history only (older than the guard's latest fix)")
    rejected: list[Rejected]


class OsmAndQuery(BaseModel):
    """OsmAnd protocol (Traccar Client, OsmAnd, GPSLogger): one fix in the query string."""

    id: str | None = Field(None, description="device id (or `deviceid`)")
    deviceid: str | None = Field(None, description="device id")
    lat: float | None = Field(None, description="latitude")
    lon: float | None = Field(None, description="longitude")
    location: str | None = Field(None, description="`lat,lon` instead of lat and lon")
    timestamp: str | None = Field(None, description="epoch s, epoch ms or ISO-8601 with zone; default now")  # fmt: skip
    speed: float | None = Field(None, description="speed in knots")
    bearing: float | None = Field(None, description="heading, degrees")
    heading: float | None = Field(None, description="heading, degrees")
    altitude: float | None = Field(None, description="metres")
    accuracy: float | None = Field(None, description="metres")
    batt: float | None = Field(None, description="battery %")
    charge: bool | None = Field(None, description="charging")
    alarm: str | None = Field(None, description="`sos` raises an SOS alarm for the guard")


class OwnTracksMessage(BaseModel, extra="allow"):
    """OwnTracks HTTP mode; only ``_type: location`` is a position."""

    type_: str = Field(alias="_type", description="`location`; other types are ignored")
    lat: float | None = None
    lon: float | None = None
    tst: int | None = Field(None, description="epoch seconds")
    acc: float | None = Field(None, description="accuracy, metres")
    tid: str | None = Field(None, description="tracker id")

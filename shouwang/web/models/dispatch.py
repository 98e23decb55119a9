"""Requests of the dispatch workflow: incident queries and the workflow's bodies.

Times in queries are an ISO date (station midnight) or date-time (no zone:
station time); the station's zone comes in the validation context as ``tz``,
the zone ids as ``zones``. The incident body's rules that need the data set
(inside the station's area) stay in the service, which the console calls too.
"""

from __future__ import annotations

from datetime import datetime, time
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field, ValidationInfo, field_validator, model_validator

from shouwang.dispatch.rules import INCIDENT_KINDS, SOURCES, IncidentStatus
from shouwang.web.models.base import BodyModel, QueryModel, field_problem

__all__ = [
    "AlarmBody",
    "AssignBody",
    "AuditQuery",
    "CancelBody",
    "CandidatesQuery",
    "CloseBody",
    "IncidentBody",
    "IncidentFilters",
    "IncidentListQuery",
    "TransitionBody",
]

STATUSES = tuple(s.value for s in IncidentStatus)
QUERY_SOURCES = (*SOURCES, "history")
TRANSITION_TARGETS = ("acknowledged", "en_route", "on_scene", "cleared", "declined",
                      "timed_out", "cancelled")  # fmt: skip


def station_time(text: str | None, info: ValidationInfo, field: str) -> float | None:
    """ISO date (station midnight) or date-time (no zone: station time) → epoch s."""
    if text is None:
        return None
    tz = (info.context or {})["tz"]
    try:
        if len(text) == 10:
            value = datetime.combine(datetime.fromisoformat(text).date(), time(), tz)
        else:
            value = datetime.fromisoformat(text.replace("Z", "+00:00"))
            value = value if value.tzinfo else value.replace(tzinfo=tz)
    except ValueError:
        raise field_problem(field, "must be an ISO date or date-time") from None
    return value.timestamp()


def _comma_list(value: Any) -> Any:
    if isinstance(value, str):
        return [v.strip() for v in value.split(",") if v.strip()]
    return value


CommaList = Annotated[list[str] | None, BeforeValidator(_comma_list)]


def _check_choices(field: str, values: list[str] | None, options: tuple[str, ...]) -> None:
    bad = [v for v in values or () if v not in options]
    if bad:
        raise field_problem(field, f"unknown {', '.join(bad)}; use {', '.join(options)}")


class IncidentFilters(QueryModel):
    """Filters shared by the incident list, the exports and the response-time figures."""

    since: float | None = Field(None, alias="from", description="ISO date (station midnight) or date-time; inclusive")  # fmt: skip
    until: float | None = Field(None, alias="to", description="ISO date or date-time; exclusive")
    status: CommaList = Field(None, description=f"comma list of {', '.join(STATUSES)}")
    kind: CommaList = Field(None, description="comma list of incident kinds")
    source: CommaList = Field(None, description=f"comma list of {', '.join(QUERY_SOURCES)} (default: all but history)")  # fmt: skip
    zone: CommaList = Field(None, description="comma list of zone ids")

    @field_validator("since", "until", mode="before")
    @classmethod
    def _time(cls, value: Any, info: ValidationInfo) -> float | None:
        return station_time(value, info, "from" if info.field_name == "since" else "to")

    @field_validator("status", "kind", "source", "zone")
    @classmethod
    def _choices(cls, values: list[str] | None, info: ValidationInfo) -> list[str] | None:
        options = {"status": STATUSES, "kind": INCIDENT_KINDS, "source": QUERY_SOURCES,
                   "zone": tuple((info.context or {}).get("zones", ()))}  # fmt: skip
        _check_choices(str(info.field_name), values, options[str(info.field_name)])
        return values

    @model_validator(mode="after")
    def _ordered(self) -> IncidentFilters:
        if self.since is not None and self.until is not None and self.since >= self.until:
            raise field_problem("to", "must be later than from")
        return self

    def filters(self) -> dict[str, Any]:
        """The keyword arguments of the incident reads."""
        return {"since": self.since, "until": self.until, "status": self.status,
                "kind": self.kind, "source": self.source, "zone": self.zone}  # fmt: skip


class IncidentListQuery(IncidentFilters):
    PROBLEMS = {"limit": "must be a whole number 1-2000"}
    limit: int = Field(200, ge=1, le=2000, description="1-2000, default 200")


class CandidatesQuery(QueryModel):
    PROBLEMS = {"k": "must be a whole number 1-50"}
    k: int = Field(5, ge=1, le=50, description="1-50, default 5")


class AuditQuery(QueryModel):
    PROBLEMS = {"limit": "must be a whole number 1-5000"}
    since: float | None = Field(None, description="ISO date or date-time")
    limit: int = Field(100, ge=1, le=5000, description="1-5000, default 100")

    @field_validator("since", mode="before")
    @classmethod
    def _time(cls, value: Any, info: ValidationInfo) -> float | None:
        return station_time(value, info, "since")


class IncidentBody(BodyModel):
    """A new incident; the point must lie in the station's area (``extent`` in the context).

    The service checks the same rules for the dispatch console.
    """

    PROBLEMS = {
        "priority": "must be a whole number 1 (most urgent) to 5",
        "lon": "is required, a number (WGS-84 degrees)",
        "lat": "is required, a number (WGS-84 degrees)",
        "description": "must be text of at most 2000 characters",
    }
    kind: Literal[INCIDENT_KINDS]  # type: ignore[valid-type]
    priority: int = Field(3, ge=1, le=5, description="1 (most urgent) to 5")
    lon: float = Field(ge=-180, le=180, description="WGS-84, inside the station's area")
    lat: float = Field(ge=-90, le=90, description="WGS-84, inside the station's area")
    description: str = Field("", max_length=2000)
    source: Literal["dispatcher", "guard_report"] = "dispatcher"

    @field_validator("lon", "lat", mode="before")
    @classmethod
    def _in_area(cls, value: Any, info: ValidationInfo) -> Any:
        extent = (info.context or {}).get("extent")
        if extent is None or isinstance(value, bool) or not isinstance(value, int | float):
            return value  # the type check answers
        lo, hi = (extent[0], extent[2]) if info.field_name == "lon" else (extent[1], extent[3])
        if not lo <= value <= hi:
            raise field_problem(str(info.field_name),
                                f"outside the station's area ({lo:.4f} to {hi:.4f})")  # fmt: skip
        return value

    @field_validator("source", mode="before")
    @classmethod
    def _not_machine(cls, value: Any) -> Any:
        if value in ("alarm_point", "sos"):
            raise field_problem("source", "alarm_point and sos incidents come from "
                                "/api/v1/alarms and the guards' phones")  # fmt: skip
        return value


class AssignBody(BodyModel):
    PROBLEMS = {"guard_ids": "must be a list of guard ids"}
    # 1 to 20 distinct known guards: the service checks (the console sends the same).
    guard_ids: list[str] = Field(json_schema_extra={"minItems": 1, "maxItems": 20})


class TransitionBody(BodyModel):
    PROBLEMS = {"to": "is required, the new state"}
    # Any text: an unknown state is the workflow's Conflict (invalid_transition), not a 400.
    to: str = Field(
        description="the new state", json_schema_extra={"enum": list(TRANSITION_TARGETS)}
    )


def _note(value: Any) -> str:
    # Closing must never fail over a note: anything is kept as text.
    return "" if value is None else str(value)[:2000]


Note = Annotated[str, BeforeValidator(_note)]


class CloseBody(BodyModel):
    note: Note = ""


class CancelBody(BodyModel):
    reason: Note = ""


class AlarmBody(BodyModel):
    PROBLEMS = {"key": "is required, the alarm point's key"}
    key: str = Field(min_length=1, description="the point's key")
    kind: Literal[INCIDENT_KINDS] = "other"  # type: ignore[valid-type]

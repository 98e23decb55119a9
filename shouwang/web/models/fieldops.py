"""Requests of field operations: reinforcement, roll call, guard reports, guard sign-in.

A period (``from``/``to``) is an ISO date or date-time in station time; a bare
``to`` date runs to the next midnight. The station's zone and the present
moment come in the validation context as ``tz`` and ``now``; the default
period is the last 7 days.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any, Literal

from pydantic import ConfigDict, Field, ValidationInfo, field_validator, model_validator

from shouwang.fieldops.reinforcement import ANSWERS, SCOPES
from shouwang.fieldops.reports import KINDS, MAX_TEXT_CHARS
from shouwang.web.models.base import BodyModel, QueryModel, field_problem

__all__ = [
    "PeriodQuery",
    "ReinforcementBody",
    "ReportForm",
    "ReportsQuery",
    "RespondBody",
    "RollcallBody",
    "SigninBody",
]


def _moment(text: str, info: ValidationInfo, *, end: bool) -> datetime:
    tz = (info.context or {})["tz"]
    if len(text) == 10:
        day = date.fromisoformat(text) + timedelta(days=1 if end else 0)
        return datetime(day.year, day.month, day.day, tzinfo=tz)
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=tz)


# Schema tweaks for fields the service checks: the document shows the rule,
# while the model lets a missing value through to the service's one refusal.
def _required(schema: dict[str, Any], **more: Any) -> None:
    schema.pop("default", None)
    schema.update(more)


def _file_part(schema: dict[str, Any]) -> None:
    schema.clear()
    schema.update(type="string", format="binary", description="JPEG, PNG or WebP, at most 5 MB")


class PeriodQuery(QueryModel):
    start: datetime | None = Field(None, alias="from", validate_default=True, description="ISO-8601 date (local midnight) or date-time; default 7 days ago")  # fmt: skip
    end: datetime | None = Field(None, alias="to", validate_default=True, description="ISO-8601 date (inclusive: up to the next local midnight) or date-time (exclusive); default now")  # fmt: skip

    @field_validator("start", "end", mode="before")
    @classmethod
    def _when(cls, value: Any, info: ValidationInfo) -> datetime:
        end = info.field_name == "end"
        if value is None:
            now: datetime = (info.context or {})["now"]
            return now + timedelta(seconds=1) if end else now - timedelta(days=7)
        try:
            return _moment(value, info, end=end)
        except ValueError:
            raise field_problem("to" if end else "from",
                                "must be an ISO-8601 date or date-time") from None  # fmt: skip

    @model_validator(mode="after")
    def _ordered(self) -> PeriodQuery:
        if self.start is not None and self.end is not None and self.start >= self.end:
            raise field_problem("to", "must be after from")
        return self


class ReportsQuery(PeriodQuery):
    PROBLEMS = {"kind": "must be clue or hazard"}
    guard_id: str | None = None
    kind: Literal[tuple(KINDS)] | None = None  # type: ignore[valid-type]


class ReinforcementBody(BodyModel):
    """A reinforcement call; the service checks the reach, the scope and the incident."""

    incident_id: str | None = Field(None, max_length=40)
    lon: float | None = Field(None, ge=-180, le=180)
    lat: float | None = Field(None, ge=-90, le=90)
    radius_m: float | None = Field(None, ge=10, le=10_000, description="straight-line reach; give exactly one of radius_m and walk_s")  # fmt: skip
    walk_s: float | None = Field(None, ge=10, le=7_200, description="travel time on the street graph")  # fmt: skip
    scope: str = Field("zone", json_schema_extra={"enum": list(SCOPES)})
    note: str = Field("", max_length=500)

    @model_validator(mode="after")
    def _whole_point(self) -> ReinforcementBody:
        if (self.lon is None) != (self.lat is None):
            raise field_problem("lat", "give both lon and lat, or neither")
        return self


class RespondBody(BodyModel):
    # The answer's values are the service's rule (one refusal for every bad answer).
    model_config = ConfigDict(json_schema_extra={"required": ["answer"]})
    answer: Any = Field(
        None, json_schema_extra=lambda s: _required(s, type="string", enum=list(ANSWERS))
    )
    note: str = Field("", max_length=500)


class RollcallBody(BodyModel):
    PROBLEMS = {"zone_id": "must be a zone id or null (all zones)"}
    zone_id: str | None = Field(None, description="one zone, or null for all zones")


class ReportForm(BodyModel):
    """The multipart form of a report (the service checks kind, text and the photo).

    Both texts are required, but a missing one is left to the service, which
    reports it together with a bad photo.
    """

    model_config = ConfigDict(json_schema_extra={"required": ["kind", "text"]})
    kind: str = Field("", json_schema_extra=lambda s: _required(s, enum=list(KINDS)))
    text: str = Field("", json_schema_extra=lambda s: _required(s, maxLength=MAX_TEXT_CHARS))
    # The file part itself is read by the blueprint, not by this model.
    photo: bytes | None = Field(None, json_schema_extra=_file_part)


class SigninBody(BodyModel):
    PROBLEMS = {"device_id": "is required (text, ≤ 64 chars)", "pin": "is required"}
    device_id: str = Field(max_length=64)
    pin: str = Field(description="4-8 digits; demo rule: last 4 digits of the guard's phone")

    @field_validator("device_id", "pin")
    @classmethod
    def _not_blank(cls, value: str, info: ValidationInfo) -> str:
        if not value.strip():
            raise field_problem(str(info.field_name), cls.PROBLEMS[str(info.field_name)])
        return value.strip()

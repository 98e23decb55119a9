"""The product's vocabulary: every domain code, once, as a StrEnum.

The values are the stable English codes stored in SQL rows and Redis, sent in
JSON and URLs; a member compares and hashes equal to its string, so code that
reads a row can compare with the member directly. Labels for people live in
:mod:`shouwang.i18n` under catalogue keys (``incident_kind.burglary``); an
enum here is never the key set of a translation table.
"""

from __future__ import annotations

from enum import StrEnum

__all__ = [
    "LIVE_SOURCES",
    "PREVENTABLE_KINDS",
    "AssignmentStatus",
    "Availability",
    "EventType",
    "GuardStatus",
    "IncidentKind",
    "IncidentSource",
    "IncidentStatus",
    "Mobility",
    "ReinforcementAnswer",
    "ReportKind",
    "RollCallOutcome",
    "Shift",
    "UnitKind",
]


class IncidentKind(StrEnum):
    """What happened: the seven preventable kinds first, then the others."""

    BURGLARY = "burglary"
    THEFT_FROM_VEHICLE = "theft_from_vehicle"
    BIKE_THEFT = "bike_theft"
    PICKPOCKETING = "pickpocketing"
    FRAUD = "fraud"
    VANDALISM = "vandalism"
    OTHER_THEFT = "other_theft"
    DISPUTE = "dispute"
    SUSPICIOUS_PERSON = "suspicious_person"
    FIRE_HAZARD = "fire_hazard"
    MEDICAL = "medical"
    OTHER = "other"


#: The preventable cases (可防性案件) of the historical incidents and the heat map.
PREVENTABLE_KINDS: tuple[IncidentKind, ...] = tuple(IncidentKind)[:7]


class IncidentSource(StrEnum):
    """Where an incident came from."""

    DISPATCHER = "dispatcher"
    ALARM_POINT = "alarm_point"
    SOS = "sos"
    GUARD_REPORT = "guard_report"
    HISTORY = "history"  # the data set's past incidents, loaded for the heat map


#: Sources of the live workflow (history rows are never dispatched).
LIVE_SOURCES: tuple[IncidentSource, ...] = tuple(
    s for s in IncidentSource if s is not IncidentSource.HISTORY
)


class IncidentStatus(StrEnum):
    """Where an incident is, as the console and the wall show it."""

    OPEN = "open"
    DISPATCHED = "dispatched"
    ON_SCENE = "on_scene"
    CLOSED = "closed"
    CANCELLED = "cancelled"


class AssignmentStatus(StrEnum):
    """Where one guard is in answering one incident."""

    ASSIGNED = "assigned"
    ACKNOWLEDGED = "acknowledged"
    EN_ROUTE = "en_route"
    ON_SCENE = "on_scene"
    CLEARED = "cleared"
    DECLINED = "declined"
    TIMED_OUT = "timed_out"
    CANCELLED = "cancelled"


class GuardStatus(StrEnum):
    """What the map shows for a guard."""

    ON_POST = "on_post"
    PATROLLING = "patrolling"
    DISPATCHED = "dispatched"
    OFF_DUTY = "off_duty"
    SIGNAL_LOST = "signal_lost"


class Availability(StrEnum):
    """Whether a guard can be sent."""

    AVAILABLE = "available"  # on duty, on post or patrolling
    BUSY = "busy"  # has an active assignment
    NOT_AVAILABLE = "not_available"  # off duty, signal lost


class UnitKind(StrEnum):
    """What a security unit (compound) is."""

    GOVERNMENT = "government"
    RESIDENTIAL = "residential"
    SCHOOL = "school"
    LIQUOR = "liquor"
    COMMERCIAL = "commercial"


class Shift(StrEnum):
    """A guard's shift pattern."""

    DAY = "day"
    NIGHT = "night"
    ROTATING = "rotating"


class Mobility(StrEnum):
    """How a guard moves on the streets."""

    FOOT = "foot"
    EBIKE = "ebike"


class RollCallOutcome(StrEnum):
    """A guard's answer to a roll call, as judged."""

    ON_TIME = "on_time"
    OFF_POST = "off_post"
    LATE = "late"
    MISSING = "missing"


class ReinforcementAnswer(StrEnum):
    """A guard's answer to a reinforcement call."""

    COMING = "coming"
    CANNOT = "cannot"


class ReportKind(StrEnum):
    """What a guard reports from his phone."""

    CLUE = "clue"
    HAZARD = "hazard"


class EventType(StrEnum):
    """The ``type`` of a message on the store's events channel."""

    # live layer (live.state.store)
    FIXES = "fixes"
    ALARM = "alarm"
    DUTY = "duty"
    # dispatch workflow (shouwang.dispatch)
    INCIDENT_CREATED = "incident_created"
    INCIDENT_UPDATED = "incident_updated"
    INCIDENT_UNASSIGNED = "incident_unassigned"
    ASSIGNMENT_CHANGED = "assignment_changed"
    ASSIGNMENT_TIMEOUT = "assignment_timeout"
    SOS_ACKNOWLEDGED = "sos_acknowledged"
    SOS_ESCALATED = "sos_escalated"
    # field operations (shouwang.fieldops)
    ROLLCALL = "rollcall"
    ROLLCALL_ANSWER = "rollcall_answer"
    ROLLCALL_CLOSED = "rollcall_closed"
    REINFORCEMENT = "reinforcement"
    REINFORCEMENT_RESPONSE = "reinforcement_response"
    REPORT = "report"

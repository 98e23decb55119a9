"""The dispatch workflow's rules, pure: state machines, availability, response times.

No Redis, SQL or clock here: :mod:`shouwang.dispatch.service` reads and writes the
records and asks these functions what is allowed.

Assignment (one guard sent to one incident)::

    assigned ─► acknowledged ─► en_route ─► on_scene ─► cleared
       │              │  └──────────────────►┘
       ├─► declined   └─► cancelled (from any active state)
       ├─► timed_out  (not acknowledged within ACK_TIMEOUT_S)
       └─► cancelled

Incident::

    open ─► dispatched ─► on_scene ─► closed
      ▲          │ ▲           │
      └──────────┘ └───────────┘  (the guards sent were stood down before
      ▲                        │   anyone cleared: send someone else)
      └────────────────────────┘
    open / dispatched / on_scene ─► cancelled or closed (by hand)
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from enum import StrEnum
from typing import Any, TypeVar

import numpy as np
import pandas as pd

from shouwang.errors import Conflict
from shouwang.vocab import (
    LIVE_SOURCES,
    AssignmentStatus,
    Availability,
    GuardStatus,
    IncidentKind,
    IncidentStatus,
)

__all__ = [
    "ACTIVE",
    "ASSIGNMENT_CHAIN",
    "ASSIGNMENT_TRANSITIONS",
    "ENDED_STATUSES",
    "INCIDENT_KINDS",
    "INCIDENT_TRANSITIONS",
    "MEASURES",
    "OPEN_STATUSES",
    "SOURCES",
    "AssignmentStatus",
    "Availability",
    "IncidentStatus",
    "InvalidTransition",
    "availability",
    "check_assignment_transition",
    "check_incident_transition",
    "derive_incident_status",
    "invalid_transition_error",
    "response_times",
]

#: Kinds and sources an incident of the live workflow may have (the vocabulary's).
INCIDENT_KINDS: tuple[IncidentKind, ...] = tuple(IncidentKind)
SOURCES = LIVE_SOURCES
PRIORITIES: tuple[int, ...] = (1, 2, 3, 4, 5)  # 1 is the most urgent


A, I = AssignmentStatus, IncidentStatus  # noqa: E741 - short names keep the tables readable

#: Allowed assignment transitions: from → the states it may go to.
ASSIGNMENT_TRANSITIONS: dict[AssignmentStatus, frozenset[AssignmentStatus]] = {
    A.ASSIGNED: frozenset({A.ACKNOWLEDGED, A.DECLINED, A.TIMED_OUT, A.CANCELLED}),
    A.ACKNOWLEDGED: frozenset({A.EN_ROUTE, A.ON_SCENE, A.CANCELLED}),
    A.EN_ROUTE: frozenset({A.ON_SCENE, A.CANCELLED}),
    A.ON_SCENE: frozenset({A.CLEARED, A.CANCELLED}),
    A.CLEARED: frozenset(),
    A.DECLINED: frozenset(),
    A.TIMED_OUT: frozenset(),
    A.CANCELLED: frozenset(),
}

#: States in which the guard is busy with the incident (his dispatch mark is held).
ACTIVE: frozenset[AssignmentStatus] = frozenset(
    {A.ASSIGNED, A.ACKNOWLEDGED, A.EN_ROUTE, A.ON_SCENE}
)

#: The chain a guard walks through an assignment, in order.
ASSIGNMENT_CHAIN: tuple[AssignmentStatus, ...] = (
    A.ASSIGNED, A.ACKNOWLEDGED, A.EN_ROUTE, A.ON_SCENE, A.CLEARED,
)  # fmt: skip

#: Incident states still being worked on (neither closed nor cancelled), in order.
OPEN_STATUSES: tuple[IncidentStatus, ...] = (I.OPEN, I.DISPATCHED, I.ON_SCENE)
#: Incident states that end it: nobody is sent any more.
ENDED_STATUSES: tuple[IncidentStatus, ...] = (I.CLOSED, I.CANCELLED)

#: Allowed incident transitions (derived by :func:`derive_incident_status` or by hand).
INCIDENT_TRANSITIONS: dict[IncidentStatus, frozenset[IncidentStatus]] = {
    I.OPEN: frozenset({I.DISPATCHED, I.CLOSED, I.CANCELLED}),
    I.DISPATCHED: frozenset({I.OPEN, I.ON_SCENE, I.CLOSED, I.CANCELLED}),
    # back when the guard on scene is called off and nobody else has been there
    I.ON_SCENE: frozenset({I.DISPATCHED, I.OPEN, I.CLOSED, I.CANCELLED}),
    I.CLOSED: frozenset(),
    I.CANCELLED: frozenset(),
}


class InvalidTransition(ValueError):
    """A state change the rules do not allow; ``frm`` and ``to`` say which."""

    def __init__(self, what: str, frm: str, to: str) -> None:
        self.what, self.frm, self.to = what, frm, to
        super().__init__(f"{what} cannot go from {frm!r} to {to!r}")


def invalid_transition_error(exc: InvalidTransition) -> Conflict:
    """The Conflict for a refused transition (details carry ``from`` and ``to``)."""
    return Conflict(
        "invalid_transition",
        str(exc),
        [{"field": "to", "problem": str(exc), "from": exc.frm, "to": exc.to}],
    )


_State = TypeVar("_State", bound=StrEnum)


def _check(
    table: Mapping[_State, Collection[_State]], enum: type[_State], what: str, frm: str, to: str
) -> _State:
    try:
        f, t = enum(frm), enum(to)
    except ValueError:
        raise InvalidTransition(what, str(frm), str(to)) from None
    if t not in table[f]:
        raise InvalidTransition(what, f.value, t.value)
    return t


def check_assignment_transition(frm: str, to: str) -> AssignmentStatus:
    """The target state if ``frm → to`` is allowed for an assignment.

    Raises
    ------
    InvalidTransition
        Unknown state or a move the table does not allow.
    """
    return _check(ASSIGNMENT_TRANSITIONS, AssignmentStatus, "assignment", frm, to)


def check_incident_transition(frm: str, to: str) -> IncidentStatus:
    """The target state if ``frm → to`` is allowed for an incident (see :func:`check_assignment_transition`)."""
    return _check(INCIDENT_TRANSITIONS, IncidentStatus, "incident", frm, to)


def derive_incident_status(current: str, assignment_statuses: Iterable[str]) -> IncidentStatus:
    """The incident's status implied by its assignments.

    Closed and cancelled incidents stay so. Otherwise: a guard on scene (or
    one who was and others still active) → ``on_scene``; some guard active →
    ``dispatched``; a guard cleared and nobody active → ``closed``; nobody
    active and nobody ever reached the scene → ``open`` (send someone else).
    """
    cur = IncidentStatus(current)
    if cur in (I.CLOSED, I.CANCELLED):
        return cur
    statuses = {AssignmentStatus(s) for s in assignment_statuses}
    active = statuses & ACTIVE
    reached = A.ON_SCENE in statuses or A.CLEARED in statuses
    if active:
        return I.ON_SCENE if reached else I.DISPATCHED
    if A.CLEARED in statuses:
        return I.CLOSED
    return I.OPEN


def availability(status: pd.Series, busy: pd.Series) -> pd.Series:
    """Each guard's availability from his live status and whether he has an active assignment.

    Parameters
    ----------
    status
        :class:`shouwang.vocab.GuardStatus` values (``on_post``, ``patrolling``,
        ``dispatched``, ``off_duty``, ``signal_lost``).
    busy
        True where the guard holds an active assignment (or dispatch mark).
    """
    s = status.astype(str).to_numpy()
    b = busy.fillna(False).astype(bool).to_numpy()
    G = GuardStatus
    free = np.isin(s, [G.ON_POST.value, G.PATROLLING.value])
    out = np.where(free, Availability.AVAILABLE.value, Availability.NOT_AVAILABLE.value)
    out = np.where(b | (s == G.DISPATCHED.value), Availability.BUSY.value, out)
    # A busy guard whose phone went quiet cannot be counted on either.
    lost = np.isin(s, [G.OFF_DUTY.value, G.SIGNAL_LOST.value])
    out = np.where(lost, Availability.NOT_AVAILABLE.value, out)
    return pd.Series(out, index=status.index)


# ---------------------------------------------------------------- response times

#: Response-time measures: name → (start column, end column).
MEASURES: dict[str, tuple[str, str]] = {
    "acknowledge": ("assigned_at", "acknowledged_at"),
    "turnout": ("acknowledged_at", "en_route_at"),
    "travel": ("en_route_at", "on_scene_at"),
    "total": ("created_at", "first_on_scene_at"),
}


def _summary(values: pd.Series) -> dict[str, float | int | None]:
    v = values.dropna().to_numpy(dtype=float)
    if not len(v):
        return {"count": 0, "p50_s": None, "p90_s": None}
    p50, p90 = np.percentile(v, [50, 90], method="linear")
    return {"count": int(len(v)), "p50_s": round(float(p50), 1), "p90_s": round(float(p90), 1)}


def response_times(
    assignments: pd.DataFrame, by: tuple[str, ...] = ("zone_id", "kind")
) -> dict[str, Any]:
    """P50 and P90 of each response measure, overall and per group.

    Percentiles use linear interpolation between order statistics (numpy's
    default), so P50 of 10, 20, 30, 40 s is 25 s. Not the mean: one guard who
    forgot to press "arrived" must not move the figure.

    Parameters
    ----------
    assignments
        One row per assignment with ``incident_id``, the group columns, and
        epoch-second columns ``created_at`` (incident), ``assigned_at``,
        ``acknowledged_at``, ``en_route_at``, ``on_scene_at`` (NaN when the
        step never happened). ``total`` is per incident: created → the first
        guard on scene.
    by
        Group columns.

    Returns
    -------
    dict
        ``{"overall": {measure: {count, p50_s, p90_s}}, "groups": [{<by
        columns>, measure: {...}}, ...]}``; negative durations (clock skew)
        are left out.
    """
    df = assignments.copy()
    for col in ("created_at", "assigned_at", "acknowledged_at", "en_route_at", "on_scene_at"):
        df[col] = pd.to_numeric(df[col], errors="coerce").astype(float)
    df["first_on_scene_at"] = df.groupby("incident_id")["on_scene_at"].transform("min")
    for name, (start, end) in MEASURES.items():
        d = df[end] - df[start]
        df[name] = d.where(d >= 0)
    # total counts each incident once, on its first row
    df["total"] = df["total"].where(~df["incident_id"].duplicated())

    def summarise(frame: pd.DataFrame) -> dict[str, Any]:
        return {name: _summary(frame[name]) for name in MEASURES}

    groups = []
    if len(df):
        keys = list(by)
        filled = df.assign(**{k: df[k].astype(object).where(df[k].notna(), None) for k in keys})
        for key, frame in filled.groupby(keys, dropna=False, sort=True):
            values: tuple[Any, ...] = key if isinstance(key, tuple) else (key,)
            groups.append(
                {
                    **{k: (None if pd.isna(v) else v) for k, v in zip(keys, values, strict=True)},
                    **summarise(frame),
                }
            )
    return {"overall": summarise(df), "groups": groups}

"""The dispatch rules, pure: state machines (exhaustively), availability, response times."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pandas as pd
import pytest

from shouwang.dispatch.rules import (
    ACTIVE,
    INCIDENT_KINDS,
    AssignmentStatus,
    IncidentStatus,
    InvalidTransition,
    availability,
    check_assignment_transition,
    check_incident_transition,
    derive_incident_status,
    response_times,
)
from shouwang.i18n import label

# Written out edge by edge, independently of the table in shouwang.dispatch.rules.
ASSIGNMENT_EDGES = {
    ("assigned", "acknowledged"),
    ("assigned", "declined"),
    ("assigned", "timed_out"),
    ("assigned", "cancelled"),
    ("acknowledged", "en_route"),
    ("acknowledged", "on_scene"),
    ("acknowledged", "cancelled"),
    ("en_route", "on_scene"),
    ("en_route", "cancelled"),
    ("on_scene", "cleared"),
    ("on_scene", "cancelled"),
}
INCIDENT_EDGES = {
    ("open", "dispatched"),
    ("open", "closed"),
    ("open", "cancelled"),
    ("dispatched", "open"),
    ("dispatched", "on_scene"),
    ("dispatched", "closed"),
    ("dispatched", "cancelled"),
    ("on_scene", "dispatched"),
    ("on_scene", "open"),
    ("on_scene", "closed"),
    ("on_scene", "cancelled"),
}
A_STATES = [s.value for s in AssignmentStatus]
I_STATES = [s.value for s in IncidentStatus]


@pytest.mark.parametrize("frm,to", list(itertools.product(A_STATES, [*A_STATES, "flying"])))
def test_every_assignment_transition(frm, to):
    if (frm, to) in ASSIGNMENT_EDGES:
        assert check_assignment_transition(frm, to) == to
    else:
        with pytest.raises(InvalidTransition) as err:
            check_assignment_transition(frm, to)
        assert (err.value.frm, err.value.to) == (frm, to)


@pytest.mark.parametrize("frm,to", list(itertools.product(I_STATES, [*I_STATES, "lost"])))
def test_every_incident_transition(frm, to):
    if (frm, to) in INCIDENT_EDGES:
        assert check_incident_transition(frm, to) == to
    else:
        with pytest.raises(InvalidTransition):
            check_incident_transition(frm, to)


def test_unknown_from_state_is_an_invalid_transition():
    with pytest.raises(InvalidTransition):
        check_assignment_transition("teleported", "cleared")


def test_active_states_are_the_ones_with_a_way_forward_to_cleared():
    assert {s.value for s in ACTIVE} == {"assigned", "acknowledged", "en_route", "on_scene"}


@pytest.mark.parametrize(
    "current,statuses,expected",
    [
        ("open", [], "open"),
        ("open", ["assigned"], "dispatched"),
        ("dispatched", ["acknowledged", "declined"], "dispatched"),
        ("dispatched", ["declined", "timed_out"], "open"),
        ("dispatched", ["en_route", "on_scene"], "on_scene"),
        ("on_scene", ["cleared", "en_route"], "on_scene"),  # one cleared, one still coming
        ("on_scene", ["cleared", "cancelled"], "closed"),
        ("on_scene", ["cleared"], "closed"),
        ("closed", ["assigned"], "closed"),
        ("cancelled", [], "cancelled"),
    ],
)
def test_incident_status_follows_its_assignments(current, statuses, expected):
    assert derive_incident_status(current, statuses) == expected


def test_derived_incident_moves_are_all_allowed():
    """Every reachable chain of assignment changes moves the incident only along its table.

    Breadth-first over (incident status, assignment statuses) with up to three
    guards: each step sends one more guard or moves one assignment along an
    allowed edge, as the service does, then derives the incident's status.
    """
    start = ("open", ())
    seen, todo = {start}, [start]
    while todo:
        status, guards = todo.pop()
        steps = [] if status in ("closed", "cancelled") else [guards + ("assigned",)]
        steps = [g for g in steps if len(g) <= 3]
        for i, a in enumerate(guards):
            for frm, to in ASSIGNMENT_EDGES:
                if frm == a:
                    steps.append(guards[:i] + (to,) + guards[i + 1 :])
        for nxt in steps:
            new = derive_incident_status(status, nxt).value
            if new != status:
                check_incident_transition(status, new)
            state = (new, tuple(sorted(nxt)))
            if state not in seen:
                seen.add(state)
                todo.append(state)
    reached = {s for s, _ in seen}
    assert reached == set(I_STATES) - {"cancelled"}  # cancelling is by hand only


def test_availability():
    status = pd.Series(
        ["on_post", "patrolling", "dispatched", "off_duty", "signal_lost", "on_post"]
    )
    busy = pd.Series([False, False, True, False, True, True])
    assert availability(status, busy).tolist() == [
        "available",
        "available",
        "busy",
        "not_available",
        "not_available",
        "busy",
    ]


def test_every_code_has_a_chinese_label():
    assert len(INCIDENT_KINDS) == 12 and INCIDENT_KINDS[:2] == ("burglary", "theft_from_vehicle")
    assert {s.value for s in AssignmentStatus} == set(A_STATES)
    assert {s.value for s in IncidentStatus} == set(I_STATES)
    for member in (*INCIDENT_KINDS, *AssignmentStatus, *IncidentStatus):
        assert label(member, "zh") not in ("", member.value)


# ------------------------------------------------------------------ response times


def _rows(spec):
    """Assignments from (incident, zone, kind, created, assigned, ack, en_route, on_scene)."""
    cols = ["incident_id", "zone_id", "kind", "created_at", "assigned_at", "acknowledged_at",
            "en_route_at", "on_scene_at"]  # fmt: skip
    return pd.DataFrame(spec, columns=cols).astype({c: float for c in cols[3:]})


def test_percentiles_on_hand_made_numbers():
    nan = np.nan
    df = _rows(
        [
            # acknowledge 10, turnout 5, travel 100, total (first on scene) 120
            ("I1", "E", "burglary", 0, 5, 15, 20, 120),
            # acknowledge 20, turnout 10, travel 200
            ("I2", "E", "burglary", 0, 0, 20, 30, 230),
            # acknowledge 30, no turnout (straight to scene), no travel; total 60
            ("I3", "E", "burglary", 100, 100, 130, nan, 160),
            # acknowledge 40, never arrived
            ("I4", "W", "fraud", 0, 0, 40, 50, nan),
            # second guard of I1 reached later: total of I1 stays 120
            ("I1", "E", "burglary", 0, 6, 16, 20, 300),
        ]
    )
    out = response_times(df)
    ack = out["overall"]["acknowledge"]
    # durations 10, 20, 30, 40, 10 → sorted 10 10 20 30 40: P50 20, P90 36
    assert ack == {"count": 5, "p50_s": 20.0, "p90_s": 36.0}
    # turnout 5, 10, 10, 4 → sorted 4 5 10 10: P50 7.5, P90 10
    assert out["overall"]["turnout"] == {"count": 4, "p50_s": 7.5, "p90_s": 10.0}
    # travel 100, 200, 280 → P50 200, P90 264
    assert out["overall"]["travel"] == {"count": 3, "p50_s": 200.0, "p90_s": 264.0}
    # total per incident: I1 120, I2 230, I3 60 (I4 never reached) → P50 120, P90 208
    assert out["overall"]["total"] == {"count": 3, "p50_s": 120.0, "p90_s": 208.0}
    groups = {(g["zone_id"], g["kind"]): g for g in out["groups"]}
    assert set(groups) == {("E", "burglary"), ("W", "fraud")}
    w = groups[("W", "fraud")]
    assert w["acknowledge"] == {"count": 1, "p50_s": 40.0, "p90_s": 40.0}
    assert w["total"] == {"count": 0, "p50_s": None, "p90_s": None}
    # not the mean: one very slow acknowledgement does not move the median
    slow = pd.concat([df, _rows([("I5", "E", "burglary", 0, 0, 10_000, nan, nan)])])
    assert response_times(slow)["overall"]["acknowledge"]["p50_s"] == 25.0
    assert not math.isclose(response_times(slow)["overall"]["acknowledge"]["p50_s"],
                            float(np.mean([10, 20, 30, 40, 10, 10_000])))  # fmt: skip


def test_response_times_of_nothing_and_negative_durations():
    empty = response_times(_rows([]))
    assert empty["groups"] == []
    assert empty["overall"]["total"] == {"count": 0, "p50_s": None, "p90_s": None}
    skewed = response_times(_rows([("I1", None, "fraud", 0, 50, 40, 60, 70)]))
    assert skewed["overall"]["acknowledge"]["count"] == 0  # ack before assignment: left out
    assert skewed["groups"][0]["zone_id"] is None

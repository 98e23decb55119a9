"""The vocabulary: one definition of each code, and the plain copies kept in step."""

from __future__ import annotations

from enum import StrEnum

import geo.heat
import geo.nearest
import shouwang.vocab as vocab
from live.push import STATUS_CODES
from shouwang.dataset import spec
from shouwang.fieldops.service import GUARD_EVENTS
from shouwang.vocab import (
    LIVE_SOURCES,
    PREVENTABLE_KINDS,
    EventType,
    GuardStatus,
    IncidentKind,
    IncidentSource,
    Mobility,
    Shift,
    UnitKind,
)


def values(members) -> tuple[str, ...]:
    return tuple(m.value for m in members)


def test_geo_keeps_plain_copies_equal_to_the_vocabulary():
    """geo imports nothing of the product, so it holds plain strings; they must not drift."""
    assert geo.heat.PREVENTABLE_KINDS == values(PREVENTABLE_KINDS)
    assert geo.nearest.MOBILITIES == values(Mobility)


def test_the_data_set_and_the_live_feed_take_the_vocabularys_codes():
    assert spec.INCIDENT_KINDS == values(PREVENTABLE_KINDS)
    assert spec.UNIT_KINDS == values(UnitKind)
    assert spec.SHIFTS == values(Shift) and spec.MOBILITY == values(Mobility)
    assert STATUS_CODES == values(GuardStatus)


def test_members_are_their_codes():
    """SQL rows, JSON and URLs carry the same strings as before the enums."""
    assert IncidentKind.BURGLARY == "burglary" and f"{IncidentKind.BURGLARY}" == "burglary"
    assert values(PREVENTABLE_KINDS) == (
        "burglary", "theft_from_vehicle", "bike_theft", "pickpocketing", "fraud", "vandalism",
        "other_theft",
    )  # fmt: skip
    assert IncidentSource.HISTORY not in LIVE_SOURCES and len(LIVE_SOURCES) == 4
    assert set(GUARD_EVENTS) <= set(EventType)


def test_no_two_vocabularies_share_a_name():
    enums = [
        v
        for v in vars(vocab).values()
        if isinstance(v, type) and issubclass(v, StrEnum) and v is not StrEnum
    ]
    names = [e.__name__ for e in enums]
    assert len(names) == len(set(names)) and len(enums) >= 12
    for enum in enums:
        assert len({m.value for m in enum}) == len(enum)  # no aliases

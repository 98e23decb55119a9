"""The time helpers: epoch seconds, aware datetimes and ISO text, both ways."""

from __future__ import annotations

import math
from datetime import UTC, datetime

from shouwang.timeutil import aware, clock_text, epoch, epoch_of_iso, iso, iso_z, utc

TS = 1_764_590_400.0  # 2025-12-01 12:00:00 UTC


def test_epoch_and_datetimes_round_trip():
    assert utc(TS) == datetime(2025, 12, 1, 12, tzinfo=UTC)
    assert epoch(utc(TS)) == TS
    naive = datetime(2025, 12, 1, 12)  # as SQLite hands a timestamp back
    assert aware(naive).tzinfo is UTC and epoch(naive) == TS
    assert iso(naive) == "2025-12-01T12:00:00+00:00"
    assert utc(None) is None and aware(None) is None and epoch(None) is None and iso(None) is None


def test_iso_text():
    assert iso_z(TS + 0.7) == "2025-12-01T12:00:00Z"
    assert iso_z(None) is None and iso_z(math.nan) is None
    assert epoch_of_iso("2025-12-01T12:00:00Z") == TS
    assert epoch_of_iso("2025-12-01T20:00:00+08:00") == TS
    assert epoch_of_iso("") is None and epoch_of_iso(None) is None
    assert clock_text("2025-12-01T12:00:00Z", "Asia/Shanghai") == "20:00:00"
    assert clock_text(None, "Asia/Shanghai") == ""

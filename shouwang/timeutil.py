"""Time helpers: epoch seconds, aware datetimes and ISO-8601 text, converted once.

The product keeps time as epoch seconds (Redis, the clock) and aware UTC
datetimes (SQL); SQLite hands timestamps back naive, in UTC.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import overload
from zoneinfo import ZoneInfo

__all__ = ["aware", "clock_text", "epoch", "epoch_of_iso", "iso", "iso_z", "utc"]


@overload
def utc(ts: float) -> datetime: ...
@overload
def utc(ts: None) -> None: ...
def utc(ts: float | None) -> datetime | None:
    """Epoch seconds → aware UTC datetime (None stays None)."""
    return None if ts is None else datetime.fromtimestamp(ts, UTC)


@overload
def aware(value: datetime) -> datetime: ...
@overload
def aware(value: None) -> None: ...
def aware(value: datetime | None) -> datetime | None:
    """A datetime read back from SQL, made aware (SQLite returns naive UTC)."""
    if value is None:
        return None
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


@overload
def epoch(value: datetime) -> float: ...
@overload
def epoch(value: None) -> None: ...
def epoch(value: datetime | None) -> float | None:
    """A timestamp column's value → epoch seconds (None stays None)."""
    return None if value is None else aware(value).timestamp()


@overload
def iso(value: datetime) -> str: ...
@overload
def iso(value: None) -> None: ...
def iso(value: datetime | None) -> str | None:
    """A timestamp column's value as ISO-8601 with its offset (None stays None)."""
    return None if value is None else aware(value).isoformat()


def iso_z(ts: float | None) -> str | None:
    """Epoch seconds → ISO-8601 UTC to the second with ``Z``; None and NaN → None."""
    if ts is None or (isinstance(ts, float) and math.isnan(ts)):
        return None
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def epoch_of_iso(text: str | None) -> float | None:
    """ISO-8601 text (``Z`` or an offset) → epoch seconds; empty or None → None."""
    return None if not text else datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def clock_text(text: str | None, tz: str, fmt: str = "%H:%M:%S") -> str:
    """ISO-8601 text as the wall-clock time in ``tz`` (``HH:MM:SS``); empty or None → ""."""
    if not text:
        return ""
    return (
        datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(ZoneInfo(tz)).strftime(fmt)
    )

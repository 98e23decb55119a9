"""The one in-memory shape of a position report, and the field parsers the decoders share.

Every parser here *collects* problems into a list of :class:`FieldError` instead of raising
on the first one, so a decoder can look at every field of a report and then raise a single
:class:`DecodeError` that tells the sender everything that is wrong at once.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

#: One knot in metres per second (OsmAnd ``speed`` is in knots).
KNOT_MPS = 0.514444
#: One kilometre per hour in metres per second (OwnTracks ``vel`` is in km/h).
KMH_MPS = 1.0 / 3.6
#: Longest accepted device identifier, in characters.
MAX_DEVICE_ID_LEN = 64
#: Epoch values above this are milliseconds, below it seconds (1e11 s is the year 5138,
#: 1e11 ms is 1973, so the two ranges cannot be confused for real reports).
EPOCH_MS_THRESHOLD = 1e11
#: Earliest accepted fix time (2000-01-01T00:00:00Z). A phone without a clock sends 0 or a
#: small number; such a time is never a real fix and would pollute the history.
MIN_FIX_TS = 946_684_800.0

# "+08:00" whose "+" a URL decoder turned into a space (apps often leave "+" unencoded).
_LOST_PLUS_RE = re.compile(r"(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?) (\d{2}:?\d{2})$")
_NUMERIC_RE = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")
_MAX_SHOWN = 40
_MAX_ALARM_LEN = 64


@dataclass(frozen=True, slots=True)
class PreviousFix:
    """The latest accepted fix of a device, as stored before the request."""

    ts: float
    lat: float
    lon: float


@dataclass(frozen=True, slots=True)
class Fix:
    """One position report of one device, whatever protocol brought it.

    Attributes
    ----------
    device_id : str
        Identifier configured in the phone app (maps to a guard through the roster).
    lat, lon : float
        Degrees WGS-84.
    ts : float
        Time of the fix, epoch seconds UTC.
    accuracy_m, speed_mps, heading_deg, altitude_m : float or None
        Horizontal accuracy (m), speed (m/s), heading (degrees from north), altitude (m).
        None when the app did not send it or sent its "unknown" marker.
    battery_pct : float or None
        Battery level, 0-100.
    charging : bool or None
        True when the phone is on a charger.
    alarm : str or None
        ``"sos"`` for a panic button, another lower-case alarm name, or None.
    source : str
        ``"batch"``, ``"osmand"`` or ``"owntracks"``.
    """

    device_id: str
    lat: float
    lon: float
    ts: float
    accuracy_m: float | None = None
    speed_mps: float | None = None
    heading_deg: float | None = None
    altitude_m: float | None = None
    battery_pct: float | None = None
    charging: bool | None = None
    alarm: str | None = None
    source: str = "batch"


@dataclass(frozen=True, slots=True)
class FieldError:
    """One problem with one field of a report, e.g. ``("lat", "must be ...")``."""

    field: str
    problem: str

    def as_dict(self) -> dict[str, str]:
        """Return the ``{"field": ..., "problem": ...}`` shape used in API error details."""
        return {"field": self.field, "problem": self.problem}


class DecodeError(Exception):
    """A report (or a whole request) could not be decoded.

    Carries every :class:`FieldError` found, not only the first.
    """

    def __init__(self, errors: FieldError | Iterable[FieldError]):
        if isinstance(errors, FieldError):
            errors = [errors]
        self.errors: list[FieldError] = list(errors)
        super().__init__("; ".join(f"{e.field}: {e.problem}" for e in self.errors))

    def as_dicts(self) -> list[dict[str, str]]:
        """Return the errors as API error ``details``."""
        return [e.as_dict() for e in self.errors]


def _shown(value: Any) -> str:
    """Short representation of a received value for an error message."""
    text = repr(value)
    return text if len(text) <= _MAX_SHOWN else text[: _MAX_SHOWN - 3] + "..."


def is_missing(value: Any) -> bool:
    """True for an absent value: None, or a blank string (``&accuracy=&`` in a query)."""
    return value is None or (isinstance(value, str) and not value.strip())


def _range_text(lo: float | None, hi: float | None) -> str:
    if lo is not None and hi is not None:
        return f"must be a number between {lo:g} and {hi:g}"
    if lo is not None:
        return f"must be a number of at least {lo:g}"
    if hi is not None:
        return f"must be a number of at most {hi:g}"
    return "must be a finite number"


def to_float(value: Any) -> float | None:
    """Convert a JSON number or a numeric string to a finite float; None if it is not one.

    Booleans are not numbers here (JSON ``true`` is not ``1``). Strings must look like a
    decimal number: ``"nan"``, ``"inf"``, ``"0x10"`` and ``"12,5"`` are refused.
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        result = float(value)
    elif isinstance(value, str) and _NUMERIC_RE.match(value.strip()):
        result = float(value.strip())
    else:
        return None
    return result if math.isfinite(result) else None


def parse_number(
    value: Any,
    field: str,
    errors: list[FieldError],
    *,
    required: bool = False,
    lo: float | None = None,
    hi: float | None = None,
) -> float | None:
    """Parse a finite number within ``[lo, hi]``; record a problem and return None if not.

    Parameters
    ----------
    value : Any
        The received value (JSON number or string).
    field : str
        Name of the field as the sender knows it, used in the error.
    errors : list of FieldError
        Problems are appended here.
    required : bool
        Whether a missing value is a problem.
    lo, hi : float, optional
        Inclusive bounds.
    """
    if is_missing(value):
        if required:
            errors.append(FieldError(field, "missing: " + _range_text(lo, hi)))
        return None
    number = to_float(value)
    if number is None or (lo is not None and number < lo) or (hi is not None and number > hi):
        errors.append(FieldError(field, f"{_range_text(lo, hi)} (got {_shown(value)})"))
        return None
    return number


def _epoch_from_number(number: float) -> float:
    """Seconds from an epoch number that may be seconds or milliseconds."""
    return number / 1000.0 if abs(number) > EPOCH_MS_THRESHOLD else number


def parse_timestamp(
    value: Any, field: str, errors: list[FieldError], *, required: bool = False
) -> float | None:
    """Parse a fix time to epoch seconds UTC.

    Accepted: epoch seconds, epoch milliseconds (values above 1e11 are milliseconds), both
    as JSON numbers or numeric strings, and ISO-8601 with a zone (``2026-11-21T12:00:00Z``,
    ``2026-11-21T20:00:00.250+08:00``). An ISO time without a zone is refused: it is
    ambiguous (phone local time or UTC?). A zone offset whose ``+`` was decoded to a space
    by URL decoding (``...T20:00:00 08:00``) is read as ``+08:00``. Times before 2000-01-01 are refused as a phone
    without a valid clock.
    """
    expected = (
        "must be epoch seconds, epoch milliseconds or ISO-8601 with a zone "
        "(e.g. 2026-11-21T12:00:00Z)"
    )
    if is_missing(value):
        if required:
            errors.append(FieldError(field, "missing: " + expected))
        return None
    number = to_float(value)
    if number is not None:
        seconds = _epoch_from_number(number)
    elif isinstance(value, str):
        text = _LOST_PLUS_RE.sub(r"\1+\4", value.strip())
        try:
            parsed = datetime.fromisoformat(text)
        except ValueError:
            errors.append(FieldError(field, f"{expected} (got {_shown(value)})"))
            return None
        if parsed.tzinfo is None or parsed.utcoffset() is None:
            errors.append(
                FieldError(
                    field,
                    "ISO-8601 time without a zone is ambiguous: add Z or an offset "
                    f"such as +08:00 (got {_shown(value)})",
                )
            )
            return None
        seconds = parsed.timestamp()
    else:
        errors.append(FieldError(field, f"{expected} (got {_shown(value)})"))
        return None
    if seconds < MIN_FIX_TS:
        errors.append(
            FieldError(
                field, f"is before 2000-01-01, the phone clock is not set (got {_shown(value)})"
            )
        )
        return None
    return seconds


_TRUE = {"true", "1", "yes", "on"}
_FALSE = {"false", "0", "no", "off"}


def parse_bool(value: Any, field: str, errors: list[FieldError]) -> bool | None:
    """Parse an optional boolean: JSON true/false, 0/1, or the strings true/false/1/0/yes/no."""
    if is_missing(value):
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        text = value.strip().lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
    errors.append(FieldError(field, f"must be true or false (got {_shown(value)})"))
    return None


def parse_device_id(value: Any, field: str, errors: list[FieldError]) -> str | None:
    """Parse the required device identifier: a non-empty printable string of at most 64 chars.

    A JSON integer is accepted and turned into its decimal string (apps that use a numeric
    id such as an IMEI sometimes send it unquoted).
    """
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if is_missing(value):
        errors.append(FieldError(field, "missing: the device identifier is required"))
        return None
    if not isinstance(value, str):
        errors.append(FieldError(field, f"must be a string (got {_shown(value)})"))
        return None
    text = value.strip()
    if len(text) > MAX_DEVICE_ID_LEN:
        errors.append(
            FieldError(field, f"must be at most {MAX_DEVICE_ID_LEN} characters (got {len(text)})")
        )
        return None
    if not text.isprintable():
        errors.append(FieldError(field, "must contain printable characters only"))
        return None
    return text


def parse_alarm(value: Any, field: str, errors: list[FieldError]) -> str | None:
    """Parse an optional alarm name: ``"sos"`` (any case) for a panic alarm, else lower case."""
    if is_missing(value):
        return None
    if not isinstance(value, str):
        errors.append(
            FieldError(field, f'must be an alarm name such as "sos" (got {_shown(value)})')
        )
        return None
    text = value.strip().lower()
    if len(text) > _MAX_ALARM_LEN or not text.isprintable():
        errors.append(FieldError(field, f"must be a short alarm name (got {_shown(value)})"))
        return None
    return text


def parse_reading(
    value: Any, field: str, errors: list[FieldError], *, hi: float | None = None
) -> float | None:
    """Parse an optional sensor reading whose negative values mean "unknown".

    iOS (CLLocation) and the transistorsoft SDK used by Traccar Client report -1 for an
    unknown speed, course or battery level, and old clients send that marker scaled
    (-1.94 knots, -100 %). A negative speed, heading or battery level has no other meaning,
    so it is read as None rather than refused. Values above ``hi`` are refused.
    """
    if is_missing(value):
        return None
    number = to_float(value)
    if number is None or (hi is not None and number > hi):
        bounds = f"between 0 and {hi:g}" if hi is not None else "of at least 0"
        errors.append(
            FieldError(
                field,
                f"must be a number {bounds}, or negative for unknown (got {_shown(value)})",
            )
        )
        return None
    return None if number < 0 else number


def load_json(body: Any, name: str = "body") -> Any:
    """Parse ``body`` if it is JSON text or bytes; return already-parsed JSON unchanged."""
    if isinstance(body, bytes | bytearray):
        try:
            body = bytes(body).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise DecodeError(FieldError(name, f"is not UTF-8 text ({exc.reason})")) from exc
    if isinstance(body, str):
        try:
            return json.loads(body)
        except json.JSONDecodeError as exc:
            raise DecodeError(
                FieldError(
                    name, f"is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
                )
            ) from exc
    return body

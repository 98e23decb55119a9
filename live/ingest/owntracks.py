"""Decoder for OwnTracks in HTTP mode: one JSON message per POST, ``_type`` telling its kind.

Pure like :mod:`live.ingest.protocols`: no I/O, no clock, every problem reported together.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from live.fixes import (
    KMH_MPS,
    DecodeError,
    FieldError,
    Fix,
    is_missing,
    load_json,
    parse_device_id,
    parse_number,
    parse_reading,
    parse_timestamp,
)

# --------------------------------------------------------------------------- OwnTracks

#: OwnTracks ``bs`` battery status: 0 unknown, 1 unplugged, 2 charging, 3 full (on charger).
_OWNTRACKS_BS = {0: None, 1: False, 2: True, 3: True}


def _is_empty_body(body: Any) -> bool:
    """True for an absent or zero-length body (OwnTracks POSTs one when a friend is deleted)."""
    if body is None:
        return True
    if isinstance(body, str):
        return not body.strip()
    if isinstance(body, bytes | bytearray):
        return not bytes(body).strip()
    return False


def _header(headers: Mapping[str, str], name: str) -> Any:
    """Case-insensitive header lookup on a plain dict or a framework headers object."""
    value = headers.get(name)
    if value is not None:
        return value
    lowered = name.lower()
    for key, item in headers.items():
        if key.lower() == lowered:
            return item
    return None


def _owntracks_device_id(
    data: Mapping[str, Any],
    headers: Mapping[str, str],
    query: Mapping[str, str],
    errors: list[FieldError],
) -> str | None:
    """Device id: last segment of ``topic``, else ``X-Limit-D``, else ``?d=``, else ``tid``."""
    topic = data.get("topic")
    if isinstance(topic, str):
        segments = [part for part in topic.split("/") if part.strip()]
        if segments:
            return parse_device_id(segments[-1], "topic", errors)
    header = _header(headers, "X-Limit-D")
    if not is_missing(header):
        return parse_device_id(header, "X-Limit-D", errors)
    if not is_missing(query.get("d")):
        return parse_device_id(query.get("d"), "d", errors)
    if not is_missing(data.get("tid")):
        return parse_device_id(data.get("tid"), "tid", errors)
    errors.append(
        FieldError(
            "topic",
            "missing: no device identifier; send topic, the X-Limit-D header or tid",
        )
    )
    return None


def decode_owntracks(
    body: Any,
    headers: Mapping[str, str],
    *,
    query: Mapping[str, str] | None = None,
) -> Fix | None:
    """Decode one OwnTracks HTTP-mode message.

    Parameters
    ----------
    body : Any
        The parsed JSON body (or its text/bytes).
    headers : Mapping[str, str]
        Request headers; ``X-Limit-D`` names the device when the body has no ``topic``.
    query : Mapping[str, str], optional
        URL query parameters; ``d`` names the device like ``X-Limit-D`` (the OwnTracks
        Recorder convention ``?u=user&d=device``).

    Returns
    -------
    Fix or None
        The fix of a ``_type: location`` message (whatever its trigger ``t``, manual
        ``"u"`` included); None for every other ``_type`` (``transition``, ``lwt``,
        ``waypoint``, ``card``, ``status``, ``encrypted``, ...) and for the zero-length
        body the apps POST when a friend is deleted: the endpoint answers 200 and
        ignores those.

    Raises
    ------
    DecodeError
        With every problem of a location message, or when the body is not a JSON object
        with a ``_type``.
    """
    if _is_empty_body(body):
        return None
    data = load_json(body)
    if not isinstance(data, dict):
        raise DecodeError(FieldError("body", "must be a JSON object with a _type"))
    kind = data.get("_type")
    if is_missing(kind):
        raise DecodeError(FieldError("_type", "missing: every OwnTracks message has a _type"))
    if kind != "location":
        return None

    errors: list[FieldError] = []
    device_id = _owntracks_device_id(data, headers, query or {}, errors)
    lat = parse_number(data.get("lat"), "lat", errors, required=True, lo=-90, hi=90)
    lon = parse_number(data.get("lon"), "lon", errors, required=True, lo=-180, hi=180)
    ts = parse_timestamp(data.get("tst"), "tst", errors, required=True)
    accuracy = parse_number(data.get("acc"), "acc", errors, lo=0)
    vel_kmh = parse_reading(data.get("vel"), "vel", errors)
    heading = parse_reading(data.get("cog"), "cog", errors, hi=360)
    altitude = parse_number(data.get("alt"), "alt", errors)
    battery = parse_reading(data.get("batt"), "batt", errors, hi=100)
    charging = None
    status = parse_number(data.get("bs"), "bs", errors)
    if status is not None:
        if status in _OWNTRACKS_BS:
            charging = _OWNTRACKS_BS[int(status)]
        else:
            errors.append(
                FieldError(
                    "bs",
                    f"must be 0, 1, 2 or 3 (unknown, unplugged, charging, full) (got {data.get('bs')!r})",
                )
            )
    if errors:
        raise DecodeError(errors)
    # parse_* has recorded an error for each missing required value
    assert device_id is not None and lat is not None and lon is not None and ts is not None
    return Fix(
        device_id=device_id,
        lat=lat,
        lon=lon,
        ts=ts,
        accuracy_m=accuracy,
        speed_mps=None if vel_kmh is None else vel_kmh * KMH_MPS,
        heading_deg=heading,
        altitude_m=altitude,
        battery_pct=battery,
        charging=charging,
        alarm=None,
        source="owntracks",
    )

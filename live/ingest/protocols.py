"""Decoders for what real phone apps send, turned into :class:`live.fixes.Fix`.

Three wire formats, each decoded exactly as the apps send it (no change to the apps):

* **batch**: Shouwang's own JSON, a list (or ``{"fixes": [...]}``) of fixes;
* **OsmAnd**: the HTTP protocol of Traccar Client (all versions), OsmAnd, GPSLogger and
  many others: query string or form parameters, or since Traccar Client 9 a JSON body in
  the transistorsoft background-geolocation shape;
* **OwnTracks** in HTTP mode: one JSON message per POST, ``_type`` telling its kind.

The decoders are pure: no I/O, no clock (the caller passes ``now``), no settings. Every
problem of a report is collected and raised together in one :class:`DecodeError`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from live.fixes import (
    KNOT_MPS,
    DecodeError,
    FieldError,
    Fix,
    is_missing,
    load_json,
    parse_alarm,
    parse_bool,
    parse_device_id,
    parse_number,
    parse_reading,
    parse_timestamp,
    to_float,
)

#: Most fixes accepted in one request (batch, or a batched OsmAnd JSON body).
MAX_BATCH_FIXES = 1000

_BATCH_SHAPE = 'must be a JSON list of fixes, or an object {"fixes": [...]}'


@dataclass
class BatchResult:
    """Outcome of decoding a request that may carry several fixes.

    Attributes
    ----------
    fixes : list of (int, Fix)
        Decoded fixes with their index in the request.
    rejected : list of (int, list of FieldError)
        Index of each undecodable element with every problem found in it.
    """

    fixes: list[tuple[int, Fix]] = field(default_factory=list)
    rejected: list[tuple[int, list[FieldError]]] = field(default_factory=list)


def _check_size(count: int, name: str) -> None:
    if count > MAX_BATCH_FIXES:
        raise DecodeError(
            FieldError(
                name,
                f"too many fixes in one request: {count}, the limit is {MAX_BATCH_FIXES}; "
                "send them in several requests",
            )
        )


# --------------------------------------------------------------------------- batch


def decode_batch(payload: Any) -> BatchResult:
    """Decode Shouwang's own batch format.

    Parameters
    ----------
    payload : Any
        Parsed JSON (or JSON text/bytes): a list of fix objects, or ``{"fixes": [...]}``.
        Each fix has ``device_id``, ``lat``, ``lon``, ``ts`` (epoch s/ms or ISO-8601 with
        zone) and optionally ``accuracy_m``, ``speed_mps``, ``heading_deg``, ``altitude_m``,
        ``battery_pct``, ``charging``, ``alarm``. Unknown fields are ignored.

    Returns
    -------
    BatchResult
        Every element is decoded on its own: a bad one is listed in ``rejected`` with all
        its problems and never costs its good neighbours.

    Raises
    ------
    DecodeError
        Only when the payload as a whole is unusable: not a list or ``{"fixes": [...]}``,
        or more than :data:`MAX_BATCH_FIXES` fixes.
    """
    payload = load_json(payload)
    if isinstance(payload, dict):
        if "fixes" not in payload:
            raise DecodeError(FieldError("fixes", "missing: the body " + _BATCH_SHAPE))
        items = payload["fixes"]
        if not isinstance(items, list):
            raise DecodeError(FieldError("fixes", "must be a list of fix objects"))
    elif isinstance(payload, list):
        items = payload
    else:
        raise DecodeError(FieldError("body", _BATCH_SHAPE))
    _check_size(len(items), "fixes")

    result = BatchResult()
    for index, item in enumerate(items):
        try:
            result.fixes.append((index, _decode_batch_fix(item)))
        except DecodeError as exc:
            result.rejected.append((index, exc.errors))
    return result


def _decode_batch_fix(item: Any) -> Fix:
    if not isinstance(item, dict):
        raise DecodeError(
            FieldError("fix", "must be a JSON object with device_id, lat, lon and ts")
        )
    errors: list[FieldError] = []
    device_id = parse_device_id(item.get("device_id"), "device_id", errors)
    lat = parse_number(item.get("lat"), "lat", errors, required=True, lo=-90, hi=90)
    lon = parse_number(item.get("lon"), "lon", errors, required=True, lo=-180, hi=180)
    ts = parse_timestamp(item.get("ts"), "ts", errors, required=True)
    accuracy = parse_number(item.get("accuracy_m"), "accuracy_m", errors, lo=0)
    speed = parse_number(item.get("speed_mps"), "speed_mps", errors, lo=0)
    heading = parse_number(item.get("heading_deg"), "heading_deg", errors, lo=0, hi=360)
    altitude = parse_number(item.get("altitude_m"), "altitude_m", errors)
    battery = parse_number(item.get("battery_pct"), "battery_pct", errors, lo=0, hi=100)
    charging = parse_bool(item.get("charging"), "charging", errors)
    alarm = parse_alarm(item.get("alarm"), "alarm", errors)
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
        speed_mps=speed,
        heading_deg=heading,
        altitude_m=altitude,
        battery_pct=battery,
        charging=charging,
        alarm=alarm,
        source="batch",
    )


# --------------------------------------------------------------------------- OsmAnd


def decode_osmand(
    query: Mapping[str, str],
    form: Mapping[str, str],
    json_body: Any | None,
    *,
    now: float,
) -> Fix:
    """Decode one OsmAnd-protocol request (Traccar Client, OsmAnd, GPSLogger, ...).

    Parameters
    ----------
    query, form : Mapping[str, str]
        URL query parameters and form-encoded body parameters; merged, the body winning.
    json_body : Any or None
        The parsed JSON body when the request is ``Content-Type: application/json``
        (Traccar Client 9 and later), else None.
    now : float
        Server time, epoch seconds, used when the request carries no timestamp.

    Returns
    -------
    Fix

    Raises
    ------
    DecodeError
        With every problem found; also when a JSON body carries a list of several
        locations (use :func:`decode_osmand_many` for those).
    """
    locations, request_errors, batched = _osmand_request(query, form, json_body, now=now)
    if batched and len(locations) != 1:
        raise DecodeError(
            request_errors
            + [
                FieldError(
                    "location",
                    f"holds {len(locations)} locations; this decoder takes exactly one "
                    "(decode_osmand_many takes a list)",
                )
            ]
        )
    fix, errors = locations[0]
    if request_errors or errors:
        raise DecodeError(request_errors + errors)
    assert fix is not None  # a location without errors has its fix
    return fix


def decode_osmand_many(
    query: Mapping[str, str],
    form: Mapping[str, str],
    json_body: Any | None,
    *,
    now: float,
) -> BatchResult:
    """Decode an OsmAnd request that may carry a list of locations.

    The transistorsoft SDK behind Traccar Client 9 sends ``{"location": [...]}`` when its
    batch sync is switched on (Traccar Client itself sends one location per request).
    This accepts both shapes and every query/form request; the index of a single location
    is 0. Like :func:`decode_batch`, a bad location is listed in ``rejected`` and never
    costs its neighbours.

    Raises
    ------
    DecodeError
        When the request as a whole is unusable: no usable device identifier (no fix can
        be attributed; every location's problems are reported too, prefixed with
        ``location[i].`` for a list), a body that is not a JSON object, or more than
        :data:`MAX_BATCH_FIXES` locations.
    """
    locations, request_errors, batched = _osmand_request(query, form, json_body, now=now)
    if request_errors:
        details = list(request_errors)
        for index, (_fix, errors) in enumerate(locations):
            for error in errors:
                name = error.field
                if batched:
                    name = f"location[{index}]" + name.removeprefix("location")
                details.append(FieldError(name, error.problem))
        raise DecodeError(details)
    result = BatchResult()
    for index, (fix, errors) in enumerate(locations):
        if errors:
            result.rejected.append((index, errors))
        else:
            assert fix is not None  # a location without errors has its fix
            result.fixes.append((index, fix))
    return result


_Decoded = tuple[Fix | None, list[FieldError]]


def _osmand_request(
    query: Mapping[str, str], form: Mapping[str, str], json_body: Any | None, *, now: float
) -> tuple[list[_Decoded], list[FieldError], bool]:
    """Split an OsmAnd request into per-location results and request-level problems.

    Returns ``(locations, request_errors, batched)``; ``batched`` is True when the JSON
    body carried a list of locations.
    """
    params: dict[str, Any] = {**dict(query), **dict(form)}
    if json_body is None:
        request_errors: list[FieldError] = []
        device_id = _osmand_param_device_id(params, request_errors)
        return [_osmand_params_fix(params, device_id, now)], request_errors, False

    body = load_json(json_body)
    if not isinstance(body, dict):
        raise DecodeError(FieldError("body", "must be a JSON object with device_id and location"))
    if "location" not in body:
        # Flat JSON ({"id": ..., "lat": ..., "lon": ...}) from apps that post the OsmAnd
        # parameters as JSON: read it as parameters, the body winning over the URL.
        params.update(body)
        request_errors = []
        device_id = _osmand_param_device_id(params, request_errors)
        return [_osmand_params_fix(params, device_id, now)], request_errors, False

    request_errors = []
    if not is_missing(body.get("device_id")):
        device_id = parse_device_id(body.get("device_id"), "device_id", request_errors)
    elif not is_missing(params.get("id")) or not is_missing(params.get("deviceid")):
        # The device id may also sit in the configured server URL (?id=...).
        device_id = _osmand_param_device_id(params, request_errors)
    else:
        device_id = parse_device_id(None, "device_id", request_errors)

    location = body["location"]
    if isinstance(location, list):
        _check_size(len(location), "location")
        if not location:
            raise DecodeError(FieldError("location", "is an empty list: no location to store"))
        decoded = [_osmand_json_fix(item, device_id, now) for item in location]
        return decoded, request_errors, True
    return [_osmand_json_fix(location, device_id, now)], request_errors, False


def _osmand_param_device_id(params: Mapping[str, Any], errors: list[FieldError]) -> str | None:
    for name in ("id", "deviceid"):
        if not is_missing(params.get(name)):
            return parse_device_id(params.get(name), name, errors)
    errors.append(FieldError("id", "missing: the device identifier (id or deviceid) is required"))
    return None


def _osmand_params_fix(params: Mapping[str, Any], device_id: str | None, now: float) -> _Decoded:
    """Decode the classic OsmAnd parameters (query string, form body or flat JSON)."""
    errors: list[FieldError] = []

    valid = parse_bool(params.get("valid"), "valid", errors)
    if valid is False:
        errors.append(
            FieldError("valid", "the app marks this position as not valid (no GPS fix); not used")
        )

    if not is_missing(params.get("lat")) or not is_missing(params.get("lon")):
        lat = parse_number(params.get("lat"), "lat", errors, required=True, lo=-90, hi=90)
        lon = parse_number(params.get("lon"), "lon", errors, required=True, lo=-180, hi=180)
    elif not is_missing(params.get("location")):
        lat, lon = _parse_location_pair(params["location"], errors)
    else:
        errors.append(FieldError("lat", "missing: send lat and lon, or location=lat,lon"))
        errors.append(FieldError("lon", "missing: send lat and lon, or location=lat,lon"))
        lat = lon = None

    ts: float | None
    if is_missing(params.get("timestamp")):
        ts = now
    else:
        ts = parse_timestamp(params.get("timestamp"), "timestamp", errors)

    speed_kn = parse_reading(params.get("speed"), "speed", errors)
    heading_field = "bearing" if not is_missing(params.get("bearing")) else "heading"
    heading = parse_reading(params.get(heading_field), heading_field, errors, hi=360)
    altitude = parse_number(params.get("altitude"), "altitude", errors)
    accuracy = parse_number(params.get("accuracy"), "accuracy", errors, lo=0)
    battery = parse_reading(params.get("batt"), "batt", errors, hi=100)
    charging = parse_bool(params.get("charge"), "charge", errors)
    alarm = parse_alarm(params.get("alarm"), "alarm", errors)

    if errors or device_id is None:
        return None, errors
    # parse_* has recorded an error for each missing required value
    assert lat is not None and lon is not None and ts is not None
    fix = Fix(
        device_id=device_id,
        lat=lat,
        lon=lon,
        ts=ts,
        accuracy_m=accuracy,
        speed_mps=None if speed_kn is None else speed_kn * KNOT_MPS,
        heading_deg=heading,
        altitude_m=altitude,
        battery_pct=battery,
        charging=charging,
        alarm=alarm,
        source="osmand",
    )
    return fix, errors


def _parse_location_pair(value: Any, errors: list[FieldError]) -> tuple[float | None, float | None]:
    """Parse ``location=lat,lon``."""
    parts = value.split(",") if isinstance(value, str) else []
    if len(parts) != 2:
        errors.append(FieldError("location", f"must be lat,lon (got {value!r})"))
        return None, None
    lat, lon = to_float(parts[0]), to_float(parts[1])
    problems = []
    if lat is None or not -90 <= lat <= 90:
        problems.append("latitude must be a number between -90 and 90")
        lat = None
    if lon is None or not -180 <= lon <= 180:
        problems.append("longitude must be a number between -180 and 180")
        lon = None
    if problems:
        errors.append(FieldError("location", "; ".join(problems) + f" (got {value!r})"))
    return lat, lon


def _osmand_json_fix(location: Any, device_id: str | None, now: float) -> _Decoded:
    """Decode one transistorsoft ``location`` object (Traccar Client 9 JSON)."""
    errors: list[FieldError] = []
    if not isinstance(location, dict):
        errors.append(FieldError("location", "must be a JSON object with timestamp and coords"))
        return None, errors

    ts: float | None
    if is_missing(location.get("timestamp")):
        ts = now
    else:
        ts = parse_timestamp(location.get("timestamp"), "location.timestamp", errors)

    coords = location.get("coords")
    lat = lon = accuracy = speed = heading = altitude = None
    if not isinstance(coords, dict):
        errors.append(
            FieldError("location.coords", "missing: an object with latitude and longitude")
        )
    else:
        name = "location.coords."
        lat = parse_number(
            coords.get("latitude"), name + "latitude", errors, required=True, lo=-90, hi=90
        )
        lon = parse_number(
            coords.get("longitude"), name + "longitude", errors, required=True, lo=-180, hi=180
        )
        # A negative horizontal accuracy means the position itself is invalid (CLLocation).
        accuracy = parse_number(coords.get("accuracy"), name + "accuracy", errors, lo=0)
        speed = parse_reading(coords.get("speed"), name + "speed", errors)
        heading = parse_reading(coords.get("heading"), name + "heading", errors, hi=360)
        altitude = parse_number(coords.get("altitude"), name + "altitude", errors)

    battery_pct = charging = None
    battery = location.get("battery")
    if isinstance(battery, dict):
        level = parse_reading(battery.get("level"), "location.battery.level", errors, hi=1)
        battery_pct = None if level is None else level * 100.0
        charging = parse_bool(battery.get("is_charging"), "location.battery.is_charging", errors)
    elif battery is not None:
        errors.append(
            FieldError("location.battery", "must be an object with level and is_charging")
        )

    extras = location.get("extras")
    if not is_missing(location.get("alarm")):
        alarm = parse_alarm(location.get("alarm"), "location.alarm", errors)
    elif isinstance(extras, dict):
        alarm = parse_alarm(extras.get("alarm"), "location.extras.alarm", errors)
    else:
        alarm = None

    if errors or device_id is None:
        return None, errors
    # parse_* has recorded an error for each missing required value
    assert lat is not None and lon is not None and ts is not None
    fix = Fix(
        device_id=device_id,
        lat=lat,
        lon=lon,
        ts=ts,
        accuracy_m=accuracy,
        speed_mps=speed,
        heading_deg=heading,
        altitude_m=altitude,
        battery_pct=battery_pct,
        charging=charging,
        alarm=alarm,
        source="osmand",
    )
    return fix, errors


# OwnTracks lives in its own module; re-exported so callers have one import.
from live.ingest.owntracks import decode_owntracks  # noqa: E402

__all__ = [
    "MAX_BATCH_FIXES",
    "BatchResult",
    "decode_batch",
    "decode_osmand",
    "decode_osmand_many",
    "decode_owntracks",
]

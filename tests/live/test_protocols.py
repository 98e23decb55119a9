"""Decoders against the requests real phone apps send (fixtures in fixtures/protocols/)."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import parse_qsl

import pytest
from hypothesis import given
from hypothesis import strategies as st

from live.fixes import (
    KMH_MPS,
    KNOT_MPS,
    MAX_DEVICE_ID_LEN,
    DecodeError,
    FieldError,
    parse_bool,
    parse_number,
    parse_timestamp,
)
from live.ingest.protocols import (
    MAX_BATCH_FIXES,
    decode_batch,
    decode_osmand,
    decode_osmand_many,
    decode_owntracks,
)

FIXTURES = Path(__file__).parent / "fixtures" / "protocols"
NOW = 1_700_000_500.0


def utc(*parts: int) -> float:
    """Epoch seconds of a UTC calendar time, computed independently of the decoders."""
    return datetime(*parts, tzinfo=UTC).timestamp()


def load_json(name: str):
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def load_queries() -> dict[str, str]:
    queries = {}
    for line in (FIXTURES / "osmand_queries.txt").read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            name, query = line.split("\t")
            queries[name] = query
    return queries


def query(name: str) -> dict[str, str]:
    """Parse a fixture query string as a web framework does (URL-decoded, blanks kept)."""
    return dict(parse_qsl(load_queries()[name], keep_blank_values=True))


def fields_of(exc: pytest.ExceptionInfo[DecodeError]) -> set[str]:
    return {error.field for error in exc.value.errors}


# --------------------------------------------------------------------------- field parsers


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (1700000000, 1700000000.0),
        (1700000000.5, 1700000000.5),
        ("1700000000", 1700000000.0),
        (1700000000123, 1700000000.123),
        ("1442068686579", 1442068686.579),
        ("2026-11-21T12:00:00Z", utc(2026, 11, 21, 12)),
        ("2026-11-21T12:00:00.000Z", utc(2026, 11, 21, 12)),
        ("2026-11-21T20:00:00+08:00", utc(2026, 11, 21, 12)),
        ("2026-11-21T12:00:00.250Z", utc(2026, 11, 21, 12) + 0.25),
        ("2026-11-21T04:00:00-08:00", utc(2026, 11, 21, 12)),
        # An unencoded "+" in a URL arrives as a space.
        ("2026-11-21T20:00:00 08:00", utc(2026, 11, 21, 12)),
        ("2026-11-21T20:00:00.5 0800", utc(2026, 11, 21, 12) + 0.5),
    ],
)
def test_timestamp_formats(value, expected):
    errors: list[FieldError] = []
    assert parse_timestamp(value, "ts", errors) == pytest.approx(expected, abs=1e-6)
    assert errors == []


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        ("2026-11-21T12:00:00", "without a zone"),
        ("2014-06-04 09:10:11", "without a zone"),
        ("2026-11-21", "without a zone"),
        ("yesterday", "ISO-8601"),
        (True, "ISO-8601"),
        ([1700000000], "ISO-8601"),
        ("nan", "ISO-8601"),
        (0, "before 2000"),
        (-5, "before 2000"),
        (946684799, "before 2000"),
    ],
)
def test_timestamp_refused(value, fragment):
    errors: list[FieldError] = []
    assert parse_timestamp(value, "ts", errors) is None
    assert len(errors) == 1 and errors[0].field == "ts"
    assert fragment in errors[0].problem


def test_timestamp_missing_only_an_error_when_required():
    errors: list[FieldError] = []
    assert parse_timestamp(None, "ts", errors) is None
    assert parse_timestamp("  ", "ts", errors) is None
    assert errors == []
    assert parse_timestamp(None, "ts", errors, required=True) is None
    assert errors[0].problem.startswith("missing")


@pytest.mark.parametrize(
    "value", [True, "nan", "NaN", "inf", "-Infinity", "1e400", "12,5", "0x10", [], {}]
)
def test_numbers_refuse_non_finite_and_non_numbers(value):
    errors: list[FieldError] = []
    assert parse_number(value, "lat", errors, lo=-90, hi=90) is None
    assert len(errors) == 1 and errors[0].field == "lat"
    assert errors[0].problem.startswith("must be a number between -90 and 90 (got ")


@pytest.mark.parametrize(
    ("value", "expected"), [(" 12.5 ", 12.5), ("-3", -3.0), (7, 7.0), (".5", 0.5), ("1e2", 100.0)]
)
def test_numbers_accept_json_numbers_and_numeric_strings(value, expected):
    errors: list[FieldError] = []
    assert parse_number(value, "x", errors) == expected
    assert errors == []


@pytest.mark.parametrize(
    ("value", "expected"), [("true", True), ("FALSE", False), ("1", True), (0, False), (True, True)]
)
def test_booleans(value, expected):
    errors: list[FieldError] = []
    assert parse_bool(value, "charge", errors) is expected
    assert errors == []


def test_field_error_and_decode_error_shapes():
    errors = [FieldError("lat", "must be a number"), FieldError("ts", "missing")]
    exc = DecodeError(errors)
    assert exc.errors == errors
    assert exc.as_dicts() == [
        {"field": "lat", "problem": "must be a number"},
        {"field": "ts", "problem": "missing"},
    ]
    assert "lat: must be a number" in str(exc) and "ts: missing" in str(exc)
    assert DecodeError(errors[0]).errors == [errors[0]]


# --------------------------------------------------------------------------- OsmAnd: query


def test_traccar_client_android_query():
    fix = decode_osmand(query("traccar_android"), {}, None, now=NOW)
    assert fix.device_id == "123456"
    assert (fix.lat, fix.lon, fix.ts) == (33.78, 118.38, 1700000000.0)
    assert fix.speed_mps == pytest.approx(2.1 * 0.514444)
    assert fix.heading_deg == 90.0
    assert fix.altitude_m == 20.0
    assert fix.accuracy_m == 8.0
    assert fix.battery_pct == 80.0
    assert fix.charging is None and fix.alarm is None
    assert fix.source == "osmand"


@pytest.mark.parametrize("knots", ["0", "0.0", "1", "10.5", "40"])
def test_osmand_speed_is_knots(knots):
    fix = decode_osmand(
        {"id": "a", "lat": "33.7", "lon": "118.3", "speed": knots}, {}, None, now=NOW
    )
    assert fix.speed_mps == pytest.approx(float(knots) * KNOT_MPS)
    assert KNOT_MPS == pytest.approx(1852 / 3600, rel=1e-5)


def test_traccar_client_sos_and_charging():
    fix = decode_osmand(query("traccar_android_sos"), {}, None, now=NOW)
    assert fix.device_id == "G007-phone"
    assert fix.alarm == "sos"
    assert fix.charging is True
    assert fix.battery_pct == 54.0
    assert fix.speed_mps == 0.0


def test_ios_unknown_markers_become_none():
    fix = decode_osmand(query("traccar_ios_unknown"), {}, None, now=NOW)
    assert fix.speed_mps is None
    assert fix.heading_deg is None
    assert fix.battery_pct is None
    assert fix.accuracy_m == 65.0


def test_iso_timestamp_url_encoded_and_hdop_is_not_accuracy():
    fix = decode_osmand(query("traccar_iso"), {}, None, now=NOW)
    assert fix.ts == utc(2016, 1, 27, 18, 55, 47)
    # hdop is a dimensionless dilution of precision, not metres: it is not an accuracy.
    assert fix.accuracy_m is None
    assert fix.altitude_m == 224.0


def test_millisecond_timestamp():
    fix = decode_osmand(query("osmand_ms"), {}, None, now=NOW)
    assert fix.ts == pytest.approx(1442068686.579)


def test_location_pair_deviceid_heading_and_server_time():
    fix = decode_osmand(query("location_pair"), {}, None, now=NOW)
    assert fix.device_id == "123456"
    assert (fix.lat, fix.lon) == (60.0, 30.0)
    assert fix.heading_deg == 45.0
    assert fix.ts == NOW


def test_extra_fields_are_ignored():
    fix = decode_osmand(query("extras"), {}, None, now=NOW)
    assert fix.device_id == "123456789012345"
    assert fix.ts == 1504763810.0
    assert fix.speed_mps == pytest.approx(40 * KNOT_MPS)


def test_form_body_merged_with_query_and_wins():
    fix = decode_osmand(
        {"id": "from-url", "lat": "10.0", "lon": "20.0"},
        {"lat": "33.7", "lon": "118.3", "timestamp": "1700000000"},
        None,
        now=NOW,
    )
    assert (fix.device_id, fix.lat, fix.lon, fix.ts) == ("from-url", 33.7, 118.3, 1700000000.0)


def test_every_problem_of_a_request_is_reported_together():
    with pytest.raises(DecodeError) as exc:
        decode_osmand(
            {"id": "123456", "lat": "95.5", "lon": "118.38", "timestamp": "tomorrow"},
            {},
            None,
            now=NOW,
        )
    assert fields_of(exc) == {"lat", "timestamp"}

    with pytest.raises(DecodeError) as exc:
        decode_osmand(
            {
                "lat": "nan",
                "lon": "inf",
                "speed": "fast",
                "bearing": "400",
                "accuracy": "-5",
                "batt": "120",
                "charge": "maybe",
            },
            {},
            None,
            now=NOW,
        )
    assert fields_of(exc) == {"id", "lat", "lon", "speed", "bearing", "accuracy", "batt", "charge"}


def test_missing_position():
    with pytest.raises(DecodeError) as exc:
        decode_osmand({"id": "a"}, {}, None, now=NOW)
    assert fields_of(exc) == {"lat", "lon"}
    with pytest.raises(DecodeError) as exc:
        decode_osmand({"id": "a", "location": "33.7"}, {}, None, now=NOW)
    assert fields_of(exc) == {"location"}
    with pytest.raises(DecodeError) as exc:
        decode_osmand({"id": "a", "location": "95,200"}, {}, None, now=NOW)
    assert "latitude" in exc.value.errors[0].problem and "longitude" in exc.value.errors[0].problem


@pytest.mark.parametrize(
    ("valid", "accepted"), [("true", True), ("1", True), ("false", False), ("0", False)]
)
def test_valid_flag(valid, accepted):
    params = {"id": "a", "lat": "33.7", "lon": "118.3", "valid": valid}
    if accepted:
        assert decode_osmand(params, {}, None, now=NOW).lat == 33.7
    else:
        with pytest.raises(DecodeError) as exc:
            decode_osmand(params, {}, None, now=NOW)
        assert fields_of(exc) == {"valid"}


@pytest.mark.parametrize(
    ("alarm", "expected"),
    [("sos", "sos"), ("SOS", "sos"), ("lowBattery", "lowbattery"), ("", None)],
)
def test_alarm_values(alarm, expected):
    fix = decode_osmand(
        {"id": "a", "lat": "33.7", "lon": "118.3", "alarm": alarm}, {}, None, now=NOW
    )
    assert fix.alarm == expected


def test_device_id_length_limit_and_heading_bounds():
    ok = "x" * MAX_DEVICE_ID_LEN
    fix = decode_osmand({"id": ok, "lat": "1", "lon": "1", "heading": "360"}, {}, None, now=NOW)
    assert fix.device_id == ok and fix.heading_deg == 360.0
    with pytest.raises(DecodeError) as exc:
        decode_osmand(
            {"id": ok + "x", "lat": "1", "lon": "1", "heading": "360.5"}, {}, None, now=NOW
        )
    assert fields_of(exc) == {"id", "heading"}


# --------------------------------------------------------------------------- OsmAnd: JSON


def test_traccar_client_9_json():
    fix = decode_osmand({}, {}, load_json("traccar_client_9.json"), now=NOW)
    assert fix.device_id == "48241179"
    assert (fix.lat, fix.lon) == (33.7791, 118.3812)
    assert fix.ts == utc(2026, 11, 21, 12)
    assert fix.accuracy_m == 9.5
    assert fix.speed_mps == 1.4  # already m/s in the JSON format
    assert fix.heading_deg == 182.5
    assert fix.altitude_m == 22.1
    assert fix.battery_pct == pytest.approx(80.0)
    assert fix.charging is False
    assert fix.alarm is None
    assert fix.source == "osmand"


def test_traccar_client_9_sos_with_unknown_markers():
    fix = decode_osmand({}, {}, load_json("traccar_client_9_sos.json"), now=NOW)
    assert fix.alarm == "sos"
    assert fix.speed_mps is None and fix.heading_deg is None
    assert fix.battery_pct is None
    assert fix.charging is True


def test_traccar_client_9_heartbeat_is_a_fix():
    fix = decode_osmand({}, {}, load_json("traccar_client_9_heartbeat.json"), now=NOW)
    assert fix.ts == utc(2026, 11, 21, 12, 10)
    assert fix.battery_pct == pytest.approx(77.0)


@pytest.mark.parametrize(
    ("level", "pct"), [(0, 0.0), (0.05, 5.0), (0.5, 50.0), (1, 100.0), (-1, None)]
)
def test_json_battery_fraction_to_percent(level, pct):
    body = load_json("traccar_client_9.json")
    body["location"]["battery"]["level"] = level
    fix = decode_osmand({}, {}, body, now=NOW)
    assert fix.battery_pct == (None if pct is None else pytest.approx(pct))


def test_json_alarm_at_location_level_and_as_text_body():
    body = load_json("traccar_client_9.json")
    body["location"]["alarm"] = "sos"
    assert decode_osmand({}, {}, json.dumps(body), now=NOW).alarm == "sos"


def test_json_problems_reported_together():
    body = load_json("traccar_client_9.json")
    body["location"]["timestamp"] = "2026-11-21T12:00:00"
    body["location"]["coords"]["latitude"] = "north"
    body["location"]["battery"]["level"] = 80
    with pytest.raises(DecodeError) as exc:
        decode_osmand({}, {}, body, now=NOW)
    assert fields_of(exc) == {
        "location.timestamp",
        "location.coords.latitude",
        "location.battery.level",
    }


def test_json_device_id_from_url_when_body_has_none():
    body = load_json("traccar_client_9.json")
    del body["device_id"]
    assert decode_osmand({"id": "G001-phone"}, {}, body, now=NOW).device_id == "G001-phone"
    with pytest.raises(DecodeError) as exc:
        decode_osmand({}, {}, body, now=NOW)
    assert fields_of(exc) == {"device_id"}


def test_json_body_read_as_form_still_decodes():
    """A server that parses Traccar Client 9's body as form data finds id/lat/lon/timestamp.

    That is what the "_" field of the app's location template is for; it covers a proxy
    or a client that drops the JSON content type.
    """
    raw = (FIXTURES / "traccar_client_9.json").read_text(encoding="utf-8").strip()
    form = dict(parse_qsl(raw, keep_blank_values=True))
    fix = decode_osmand({}, form, None, now=NOW)
    assert (fix.device_id, fix.lat, fix.lon, fix.ts) == (
        "48241179",
        33.7791,
        118.3812,
        utc(2026, 11, 21, 12),
    )


def test_flat_json_parameters():
    body = {
        "deviceid": "123456",
        "lat": 51.0,
        "lon": 13.0,
        "timestamp": 1346269322,
        "altitude": 300,
        "speed": 5.55,
        "hdop": 1.0,
    }
    fix = decode_osmand({}, {}, body, now=NOW)
    assert (fix.device_id, fix.lat, fix.lon, fix.ts) == ("123456", 51.0, 13.0, 1346269322.0)
    assert fix.speed_mps == pytest.approx(5.55 * KNOT_MPS)


def test_json_body_must_be_an_object():
    with pytest.raises(DecodeError) as exc:
        decode_osmand({}, {}, [1, 2], now=NOW)
    assert fields_of(exc) == {"body"}
    with pytest.raises(DecodeError) as exc:
        decode_osmand({}, {}, "{not json", now=NOW)
    assert fields_of(exc) == {"body"}


def test_batched_locations():
    body = load_json("transistorsoft_batch.json")
    with pytest.raises(DecodeError) as exc:
        decode_osmand({}, {}, body, now=NOW)
    assert "3 locations" in exc.value.errors[0].problem

    result = decode_osmand_many({}, {}, body, now=NOW)
    assert [index for index, _ in result.fixes] == [0, 2]
    assert [fix.ts for _, fix in result.fixes] == [utc(2026, 11, 21, 11, 58), utc(2026, 11, 21, 12)]
    assert all(fix.device_id == "48241179" for _, fix in result.fixes)
    assert [(index, [e.field for e in errors]) for index, errors in result.rejected] == [
        (1, ["location.coords.latitude"])
    ]


def test_batched_locations_without_device_report_everything():
    body = load_json("transistorsoft_batch.json")
    del body["device_id"]
    with pytest.raises(DecodeError) as exc:
        decode_osmand_many({}, {}, body, now=NOW)
    assert fields_of(exc) == {"device_id", "location[1].coords.latitude"}


def test_many_accepts_single_requests_and_enforces_the_limit():
    single = decode_osmand_many(query("traccar_android"), {}, None, now=NOW)
    assert [index for index, _ in single.fixes] == [0] and single.rejected == []
    bad = decode_osmand_many({"id": "a", "lat": "95", "lon": "1"}, {}, None, now=NOW)
    assert bad.fixes == [] and [i for i, _ in bad.rejected] == [0]

    location = load_json("traccar_client_9.json")["location"]
    body = {"device_id": "a", "location": [location] * (MAX_BATCH_FIXES + 1)}
    with pytest.raises(DecodeError) as exc:
        decode_osmand_many({}, {}, body, now=NOW)
    assert "1001" in exc.value.errors[0].problem and "1000" in exc.value.errors[0].problem


# --------------------------------------------------------------------------- OwnTracks


def test_owntracks_ios_location():
    fix = decode_owntracks(load_json("owntracks_location_ios.json"), {})
    assert fix.device_id == "G007-phone"  # last segment of topic owntracks/user/device
    assert (fix.lat, fix.lon, fix.ts) == (33.7791, 118.3812, 1700000000.0)
    assert fix.accuracy_m == 12.0
    assert fix.speed_mps == pytest.approx(5 / 3.6)
    assert KMH_MPS == pytest.approx(1000 / 3600)
    assert fix.heading_deg == 270.0
    assert fix.altitude_m == 21.0
    assert fix.battery_pct == 67.0
    assert fix.charging is False  # bs 1: unplugged
    assert fix.alarm is None
    assert fix.source == "owntracks"


@pytest.mark.parametrize("header", ["X-Limit-D", "x-limit-d"])
def test_owntracks_android_manual_publish_device_from_header(header):
    fix = decode_owntracks(
        load_json("owntracks_location_android.json"), {header: "G008-phone", "X-Limit-U": "yanghe"}
    )
    assert fix.device_id == "G008-phone"
    assert fix.ts == 1700000299.0  # tst, the fix time, not created_at
    assert fix.charging is True  # bs 2: charging
    assert fix.speed_mps == 0.0


def test_owntracks_device_id_precedence():
    body = load_json("owntracks_location_ios.json")
    headers = {"X-Limit-D": "from-header"}
    assert decode_owntracks(body, headers, query={"d": "from-query"}).device_id == "G007-phone"
    del body["topic"]
    assert decode_owntracks(body, headers, query={"d": "from-query"}).device_id == "from-header"
    assert decode_owntracks(body, {}, query={"d": "from-query"}).device_id == "from-query"
    assert decode_owntracks(body, {}).device_id == "g7"
    del body["tid"]
    with pytest.raises(DecodeError) as exc:
        decode_owntracks(body, {})
    assert fields_of(exc) == {"topic"}


@pytest.mark.parametrize(
    "name", ["owntracks_transition.json", "owntracks_lwt.json", "owntracks_waypoint.json"]
)
def test_owntracks_other_types_are_ignored(name):
    assert decode_owntracks(load_json(name), {}) is None


@pytest.mark.parametrize("kind", ["card", "status", "cmd", "steps", "encrypted", "waypoints"])
def test_owntracks_other_kinds_ignored(kind):
    assert decode_owntracks({"_type": kind, "tst": 1700000000}, {}) is None


@pytest.mark.parametrize("body", [None, "", b"", b"  \n"])
def test_owntracks_zero_length_body_ignored(body):
    assert decode_owntracks(body, {}) is None


def test_owntracks_malformed_bodies():
    with pytest.raises(DecodeError) as exc:
        decode_owntracks({"lat": 1}, {})
    assert fields_of(exc) == {"_type"}
    with pytest.raises(DecodeError) as exc:
        decode_owntracks(b"[1, 2]", {})
    assert fields_of(exc) == {"body"}
    with pytest.raises(DecodeError) as exc:
        decode_owntracks("{'_type': 'location'}", {})
    assert fields_of(exc) == {"body"}


def test_owntracks_problems_reported_together():
    body = {
        "_type": "location",
        "tid": "g7",
        "lon": 118.38,
        "tst": "soon",
        "batt": 150,
        "bs": 7,
        "cog": 361,
    }
    with pytest.raises(DecodeError) as exc:
        decode_owntracks(body, {})
    assert fields_of(exc) == {"lat", "tst", "batt", "bs", "cog"}


def test_owntracks_string_numbers_and_battery_status():
    # Before Android 0.5.11 / iOS 8.0 the apps sent numbers as strings.
    body = {
        "_type": "location",
        "tid": "g7",
        "lat": "33.7",
        "lon": "118.3",
        "tst": "1700000000",
        "acc": "75",
        "vel": "36",
        "bs": 3,
    }
    fix = decode_owntracks(json.dumps(body).encode(), {})
    assert (fix.lat, fix.accuracy_m, fix.ts) == (33.7, 75.0, 1700000000.0)
    assert fix.speed_mps == pytest.approx(10.0)
    assert fix.charging is True  # bs 3: full, on the charger
    body["bs"] = 0
    assert decode_owntracks(body, {}).charging is None


# --------------------------------------------------------------------------- batch


def test_mixed_batch():
    result = decode_batch(load_json("batch_mixed.json"))
    assert [index for index, _ in result.fixes] == [0, 1, 3, 4, 6, 7, 8]
    rejected = {index: {e.field for e in errors} for index, errors in result.rejected}
    assert rejected == {
        2: {"lat", "ts"},
        5: {"device_id", "speed_mps", "battery_pct"},
        9: {"fix"},
    }
    fixes = dict(result.fixes)
    assert fixes[0].accuracy_m == 8.0 and fixes[0].battery_pct == 80.0
    assert fixes[1].ts == pytest.approx(1700000000.123)
    assert fixes[1].heading_deg == 360.0 and fixes[1].charging is True
    assert fixes[3].ts == utc(2026, 11, 21, 12) and fixes[3].altitude_m == 19.5
    assert fixes[4].lat == 33.7755 and fixes[4].alarm == "sos"
    assert fixes[4].ts == utc(2026, 11, 21, 12) + 0.25
    assert fixes[6].accuracy_m == 0.0
    assert fixes[7].battery_pct == 0.0 and fixes[7].charging is False
    assert fixes[8].ts == 1700000050.0
    assert all(fix.source == "batch" for fix in fixes.values())


def test_ten_fixes_three_bad():
    good = {"device_id": "G001-phone", "lat": 33.78, "lon": 118.38, "ts": 1700000000}
    items = [dict(good, ts=1700000000 + i) for i in range(10)]
    items[1]["lat"] = "abc"
    items[4] = dict(items[4], ts="2026-11-21T12:00:00", lon=-181)
    del items[8]["device_id"]
    result = decode_batch(items)
    assert len(result.fixes) == 7
    assert [index for index, _ in result.fixes] == [0, 2, 3, 5, 6, 7, 9]
    assert [fix.ts for _, fix in result.fixes] == [1700000000.0 + i for i in (0, 2, 3, 5, 6, 7, 9)]
    assert [(index, sorted(e.field for e in errors)) for index, errors in result.rejected] == [
        (1, ["lat"]),
        (4, ["lon", "ts"]),
        (8, ["device_id"]),
    ]


def test_batch_size_limit():
    item = {"device_id": "a", "lat": 1.0, "lon": 1.0, "ts": 1700000000}
    assert len(decode_batch({"fixes": [item] * MAX_BATCH_FIXES}).fixes) == MAX_BATCH_FIXES
    with pytest.raises(DecodeError) as exc:
        decode_batch([item] * (MAX_BATCH_FIXES + 1))
    problem = exc.value.errors[0].problem
    assert "too many" in problem and "1001" in problem and "1000" in problem


@pytest.mark.parametrize(
    ("payload", "field"),
    [({}, "fixes"), ({"fixes": "x"}, "fixes"), (42, "body"), ("[1,", "body"), (b"\xff", "body")],
)
def test_batch_payload_shape(payload, field):
    with pytest.raises(DecodeError) as exc:
        decode_batch(payload)
    assert fields_of(exc) == {field}


def test_batch_from_json_bytes_and_empty_list():
    assert (
        decode_batch(b'[{"device_id": "a", "lat": 1, "lon": 2, "ts": 1700000000}]').fixes[0][1].lon
        == 2.0
    )
    empty = decode_batch([])
    assert empty.fixes == [] and empty.rejected == []


_good_fix = st.fixed_dictionaries(
    {
        "device_id": st.text(alphabet="abcXYZ0123-", min_size=1, max_size=64),
        "lat": st.floats(-90, 90),
        "lon": st.floats(-180, 180),
        "ts": st.integers(946684800, 4_000_000_000),
    },
    optional={"accuracy_m": st.floats(0, 1e4), "battery_pct": st.floats(0, 100)},
)
_bad_fix = st.one_of(
    st.fixed_dictionaries(
        {
            "device_id": st.just(""),
            "lat": st.floats(-90, 90),
            "lon": st.just(1),
            "ts": st.just(1700000000),
        }
    ),
    st.fixed_dictionaries(
        {
            "device_id": st.just("a"),
            "lat": st.floats(90.001, 1e6),
            "lon": st.just(1),
            "ts": st.just(1700000000),
        }
    ),
    st.fixed_dictionaries(
        {
            "device_id": st.just("a"),
            "lat": st.just(1),
            "lon": st.just(1),
            "ts": st.just(float("nan")),
        }
    ),
    st.integers(),
)


@given(st.lists(st.tuples(st.booleans(), _good_fix, _bad_fix), max_size=30))
def test_good_fixes_are_never_lost_to_bad_neighbours(rows):
    items = [good if keep else bad for keep, good, bad in rows]
    result = decode_batch(items)
    assert [i for i, _ in result.fixes] == [i for i, (keep, _, _) in enumerate(rows) if keep]
    assert [i for i, _ in result.rejected] == [i for i, (keep, _, _) in enumerate(rows) if not keep]
    for index, fix in result.fixes:
        assert fix.lat == items[index]["lat"] and fix.device_id == items[index]["device_id"]
        assert math.isfinite(fix.ts)


def test_osmand_iso_time_with_unencoded_plus():
    params = dict(parse_qsl("id=a&lat=33.7&lon=118.3&timestamp=2026-11-21T20:00:00+08:00"))
    assert params["timestamp"].endswith(" 08:00")  # what the URL decoder makes of it
    assert decode_osmand(params, {}, None, now=NOW).ts == utc(2026, 11, 21, 12)

"""The data set loader and validator, on the pilot and on broken copies of it."""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest
import shapely
from shapely.geometry import mapping, shape

from shouwang.dataset import (
    Dataset,
    DatasetError,
    Problem,
    load_dataset,
    validate,
)
from shouwang.dataset.spec import SPECS

PILOT = Path(__file__).resolve().parents[2] / "data" / "pilot"


@pytest.fixture(scope="module")
def pilot() -> Dataset:
    return load_dataset(PILOT)


# ------------------------------------------------------------------ helpers


def copy_pilot(tmp_path: Path) -> Path:
    out = tmp_path / "data"
    shutil.copytree(PILOT, out)
    return out


def edit_geojson(folder: Path, file: str, change: Callable[[list[dict]], None]) -> None:
    path = folder / file
    doc = json.loads(path.read_text(encoding="utf-8"))
    change(doc["features"])
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")


def edit_csv(
    folder: Path, file: str, change: Callable[[pd.DataFrame], pd.DataFrame | None]
) -> None:
    path = folder / file
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    changed = change(df)
    df = changed if changed is not None else df
    df.to_csv(path, index=False)


def feature(features: list[dict], key: str, value: str) -> dict:
    return next(f for f in features if f["properties"][key] == value)


def problems_of(folder: Path) -> list[Problem]:
    with pytest.raises(DatasetError) as info:
        load_dataset(folder)
    exc = info.value
    # str(exc) is a heading plus one line per problem
    assert len(str(exc).splitlines()) == len(exc.problems) + 1
    return exc.problems


def has(problems: list[Problem], file: str, row: str | None, field: str | None, text: str) -> bool:
    return any(
        p.file == file and p.row == row and p.field == field and text in p.message for p in problems
    )


def move(geometry: dict, dx_deg: float, dy_deg: float = 0.0) -> dict:
    return mapping(shapely.affinity.translate(shape(geometry), dx_deg, dy_deg))


def set_value(col: str, row_id: str, value: str, id_col: str = "guard_id"):
    def change(df: pd.DataFrame) -> pd.DataFrame:
        df.loc[df[id_col] == row_id, col] = value
        return df

    return change


# ------------------------------------------------------------------ the pilot


def test_pilot_loads_without_problems(pilot: Dataset) -> None:
    assert validate(pilot) == []
    for name in SPECS:
        frame = getattr(pilot, name)
        assert frame.crs.to_epsg() == 4326
        assert set(SPECS[name].columns) <= set(frame.columns)
    assert pilot.guards["licensed"].dtype == bool
    assert str(pilot.incidents["occurred_at"].dt.tz) == "UTC"
    # the guard's zone comes from its unit
    unit_zone = pilot.units.set_index("unit_id")["zone_id"]
    assert (pilot.guards["zone_id"] == pilot.guards["unit_id"].map(unit_zone)).all()
    assert len(pilot.fingerprint) == 64


def test_pilot_loads_fast(pilot: Dataset) -> None:
    started = time.perf_counter()
    load_dataset(PILOT)
    assert time.perf_counter() - started < 2.0


def test_fingerprint_follows_the_bytes(tmp_path: Path, pilot: Dataset) -> None:
    folder = copy_pilot(tmp_path)
    assert load_dataset(folder).fingerprint == pilot.fingerprint
    edit_csv(folder, "guards.csv", set_value("name", "G001", "王小明"))
    assert load_dataset(folder).fingerprint != pilot.fingerprint


# ------------------------------------------------------------------ one problem at a time


def _bowtie(features: list[dict]) -> None:
    f = feature(features, "unit_id", "U03")
    ring = f["geometry"]["coordinates"][0]
    a, b, c, d = ring[0], ring[1], ring[2], ring[3]
    f["geometry"] = {"type": "Polygon", "coordinates": [[a, c, b, d, a]]}


def _unit_far_away(features: list[dict]) -> None:
    f = feature(features, "unit_id", "U05")
    f["geometry"] = move(f["geometry"], 0.2)


def _gate_off_wall(features: list[dict]) -> None:
    f = feature(features, "gate_id", "U07-G1")
    f["geometry"] = move(f["geometry"], 0.0, 0.0005)  # ~55 m north


def _checkpoint_outside(features: list[dict]) -> None:
    f = feature(features, "checkpoint_id", "U02-P1")
    f["geometry"] = move(f["geometry"], 0.03)


def _street_through_unit(features: list[dict]) -> None:
    unit = shape(feature(UNITS, "unit_id", "U10")["geometry"])
    minx, miny, maxx, maxy = unit.bounds
    y = (miny + maxy) / 2
    line = {"type": "LineString", "coordinates": [[minx - 0.0003, y], [maxx + 0.0003, y]]}
    features.append(
        {"type": "Feature", "properties": {"street_id": "X1", "name_zh": "穿墙路", "kind": "road"},
         "geometry": line}
    )  # fmt: skip


def _isolated_lane(features: list[dict]) -> None:
    line = {"type": "LineString", "coordinates": [[118.5, 33.9], [118.501, 33.9]]}
    props = {"street_id": "X2", "name_zh": "孤巷", "kind": "lane"}
    features.append({"type": "Feature", "properties": props, "geometry": line})


UNITS = json.loads((PILOT / "units.geojson").read_text(encoding="utf-8"))["features"]

GEOJSON_CASES = [
    ("units.geojson", _bowtie, ("U03", "geometry", "invalid geometry: Self-intersection")),
    ("units.geojson", _unit_far_away, ("U05", "geometry", "not inside any zone")),
    ("units.geojson", lambda fs: feature(fs, "unit_id", "U01")["properties"].update(zone_id="W"),
     ("U01", "zone_id", "zone_id is 'W' but the unit lies in zone 'C'")),
    ("units.geojson", lambda fs: feature(fs, "unit_id", "U02")["properties"].update(zone_id="Q"),
     ("U02", "zone_id", "unknown zone 'Q'")),
    ("units.geojson", lambda fs: feature(fs, "unit_id", "U04")["properties"].update(unit_id="U03"),
     ("U03", "unit_id", "duplicate unit_id 'U03'")),
    ("units.geojson", lambda fs: feature(fs, "unit_id", "U06")["properties"].update(kind="hospital"),
     ("U06", "kind", "'hospital' is not one of")),
    ("gates.geojson", _gate_off_wall, ("U07-G1", "geometry", "m from the wall of unit U07")),
    ("gates.geojson", lambda fs: feature(fs, "gate_id", "U08-G1").update(geometry=None),
     ("U08-G1", "geometry", "geometry is missing or empty")),
    ("gates.geojson", lambda fs: feature(fs, "gate_id", "U09-G1")["properties"].update(unit_id="U99"),
     ("U09-G1", "unit_id", "unknown unit 'U99'")),
    ("checkpoints.geojson", _checkpoint_outside, ("U02-P1", "geometry", "not inside unit U02")),
    ("checkpoints.geojson", lambda fs: feature(fs, "checkpoint_id", "U02-P2")["properties"].update(seq="two"),
     ("U02-P2", "seq", "not a whole number: 'two'")),
    ("streets.geojson", _street_through_unit, ("X1", "geometry", "crosses the wall of unit U10")),
    ("streets.geojson", _isolated_lane, ("X2", None, "not connected to the rest of the street network")),
    ("zones.geojson", lambda fs: feature(fs, "zone_id", "E").update(
        geometry={"type": "Polygon", "coordinates": [[[0, 0], [1, 1]]]}),
     ("E", "geometry", "geometry cannot be read")),
]  # fmt: skip


@pytest.mark.parametrize(("file", "change", "expected"), GEOJSON_CASES)
def test_geojson_problem_is_named(tmp_path: Path, file, change, expected) -> None:
    folder = copy_pilot(tmp_path)
    edit_geojson(folder, file, change)
    row, field, text = expected
    problems = problems_of(folder)
    assert has(problems, file, row, field, text), "\n".join(map(str, problems))


def _drop_column(col: str):
    return lambda df: df.drop(columns=[col])


CSV_CASES = [
    ("guards.csv", set_value("post_lon", "G005", "118,38"), ("G005", "post_lon", "not a number: '118,38'")),
    ("guards.csv", set_value("licensed", "G006", "maybe"), ("G006", "licensed", "not true or false: 'maybe'")),
    ("guards.csv", set_value("shift", "G007", "evening"), ("G007", "shift", "'evening' is not one of")),
    ("guards.csv", set_value("mobility", "G008", "car"), ("G008", "mobility", "'car' is not one of")),
    ("guards.csv", set_value("unit_id", "G009", "U77"), ("G009", "unit_id", "unknown unit 'U77'")),
    ("guards.csv", set_value("post_gate_id", "G001", "U30-G1"),
     ("G001", "post_gate_id", "gate U30-G1 belongs to unit U30, not to the guard's unit U01")),
    ("guards.csv", set_value("post_gate_id", "G002", "U01-G9"), ("G002", "post_gate_id", "unknown gate 'U01-G9'")),
    ("guards.csv", set_value("post_lat", "G003", "33.80"), ("G003", "post_lon", "m from gate U01-G1")),
    ("guards.csv", set_value("name", "G004", ""), ("G004", "name", "value is missing")),
    ("guards.csv", _drop_column("shift"), (None, "shift", "required column is missing")),
    ("incidents.csv", set_value("occurred_at", "I00010", "yesterday", "incident_id"),
     ("I00010", "occurred_at", "not an ISO-8601 time with zone")),
    ("incidents.csv", set_value("occurred_at", "I00011", "2026-05-01T10:00:00", "incident_id"),
     ("I00011", "occurred_at", "not an ISO-8601 time with zone")),
    ("incidents.csv", set_value("kind", "I00012", "robbery", "incident_id"), ("I00012", "kind", "'robbery' is not one of")),
    ("incidents.csv", set_value("unit_id", "I00013", "U88", "incident_id"), ("I00013", "unit_id", "unknown unit 'U88'")),
    ("incidents.csv", set_value("lat", "I00014", "133.7", "incident_id"), ("I00014", "lat", "133.7 is out of range (±90)")),
]  # fmt: skip


@pytest.mark.parametrize(("file", "change", "expected"), CSV_CASES)
def test_csv_problem_is_named(tmp_path: Path, file, change, expected) -> None:
    folder = copy_pilot(tmp_path)
    edit_csv(folder, file, change)
    row, field, text = expected
    problems = problems_of(folder)
    assert has(problems, file, row, field, text), "\n".join(map(str, problems))


def test_duplicate_device_id_names_both_guards(tmp_path: Path, pilot: Dataset) -> None:
    folder = copy_pilot(tmp_path)
    device = pilot.guards.set_index("guard_id").loc["G020", "device_id"]
    edit_csv(folder, "guards.csv", set_value("device_id", "G021", device))
    problems = problems_of(folder)
    for guard in ("G020", "G021"):
        assert has(problems, "guards.csv", guard, "device_id", "used by several guards: G020, G021")


def test_missing_required_file(tmp_path: Path) -> None:
    folder = copy_pilot(tmp_path)
    (folder / "guards.csv").unlink()
    assert has(problems_of(folder), "guards.csv", None, None, "required file is missing")


# ------------------------------------------------------------------ all at once


def test_every_problem_is_reported_together(tmp_path: Path, pilot: Dataset) -> None:
    folder = copy_pilot(tmp_path)
    edit_geojson(folder, "units.geojson", lambda fs: (_bowtie(fs), _unit_far_away(fs)))
    edit_geojson(folder, "streets.geojson", _street_through_unit)
    device = pilot.guards.set_index("guard_id").loc["G050", "device_id"]

    def guards(df: pd.DataFrame) -> pd.DataFrame:
        df.loc[df["guard_id"] == "G040", "unit_id"] = "U404"
        df.loc[df["guard_id"] == "G051", "device_id"] = device
        return df

    edit_csv(folder, "guards.csv", guards)
    problems = problems_of(folder)
    expected = [
        ("units.geojson", "U03", "geometry", "invalid geometry"),
        ("units.geojson", "U05", "geometry", "not inside any zone"),
        ("guards.csv", "G040", "unit_id", "unknown unit 'U404'"),
        ("guards.csv", "G051", "device_id", "used by several guards"),
        ("streets.geojson", "X1", "geometry", "crosses the wall of unit U10"),
    ]
    missing = [e for e in expected if not has(problems, *e)]
    assert not missing, "\n".join(map(str, problems))


# ------------------------------------------------------------------ a user's own data


def _square(lon: float, lat: float, size: float) -> dict:
    ring = [[lon, lat], [lon + size, lat], [lon + size, lat + size], [lon, lat + size], [lon, lat]]
    return {"type": "Polygon", "coordinates": [ring]}


def _collection(rows: list[tuple[dict, dict]]) -> str:
    feats = [{"type": "Feature", "properties": p, "geometry": g} for p, g in rows]
    return json.dumps({"type": "FeatureCollection", "features": feats}, ensure_ascii=False)


def write_minimal(folder: Path) -> None:
    folder.mkdir()
    (folder / "zones.geojson").write_text(_collection([
        ({"zone_id": "A", "name_zh": "一区"}, _square(120.00, 30.00, 0.01)),
        ({"zone_id": "B", "name_zh": "二区"}, _square(120.01, 30.00, 0.01)),
    ]), encoding="utf-8")  # fmt: skip
    (folder / "units.geojson").write_text(_collection([
        ({"unit_id": "a1", "name_zh": "阳光小区", "kind": "residential", "zone_id": "A"},
         _square(120.002, 30.002, 0.002)),
        ({"unit_id": "a2", "name_zh": "第一小学", "kind": "school", "zone_id": "A"},
         _square(120.006, 30.006, 0.002)),
        ({"unit_id": "b1", "name_zh": "百货大楼", "kind": "commercial", "zone_id": "B"},
         _square(120.013, 30.003, 0.003)),
    ]), encoding="utf-8")  # fmt: skip
    (folder / "guards.csv").write_text(
        "guard_id,name,unit_id,device_id,shift,licensed,post_lon,post_lat\n"
        "g1,张三,a1,100001,day,true,120.0021,30.0021\n"
        "g2,李四,a1,100002,night,false,120.0022,30.0021\n"
        "g3,王五,a2,100003,rotating,yes,120.0061,30.0061\n"
        "g4,赵六,b1,100004,day,1,120.0131,30.0031\n"
        "g5,钱七,b1,100005,night,0,120.0132,30.0031\n",
        encoding="utf-8",
    )


def test_minimal_user_dataset_loads(tmp_path: Path) -> None:
    folder = tmp_path / "mine"
    write_minimal(folder)
    ds = load_dataset(folder)
    assert (len(ds.zones), len(ds.units), len(ds.guards)) == (2, 3, 5)
    assert ds.guards["licensed"].tolist() == [True, False, True, True, False]
    assert ds.guards["zone_id"].tolist() == ["A", "A", "A", "B", "B"]
    assert (ds.guards["mobility"] == "foot").all()  # optional column, defaulted
    for name in ("gates", "checkpoints", "streets", "incidents"):
        frame = getattr(ds, name)
        assert frame.empty and set(SPECS[name].columns) <= set(frame.columns)
    assert ds.source_dir == folder


def test_minimal_user_dataset_with_a_unit_across_zones(tmp_path: Path) -> None:
    folder = tmp_path / "mine"
    write_minimal(folder)
    edit_geojson(
        folder, "units.geojson",
        lambda fs: feature(fs, "unit_id", "b1").update(geometry=_square(120.009, 30.003, 0.003)),
    )  # fmt: skip
    problems = problems_of(folder)
    assert has(problems, "units.geojson", "b1", "geometry", "not inside any zone")

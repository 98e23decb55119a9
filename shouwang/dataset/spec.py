"""The data set's shape: file specs, enumerations, and the Dataset / Problem types."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from shouwang.vocab import PREVENTABLE_KINDS, Mobility, Shift, UnitKind

# The files' code columns take the vocabulary's values (the historical incidents
# are the preventable kinds only).
UNIT_KINDS: tuple[str, ...] = tuple(k.value for k in UnitKind)
INCIDENT_KINDS: tuple[str, ...] = tuple(k.value for k in PREVENTABLE_KINDS)
STREET_KINDS = ("road", "lane", "gate_link")
SHIFTS: tuple[str, ...] = tuple(s.value for s in Shift)
MOBILITY: tuple[str, ...] = tuple(m.value for m in Mobility)
GATE_ON_WALL_M = 2.0  # a gate further than this from its unit's wall is misplaced
POST_NEAR_GATE_M = 50.0
INCIDENT_NEAR_M = 10.0  # slack for an incident said to be in a unit / zone
UNIT_IN_ZONE_SLACK_M = 1.0  # walls drawn on a zone border count as inside
DISCONNECTED_SHOWN = 20  # street pieces listed one by one before summarising


@dataclass(frozen=True)
class Spec:
    """What one file holds: columns with types, which are required, its id."""

    name: str
    file: str
    id: str
    columns: dict[str, str]  # column -> str | int | float | bool | datetime
    required: tuple[str, ...]
    geom_types: tuple[str, ...] = ()  # GeoJSON geometry types allowed
    enums: dict[str, tuple[str, ...]] = field(default_factory=dict)
    defaults: dict[str, str] = field(default_factory=dict)  # for absent optional columns


SPECS = {
    s.name: s
    for s in (
        Spec("zones", "zones.geojson", "zone_id",
             {"zone_id": "str", "name_zh": "str", "name_en": "str", "unit_kind": "str"},
             ("zone_id", "name_zh"), ("Polygon", "MultiPolygon"), {"unit_kind": UNIT_KINDS}),
        Spec("units", "units.geojson", "unit_id",
             {"unit_id": "str", "name_zh": "str", "name_en": "str", "kind": "str",
              "zone_id": "str", "company": "str", "address": "str"},
             ("unit_id", "name_zh", "kind", "zone_id"), ("Polygon",), {"kind": UNIT_KINDS}),
        Spec("gates", "gates.geojson", "gate_id",
             {"gate_id": "str", "unit_id": "str", "name_zh": "str"},
             ("gate_id", "unit_id"), ("Point",)),
        Spec("checkpoints", "checkpoints.geojson", "checkpoint_id",
             {"checkpoint_id": "str", "unit_id": "str", "seq": "int", "name_zh": "str"},
             ("checkpoint_id", "unit_id", "seq"), ("Point",)),
        Spec("streets", "streets.geojson", "street_id",
             {"street_id": "str", "name_zh": "str", "kind": "str"},
             ("street_id", "kind"), ("LineString",), {"kind": STREET_KINDS}),
        Spec("guards", "guards.csv", "guard_id",
             {"guard_id": "str", "name": "str", "unit_id": "str", "device_id": "str",
              "phone": "str", "shift": "str", "licensed": "bool", "post_gate_id": "str",
              "post_lon": "float", "post_lat": "float", "mobility": "str"},
             ("guard_id", "name", "unit_id", "device_id", "shift", "licensed", "post_lon",
              "post_lat"), (), {"shift": SHIFTS, "mobility": MOBILITY}, {"mobility": Mobility.FOOT.value}),
        Spec("incidents", "incidents.csv", "incident_id",
             {"incident_id": "str", "kind": "str", "occurred_at": "datetime", "lon": "float",
              "lat": "float", "unit_id": "str", "zone_id": "str", "description": "str"},
             ("incident_id", "kind", "occurred_at", "lon", "lat"), (), {"kind": INCIDENT_KINDS}),
    )
}  # fmt: skip
REQUIRED_FILES = ("zones", "units", "guards")
POINT_COLUMNS = {"guards": ("post_lon", "post_lat"), "incidents": ("lon", "lat")}


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a data set; ``row`` is the row's id where known."""

    file: str
    row: str | None
    field: str | None
    message: str

    def __str__(self) -> str:
        where = ", ".join(p for p in (self.row, self.field) if p)
        return f"{self.file}: {where}: {self.message}" if where else f"{self.file}: {self.message}"


class DatasetError(Exception):
    """A data set failed to load; ``problems`` lists everything that is wrong."""

    def __init__(self, problems: list[Problem], source_dir: Path | None = None) -> None:
        self.problems = list(problems)
        self.source_dir = source_dir
        where = f" in {source_dir}" if source_dir else ""
        head = f"{len(self.problems)} problem(s) in the data set{where}:"
        super().__init__("\n".join([head, *(f"  {p}" for p in self.problems)]))


@dataclass(frozen=True)
class Dataset:
    """A loaded data set; every frame is a GeoDataFrame in EPSG:4326."""

    zones: gpd.GeoDataFrame
    units: gpd.GeoDataFrame
    gates: gpd.GeoDataFrame
    checkpoints: gpd.GeoDataFrame
    streets: gpd.GeoDataFrame
    guards: gpd.GeoDataFrame
    incidents: gpd.GeoDataFrame
    source_dir: Path
    fingerprint: str


def row_tuples(frame: pd.DataFrame, *, index: bool = True) -> Iterable[Any]:
    """The rows of a checked frame as named tuples (``frame.itertuples()``).

    Typed ``Any``: pandas' stubs give every field the union of all scalar
    types, while the checks have already fixed each column's type.
    """
    return frame.itertuples(index=index)


# ------------------------------------------------------------------ reading


def row_labels(spec: Spec, df: pd.DataFrame) -> pd.Series:
    """How a row is named in a problem: its id, else its line / feature number."""
    pos = np.arange(len(df))
    fallback = pd.Series(
        [f"line {i + 2}" if spec.file.endswith(".csv") else f"feature {i + 1}" for i in pos],
        index=df.index,
    )
    if spec.id not in df:
        return fallback
    ids = df[spec.id].astype(str)
    return ids.where(df[spec.id].notna() & (ids.str.strip() != ""), fallback)


def missing_values(values: pd.Series) -> pd.Series:
    """NA or empty text, for already parsed (stripped) columns."""
    missing = values.isna()
    if values.dtype == object or pd.api.types.is_string_dtype(values.dtype):
        missing |= values.astype(str) == ""
    return missing

"""Load and validate a data set folder: zones, units, gates, guards, streets…

``load_dataset(folder)`` reads the files described in ``docs/data-formats.md``
into GeoDataFrames (EPSG:4326) and checks them with :func:`validate`. Every
problem found (unreadable values, bad geometry, unknown keys, walls crossed…)
is collected and raised together in one :class:`DatasetError`, so a user
fixes a data set in one pass rather than one error at a time.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry import shape

from shouwang.dataset.checks import validate
from shouwang.dataset.spec import (
    POINT_COLUMNS,
    REQUIRED_FILES,
    SPECS,
    Dataset,
    DatasetError,
    Problem,
    Spec,
    row_labels,
)

__all__ = ["Dataset", "DatasetError", "Problem", "load_dataset", "validate"]


def _blank(raw: pd.Series) -> pd.Series:
    text = raw.astype(object).where(raw.notna(), "").astype(str).str.strip()
    return text == ""


def _parse(spec: Spec, df: pd.DataFrame, problems: list[Problem]) -> pd.DataFrame:
    """Give each known column its type; unparsable cells become NA and a problem."""
    labels = row_labels(spec, df)
    out = df.copy()
    for col, kind in spec.columns.items():
        if col not in df:
            if col in spec.required:
                continue  # left out: validate() reports the column once
            default = spec.defaults.get(col, "")
            out[col] = default if kind == "str" else pd.Series(pd.NA, index=df.index)
            if kind != "str":
                continue
        raw = out[col]
        blank = _blank(raw)
        text = raw.astype(object).where(~blank, "").astype(str).str.strip()
        if kind == "str":
            if col in spec.defaults:
                text = text.where(~blank, spec.defaults[col])
            out[col] = text
            continue
        value: pd.Series  # float, Int64, boolean or datetime by kind
        if kind in ("int", "float"):
            value = pd.to_numeric(text.where(~blank, None), errors="coerce").astype(float)
            bad = ~blank & ~np.isfinite(value)
            if kind == "int":
                bad |= np.isfinite(value) & (value != np.floor(value))
                value = value.where(~bad).astype("Int64")
            what = "a whole number" if kind == "int" else "a number"
        elif kind == "bool":
            lower = text.str.lower()
            value = lower.map({"true": True, "1": True, "yes": True, "false": False,
                               "0": False, "no": False}).astype("boolean")  # fmt: skip
            bad = ~blank & value.isna()
            what = "true or false"
        else:  # datetime: ISO-8601 with an explicit zone, kept in UTC
            value = pd.to_datetime(text.where(~blank, None), utc=True, errors="coerce",
                                   format="ISO8601")  # fmt: skip
            no_zone = ~text.str.contains(r"(?:Z|[+-]\d\d:?\d\d)$", regex=True)
            bad = ~blank & (value.isna() | no_zone)
            value = value.where(~bad)
            what = "an ISO-8601 time with zone, e.g. 2026-05-01T21:30:00+08:00"
        for i in np.flatnonzero(bad.to_numpy()):
            msg = f"not {what}: {text.iloc[i]!r}"
            problems.append(Problem(spec.file, labels.iloc[i], col, msg))
        out[col] = value.where(~bad) if kind != "int" else value
    return out


def _empty(spec: Spec) -> gpd.GeoDataFrame:
    dtypes: dict[str, Any] = {"str": str, "int": "Int64", "float": float, "bool": bool,
              "datetime": "datetime64[ns, UTC]"}  # fmt: skip
    cols = {c: pd.Series(dtype=dtypes[k]) for c, k in spec.columns.items()}
    return gpd.GeoDataFrame(cols, geometry=gpd.GeoSeries([], crs=4326), crs=4326)


def _read_geojson(spec: Spec, path: Path, problems: list[Problem]) -> gpd.GeoDataFrame:
    try:
        doc = json.loads(path.read_bytes())
    except (OSError, ValueError) as exc:
        problems.append(Problem(spec.file, None, None, f"cannot be read as JSON: {exc}"))
        return _empty(spec)
    features = doc.get("features") if isinstance(doc, dict) else None
    if not isinstance(features, list):
        problems.append(Problem(spec.file, None, None, "not a GeoJSON FeatureCollection"))
        return _empty(spec)
    props: list[Any] = []
    geoms: list[Any] = []  # shapely geometries, None where missing or unreadable
    errors: dict[int, str] = {}
    for i, feat in enumerate(features):
        feat = feat if isinstance(feat, dict) else {}
        props.append(feat.get("properties") or {})
        geom = None
        if feat.get("geometry"):
            try:
                geom = shape(feat["geometry"])
            except Exception as exc:  # shapely raises several types for bad coordinates
                errors[i] = f"geometry cannot be read: {exc}"
        geoms.append(geom)
    df = _parse(spec, pd.DataFrame(props, index=range(len(props))), problems)
    labels = row_labels(spec, df)
    problems.extend(Problem(spec.file, labels.iloc[i], "geometry", m) for i, m in errors.items())
    return gpd.GeoDataFrame(df, geometry=gpd.GeoSeries(geoms, index=df.index), crs=4326)


def _read_csv(spec: Spec, path: Path, problems: list[Problem]) -> gpd.GeoDataFrame:
    try:
        raw = pd.read_csv(path, dtype=str, keep_default_na=False, skipinitialspace=True)
    except (OSError, ValueError, UnicodeDecodeError) as exc:
        problems.append(Problem(spec.file, None, None, f"cannot be read as CSV: {exc}"))
        return _empty(spec)
    df = _parse(spec, raw.rename(columns=str.strip), problems)
    lon, lat = (df[c].astype(float).to_numpy() if c in df else np.full(len(df), np.nan)
                for c in POINT_COLUMNS[spec.name])  # fmt: skip
    ok = (np.abs(lon) <= 180) & (np.abs(lat) <= 90)  # NaN compares False too
    # numpy's stubs reject a None branch; at run time it makes an object array
    geom = np.where(ok, shapely.points(np.where(ok, lon, 0), np.where(ok, lat, 0)), None)  # type: ignore[call-overload]
    return gpd.GeoDataFrame(df, geometry=gpd.GeoSeries(geom, index=df.index), crs=4326)


def load_dataset(data_dir: str | Path) -> Dataset:
    """Read and validate the data set in ``data_dir``.

    Parameters
    ----------
    data_dir : str or Path
        Folder with zones.geojson, units.geojson and guards.csv, and optionally
        gates.geojson, checkpoints.geojson, streets.geojson and incidents.csv.

    Returns
    -------
    Dataset
        Frames in EPSG:4326; ``guards`` gains the ``zone_id`` of its unit.

    Raises
    ------
    DatasetError
        Listing every problem found, when there is at least one.
    """
    source = Path(data_dir)
    problems: list[Problem] = []
    if not source.is_dir():
        raise DatasetError([Problem(str(source), None, None, "no such folder")], source)
    frames, digest = {}, hashlib.sha256()
    for name, spec in SPECS.items():
        path = source / spec.file
        if not path.is_file():
            if name in REQUIRED_FILES:
                problems.append(Problem(spec.file, None, None, "required file is missing"))
            frames[name] = _empty(spec)
            continue
        digest.update(spec.file.encode() + b"\0" + path.read_bytes() + b"\0")
        read = _read_csv if spec.file.endswith(".csv") else _read_geojson
        frames[name] = read(spec, path, problems)
    units, guards = frames["units"], frames["guards"]
    if {"unit_id", "zone_id"} <= set(units) and "unit_id" in guards:
        zone_of = dict(zip(units["unit_id"], units["zone_id"], strict=True))
        guards["zone_id"] = guards["unit_id"].map(zone_of).astype(object)
    ds = Dataset(**frames, source_dir=source, fingerprint=digest.hexdigest())
    # a cell or column already reported as unreadable is not reported again as missing
    seen = {(p.file, p.row, p.field) for p in problems}
    whole = {(p.file, p.field) for p in problems if p.row is None and p.field}
    problems += [p for p in validate(ds) if (p.file, p.row, p.field) not in seen
                 and (p.file, p.field) not in whole]  # fmt: skip
    if problems:
        order = {spec.file: k for k, spec in enumerate(SPECS.values())}
        raise DatasetError(sorted(problems, key=lambda p: order.get(p.file, -1)), source)
    ds.guards["licensed"] = ds.guards["licensed"].astype(bool)
    ds.guards["zone_id"] = ds.guards["zone_id"].astype(str)
    return ds

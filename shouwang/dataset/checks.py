"""Checks of a loaded data set: values, ids, keys, geometry, street network.

Pure: a :class:`~shouwang.dataset.spec.Dataset` in, every :class:`~shouwang.dataset.spec.Problem` out.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import replace
from typing import Any

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd
import pyproj
import shapely
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from shouwang.dataset.spec import (
    DISCONNECTED_SHOWN,
    GATE_ON_WALL_M,
    INCIDENT_NEAR_M,
    POINT_COLUMNS,
    POST_NEAR_GATE_M,
    SPECS,
    UNIT_IN_ZONE_SLACK_M,
    Dataset,
    Problem,
    Spec,
    missing_values,
    row_labels,
)


def validate(ds: Dataset) -> list[Problem]:
    """Every problem in ``ds``: values, ids, keys and geometry (see module doc)."""
    problems: list[Problem] = []
    filled = {}
    for name, spec in SPECS.items():
        df = getattr(ds, name)
        absent = [c for c in spec.columns if c not in df]
        problems += [Problem(spec.file, None, c, "required column is missing")
                     for c in absent if c in spec.required]  # fmt: skip
        filled[name] = df.assign(**dict.fromkeys(absent, pd.NA)) if absent else df
    ds = replace(ds, **filled)  # later checks see every column; absent ones are all NA
    lab = {name: row_labels(spec, getattr(ds, name)) for name, spec in SPECS.items()}
    for name, spec in SPECS.items():
        problems += _check_table(spec, getattr(ds, name), lab[name])
    problems += _check_keys(ds, lab)
    problems += _check_geometry(ds, lab)
    return problems


GEOM_TYPES = np.array(["Point", "LineString", "LinearRing", "Polygon", "MultiPoint",
                       "MultiLineString", "MultiPolygon", "GeometryCollection"])  # fmt: skip


def _check_table(spec: Spec, df: gpd.GeoDataFrame, labels: pd.Series) -> list[Problem]:
    """Values of one table: required, in their enums, unique ids, usable geometry."""
    out: list[Problem] = []

    def each(mask: Any, col: str, message: Callable[[int], str]) -> None:
        rows = np.flatnonzero(pd.Series(mask).fillna(False).to_numpy(dtype=bool)).tolist()
        out.extend(Problem(spec.file, labels.iloc[i], col, message(i)) for i in rows)

    for col in spec.required:
        if not df[col].isna().all():  # an absent column is reported once, not per row
            each(missing_values(df[col]), col, lambda i: "value is missing")
    for col, allowed in spec.enums.items():
        text = df[col].astype(str)
        bad = ~missing_values(df[col]) & ~text.isin(allowed)
        # mypy infers no lambda with default arguments (they pin the loop's values)
        each(bad, col, lambda i, t=text, a=allowed: f"{t.iloc[i]!r} is not one of {', '.join(a)}")  # type: ignore[misc]
    for col in (spec.id, "device_id") if spec.name == "guards" else (spec.id,):
        vals = df[col].astype(str)
        dup = vals.duplicated(keep=False) & ~missing_values(df[col])
        if dup.any():
            rows = df[spec.id].astype(str).groupby(vals[dup]).agg(", ".join)
            # mypy infers no lambda with default arguments (they pin the loop's values)
            each(dup, col, lambda i, v=vals, r=rows, c=col: (  # type: ignore[misc]
                f"duplicate {c} {v.iloc[i]!r}" if c == spec.id
                else f"{c} {v.iloc[i]} is used by several guards: {r[v.iloc[i]]}"))  # fmt: skip
    if "seq" in spec.columns:
        seq = pd.to_numeric(df["seq"], errors="coerce").astype(float)
        each(seq < 1, "seq", lambda i: f"seq must be 1 or more, got {seq.iloc[i]:g}")
    if spec.name in POINT_COLUMNS:
        for col, limit in zip(POINT_COLUMNS[spec.name], (180, 90), strict=True):
            v = pd.to_numeric(df[col], errors="coerce")
            # mypy infers no lambda with default arguments (they pin the loop's values)
            each(v.abs() > limit, col, lambda i, v=v, m=limit: f"{v.iloc[i]} is out of range (±{m})")  # type: ignore[misc]  # fmt: skip
    if spec.geom_types:
        geom = df.geometry.to_numpy()
        missing = shapely.is_missing(geom) | shapely.is_empty(geom)
        each(missing, "geometry", lambda i: "geometry is missing or empty")
        kinds = GEOM_TYPES[np.clip(shapely.get_type_id(geom), 0, 7)]
        wrong = ~missing & ~np.isin(kinds, spec.geom_types)
        want = " or ".join(spec.geom_types)
        each(wrong, "geometry", lambda i: f"geometry must be {want}, got {kinds[i]}")
        invalid = ~missing & ~wrong & ~shapely.is_valid(geom)
        why = lambda i: str(shapely.is_valid_reason(geom[i])).replace("[", " at [", 1)  # noqa: E731
        each(invalid, "geometry", lambda i: f"invalid geometry: {why(i)}")
    return out


def _none_known(file: str, col: str | None, n: int, what: str, target: str) -> Problem:
    msg = f"{n} {what} name a {target}, but the data set has no {target}s (file missing or empty)"
    return Problem(file, None, col, msg)


def _check_keys(ds: Dataset, lab: dict[str, pd.Series]) -> list[Problem]:
    """Foreign keys: every reference names a row that exists (and fits)."""
    out: list[Problem] = []
    unit_of_gate = dict(zip(ds.gates["gate_id"].astype(str), ds.gates["unit_id"].astype(str),
                            strict=True))  # fmt: skip
    known: dict[str, Collection[str]] = {
        "zone": set(ds.zones["zone_id"].astype(str)),
        "unit": set(ds.units["unit_id"].astype(str)),
        "gate": unit_of_gate,
    }
    refs = [("units", "zone_id", "zone"), ("gates", "unit_id", "unit"),
            ("checkpoints", "unit_id", "unit"), ("guards", "unit_id", "unit"),
            ("guards", "post_gate_id", "gate"), ("incidents", "unit_id", "unit"),
            ("incidents", "zone_id", "zone")]  # fmt: skip
    for name, col, target in refs:
        spec, df = SPECS[name], getattr(ds, name)
        vals = df[col].astype(str)
        bad = ~missing_values(df[col]) & ~vals.isin(known[target])
        if bad.any() and not known[target]:  # one line, not one per row
            out.append(_none_known(spec.file, col, int(bad.sum()), "rows", target))
            continue
        out += [Problem(spec.file, lab[name].iloc[i], col, f"unknown {target} {vals.iloc[i]!r}")
                for i in np.flatnonzero(bad.to_numpy())]  # fmt: skip
    gate_unit = ds.guards["post_gate_id"].astype(str).map(unit_of_gate)
    unit = ds.guards["unit_id"].astype(str)
    for i in np.flatnonzero((gate_unit.notna() & (gate_unit != unit)).to_numpy()):
        msg = f"gate {ds.guards['post_gate_id'].iloc[i]} belongs to unit {gate_unit.iloc[i]}, not to the guard's unit {unit.iloc[i]}"  # fmt: skip
        out.append(Problem("guards.csv", lab["guards"].iloc[i], "post_gate_id", msg))
    return out


def _good(spec: Spec, df: gpd.GeoDataFrame, crs: pyproj.CRS) -> gpd.GeoDataFrame:
    """Rows with usable geometry of the right type, projected to metres.

    Rows with broken geometry are already reported; the relational checks
    skip them rather than report them twice.
    """
    geom = df.geometry.to_numpy()
    ok = ~(shapely.is_missing(geom) | shapely.is_empty(geom))
    ok &= np.isin(GEOM_TYPES[np.clip(shapely.get_type_id(geom), 0, 7)], spec.geom_types or "Point")
    ok[ok] = shapely.is_valid(geom[ok])
    return df[ok].to_crs(crs)


def _by_id(df: gpd.GeoDataFrame, col: str) -> pd.Series:
    """Geometry by id (first row wins on duplicate ids, which are reported anyway)."""
    geoms = pd.Series(df.geometry.to_numpy(), index=df[col].astype(str))
    return geoms[~geoms.index.duplicated()]


def _lookup(keys: pd.Series, geoms: pd.Series) -> np.ndarray:
    found = keys.astype(str).map(geoms)
    # numpy's stubs reject a None branch; at run time it makes an object array
    return np.where(found.notna().to_numpy(), found.to_numpy(), None)  # type: ignore[call-overload]


def _check_geometry(ds: Dataset, lab: dict[str, pd.Series]) -> list[Problem]:
    """Where things are: units in zones, gates on walls, streets outside walls…"""
    out: list[Problem] = []
    ref = pd.concat([ds.zones.geometry, ds.units.geometry])
    ref = gpd.GeoSeries(ref[~(ref.isna() | ref.is_empty) & ref.is_valid], crs=4326)
    if ref.empty:
        return out  # nothing to place anything against; the table checks said why
    crs = ref.estimate_utm_crs()
    good = {name: _good(spec, getattr(ds, name), crs) for name, spec in SPECS.items()}
    Z, U, G = good["zones"], good["units"], good["gates"]

    def add(name: str, index: int | None, field_: str | None, message: str) -> None:
        row = None if index is None else lab[name].loc[index]
        out.append(Problem(SPECS[name].file, row, field_, message))

    # zones must not overlap
    zg = Z.geometry.to_numpy()
    i, j = shapely.STRtree(zg).query(zg, predicate="intersects")
    i, j = i[i < j], j[i < j]
    for a, b, m2 in zip(
        i.tolist(), j.tolist(), shapely.area(shapely.intersection(zg[i], zg[j])), strict=True
    ):
        if m2 > 1.0:
            add("zones", Z.index[a], "geometry", f"overlaps zone {Z['zone_id'].iloc[b]} ({m2:.0f} m²)")  # fmt: skip

    # every unit wholly inside exactly one zone, the one its zone_id names
    zones = shapely.STRtree(shapely.buffer(zg, UNIT_IN_ZONE_SLACK_M))
    i, j = zones.query(U.geometry.to_numpy(), predicate="within")
    n_in = np.bincount(i, minlength=len(U))
    for k in np.flatnonzero(n_in == 0).tolist():
        add("units", U.index[k], "geometry", "not inside any zone (a unit must lie wholly inside one zone)")  # fmt: skip
    for k in np.flatnonzero(n_in > 1).tolist():
        names = ", ".join(Z["zone_id"].iloc[j[i == k]])
        add("units", U.index[k], "geometry", f"inside several zones ({names}): zones overlap")
    for k, z in zip(i.tolist(), j.tolist(), strict=True):
        said, found = str(U["zone_id"].iloc[k]), str(Z["zone_id"].iloc[z])
        if n_in[k] == 1 and said in set(ds.zones["zone_id"]) and said != found:
            add("units", U.index[k], "zone_id", f"zone_id is {said!r} but the unit lies in zone {found!r}")  # fmt: skip

    # gates on their wall, checkpoints inside their unit
    walls = _by_id(U, "unit_id")
    dist = shapely.distance(G.geometry.to_numpy(), shapely.boundary(_lookup(G["unit_id"], walls)))
    for k in np.flatnonzero(dist > GATE_ON_WALL_M).tolist():
        add("gates", G.index[k], "geometry",
            f"{dist[k]:.1f} m from the wall of unit {G['unit_id'].iloc[k]} (must be on it, ≤ {GATE_ON_WALL_M:g} m)")  # fmt: skip
    C = good["checkpoints"]
    wall = _lookup(C["unit_id"], walls)
    outside = (wall != None) & ~shapely.within(C.geometry.to_numpy(), wall)  # noqa: E711
    for k in np.flatnonzero(outside).tolist():
        add("checkpoints", C.index[k], "geometry", f"not inside unit {C['unit_id'].iloc[k]}")

    # guards near their gate; incidents in the unit / zone they name
    W = good["guards"]
    dist = shapely.distance(W.geometry.to_numpy(), _lookup(W["post_gate_id"], _by_id(G, "gate_id")))
    for k in np.flatnonzero(dist > POST_NEAR_GATE_M).tolist():
        add("guards", W.index[k], "post_lon",
            f"post is {dist[k]:.0f} m from gate {W['post_gate_id'].iloc[k]} (at most {POST_NEAR_GATE_M:g} m)")  # fmt: skip
    inc = good["incidents"]
    for col, geoms in (("unit_id", walls), ("zone_id", _by_id(Z, "zone_id"))):
        dist = shapely.distance(inc.geometry.to_numpy(), _lookup(inc[col], geoms))
        for k in np.flatnonzero(dist > INCIDENT_NEAR_M).tolist():
            add("incidents", inc.index[k], col, f"the point is {dist[k]:.0f} m outside {col[:-3]} {inc[col].iloc[k]}")  # fmt: skip
    _check_streets(ds, good, add)
    return out


def _check_streets(ds: Dataset, good: dict, add: Callable[..., None]) -> None:
    """Streets keep out of walls, gate links join gates, the network is one piece."""
    S, U, G = good["streets"], good["units"], good["gates"]
    if S.empty:
        return
    walls = shapely.STRtree(shapely.boundary(U.geometry.to_numpy()))
    unit_ids = U["unit_id"].to_numpy()
    is_link = (S["kind"] == "gate_link").to_numpy()
    i, j = walls.query(S.geometry.to_numpy()[~is_link], predicate="crosses")
    for a, b in zip(S.index[~is_link][i], j, strict=True):
        add("streets", a, "geometry", f"crosses the wall of unit {unit_ids[b]} (only a gate_link may)")  # fmt: skip
    if ds.gates.empty and is_link.any():
        add("streets", None, "kind", _none_known("", None, int(is_link.sum()), "gate_link segments", "gate").message)  # fmt: skip
    elif not ds.gates.empty and not is_link.any():
        add("streets", None, "kind", f"no gate_link segments: none of the {len(G)} gates is joined to the street network")  # fmt: skip
    elif is_link.any():
        _check_gate_links(S[is_link], G, walls, unit_ids, add)

    # connectivity: segments meet where their end points coincide (to 7 decimals, ~1 cm)
    lines = ds.streets.geometry.loc[S.index].to_numpy()
    ends = [shapely.get_coordinates(shapely.get_point(lines, k)) for k in (0, -1)]
    _, node = np.unique(np.round(np.vstack(ends), 7), axis=0, return_inverse=True)
    node, n = node.reshape(-1), len(lines)
    graph = coo_matrix((np.ones(n), (node[:n], node[n:])), shape=(node.max() + 1,) * 2)
    seg_comp = connected_components(graph, directed=False)[1][node[:n]]
    sizes = np.bincount(seg_comp)
    pieces = [c for c in np.argsort(-sizes, kind="stable")[1:] if sizes[c]]
    ids = S["street_id"].astype(str).to_numpy()
    for c in pieces[:DISCONNECTED_SHOWN]:
        members = np.flatnonzero(seg_comp == c)
        listed = ", ".join(ids[members[:10]]) + (" …" if len(members) > 10 else "")
        add("streets", S.index[members[0]], None,
            f"not connected to the rest of the street network (a piece of {len(members)} segment(s): {listed})")  # fmt: skip
    if len(pieces) > DISCONNECTED_SHOWN:
        add("streets", None, None, f"… and {len(pieces) - DISCONNECTED_SHOWN} more disconnected pieces")  # fmt: skip


def _check_gate_links(
    links_df: gpd.GeoDataFrame,
    G: gpd.GeoDataFrame,
    walls: shapely.STRtree,
    unit_ids: npt.NDArray[np.object_],
    add: Callable[..., None],
) -> None:
    """A gate link starts at a gate, and beyond 2 m of it touches no wall."""
    links, gate_geoms = links_df.geometry.to_numpy(), G.geometry.to_numpy()
    gate_of = np.full(len(links), -1)
    tree = shapely.STRtree(gate_geoms)
    for end in (-1, 0):  # a gate at the start wins over one at the end
        i, j = tree.query_nearest(shapely.get_point(links, end), max_distance=GATE_ON_WALL_M,
                                  all_matches=False)  # fmt: skip
        gate_of[i] = j
    for k in np.flatnonzero(gate_of < 0).tolist():
        add("streets", links_df.index[k], "geometry", f"gate_link does not start at a gate (none within {GATE_ON_WALL_M:g} m of either end)")  # fmt: skip
    has = gate_of >= 0
    # the first 2 m may cross the wall: the gate sits on it, give or take rounding
    near_gate = shapely.buffer(gate_geoms[gate_of[has]], GATE_ON_WALL_M)
    i, j = walls.query(shapely.difference(links[has], near_gate), predicate="intersects")
    for a, b in zip(links_df.index[has][i], j, strict=True):
        add("streets", a, "geometry", f"gate_link crosses the wall of unit {unit_ids[b]}")
    for k in sorted(set(range(len(G))) - set(gate_of[has].tolist())):
        add("gates", G.index[k], None, "no gate_link joins this gate to the street network")

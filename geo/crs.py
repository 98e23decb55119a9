"""Coordinate reference systems: local metric CRS and the GCJ-02 offset datum.

Public API (stable; other ``geo`` modules build on it)
------------------------------------------------------
``local_crs(lon, lat) -> pyproj.CRS``
    The WGS-84 / UTM zone (EPSG:326xx north, 327xx south) containing the
    centre of the given points. All metric work in ``geo`` happens in it.
``local_crs_for(gdf) -> pyproj.CRS``
    Same, for the total bounds of a GeoDataFrame in EPSG:4326.
``to_local(lon, lat, crs) -> (x_m, y_m)``
    WGS-84 degrees to metres in ``crs``. Vectorised, arrays out.
``to_wgs84(x_m, y_m, crs) -> (lon, lat)``
    The inverse of :func:`to_local`.
``out_of_china(lon, lat) -> bool array``
    The bounding-box test used by the GCJ-02 functions.
``wgs84_to_gcj02(lon, lat) -> (lon, lat)`` / ``gcj02_to_wgs84(lon, lat)``
    WGS-84 to the GCJ-02 datum of AMap / Tencent tiles and back.

Transformers are cached per CRS and always use lon/lat (x/y) axis order.
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt
import pyproj

if TYPE_CHECKING:  # only annotations: crs stays importable without geopandas loaded
    import geopandas as gpd

__all__ = [
    "WGS84",
    "gcj02_to_wgs84",
    "local_crs",
    "local_crs_for",
    "out_of_china",
    "to_local",
    "to_wgs84",
    "wgs84_to_gcj02",
]

WGS84 = pyproj.CRS.from_epsg(4326)

ArrayLike = float | npt.ArrayLike


def local_crs(lon: ArrayLike, lat: ArrayLike) -> pyproj.CRS:
    """Return the UTM zone CRS for the centre of the given points.

    Parameters
    ----------
    lon, lat : float or array-like
        WGS-84 degrees. With arrays, the mid-point of their extent is used:
        a district-sized data set lies inside one zone (or at worst spills a
        few km over an edge, where UTM distortion is still below 0.1 %).

    Returns
    -------
    pyproj.CRS
        EPSG:326zz (northern hemisphere) or EPSG:327zz (southern).
    """
    lon_a = np.asarray(lon, dtype=float)
    lat_a = np.asarray(lat, dtype=float)
    if lon_a.size == 0 or not np.isfinite(lon_a).any():
        raise ValueError("local_crs needs at least one finite coordinate")
    lon_c = (np.nanmin(lon_a) + np.nanmax(lon_a)) / 2.0
    lat_c = (np.nanmin(lat_a) + np.nanmax(lat_a)) / 2.0
    zone = int(np.floor((lon_c + 180.0) / 6.0)) % 60 + 1
    return _utm(zone, bool(lat_c >= 0.0))


@lru_cache(maxsize=128)
def _utm(zone: int, north: bool) -> pyproj.CRS:
    return pyproj.CRS.from_epsg((32600 if north else 32700) + zone)


def local_crs_for(gdf: gpd.GeoDataFrame | gpd.GeoSeries) -> pyproj.CRS:
    """Return :func:`local_crs` for the bounds of a GeoDataFrame in EPSG:4326."""
    minx, miny, maxx, maxy = gdf.to_crs(WGS84).total_bounds
    return local_crs(np.array([minx, maxx]), np.array([miny, maxy]))


@lru_cache(maxsize=64)
def _transformer(src: str, dst: str) -> pyproj.Transformer:
    # Keyed by the CRS WKT strings so equal CRS objects share one transformer.
    return pyproj.Transformer.from_crs(
        pyproj.CRS.from_user_input(src), pyproj.CRS.from_user_input(dst), always_xy=True
    )


_KEYS: dict[int, tuple[pyproj.CRS, str]] = {}


def _crs_key(crs: pyproj.CRS | str | int) -> str:
    # CRS.to_epsg() costs ~0.2 ms: remember the key per CRS object (kept alive
    # in the dict, so its id cannot be reused by another object).
    hit = _KEYS.get(id(crs))
    if hit is not None and hit[0] is crs:
        return hit[1]
    obj = pyproj.CRS.from_user_input(crs)
    epsg = obj.to_epsg(min_confidence=100)
    key = f"EPSG:{epsg}" if epsg is not None else obj.to_wkt()
    if isinstance(crs, pyproj.CRS) and len(_KEYS) < 256:
        _KEYS[id(crs)] = (crs, key)
    return key


def to_local(lon: ArrayLike, lat: ArrayLike, crs: pyproj.CRS) -> tuple[np.ndarray, np.ndarray]:
    """Project WGS-84 lon/lat degrees to metres in ``crs`` (arrays out)."""
    tr = _transformer("EPSG:4326", _crs_key(crs))
    x, y = tr.transform(np.asarray(lon, dtype=float), np.asarray(lat, dtype=float))
    return np.asarray(x, dtype=float), np.asarray(y, dtype=float)


def to_wgs84(x_m: ArrayLike, y_m: ArrayLike, crs: pyproj.CRS) -> tuple[np.ndarray, np.ndarray]:
    """Un-project metres in ``crs`` to WGS-84 lon/lat degrees (arrays out)."""
    tr = _transformer(_crs_key(crs), "EPSG:4326")
    lon, lat = tr.transform(np.asarray(x_m, dtype=float), np.asarray(y_m, dtype=float))
    return np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)


# --- GCJ-02 -----------------------------------------------------------------
# The GCJ-02 obfuscation as published in the widely used open implementations
# (e.g. eviltransform, coordtransform): Krasovsky 1940 ellipsoid constants and
# the same trigonometric offset polynomials.
_GCJ_A = 6378245.0
_GCJ_EE = 0.00669342162296594323

# China bounding box used by those implementations. It is deliberately coarse:
# it also includes e.g. parts of Korea, Mongolia and Vietnam, where AMap applies
# the offset too; points outside it are returned unchanged.
_CHINA_LON = (72.004, 137.8347)
_CHINA_LAT = (0.8293, 55.8271)


def out_of_china(lon: ArrayLike, lat: ArrayLike) -> np.ndarray:
    """True where a point lies outside the GCJ-02 bounding box of China.

    The box is lon 72.004–137.8347, lat 0.8293–55.8271 (the test used by the
    common open GCJ-02 implementations). Points outside are not offset.
    """
    lon_a = np.asarray(lon, dtype=float)
    lat_a = np.asarray(lat, dtype=float)
    return (
        (lon_a < _CHINA_LON[0])
        | (lon_a > _CHINA_LON[1])
        | (lat_a < _CHINA_LAT[0])
        | (lat_a > _CHINA_LAT[1])
    )


def _gcj_delta(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Offset (dlon, dlat) in degrees that GCJ-02 adds to a WGS-84 point."""
    x = lon - 105.0
    y = lat - 35.0
    sqrt_abs_x = np.sqrt(np.abs(x))
    common = (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
    dlat = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * sqrt_abs_x + common
    dlat += (20.0 * np.sin(y * np.pi) + 40.0 * np.sin(y / 3.0 * np.pi)) * 2.0 / 3.0
    dlat += (160.0 * np.sin(y / 12.0 * np.pi) + 320.0 * np.sin(y * np.pi / 30.0)) * 2.0 / 3.0
    dlon = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * sqrt_abs_x + common
    dlon += (20.0 * np.sin(x * np.pi) + 40.0 * np.sin(x / 3.0 * np.pi)) * 2.0 / 3.0
    dlon += (150.0 * np.sin(x / 12.0 * np.pi) + 300.0 * np.sin(x / 30.0 * np.pi)) * 2.0 / 3.0
    rad_lat = lat / 180.0 * np.pi
    magic = 1.0 - _GCJ_EE * np.sin(rad_lat) ** 2
    sqrt_magic = np.sqrt(magic)
    dlat = (dlat * 180.0) / ((_GCJ_A * (1.0 - _GCJ_EE)) / (magic * sqrt_magic) * np.pi)
    dlon = (dlon * 180.0) / (_GCJ_A / sqrt_magic * np.cos(rad_lat) * np.pi)
    return dlon, dlat


def wgs84_to_gcj02(lon: ArrayLike, lat: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """Convert WGS-84 degrees to GCJ-02 (AMap / Tencent tiles).

    Parameters
    ----------
    lon, lat : float or array-like
        WGS-84 degrees; scalars or arrays of one shape.

    Returns
    -------
    (lon, lat) : tuple of numpy arrays
        GCJ-02 degrees. Points outside :func:`out_of_china` are unchanged.
    """
    lon_a = np.atleast_1d(np.asarray(lon, dtype=float))
    lat_a = np.atleast_1d(np.asarray(lat, dtype=float))
    dlon, dlat = _gcj_delta(lon_a, lat_a)
    outside = out_of_china(lon_a, lat_a)
    return np.where(outside, lon_a, lon_a + dlon), np.where(outside, lat_a, lat_a + dlat)


def gcj02_to_wgs84(
    lon: ArrayLike, lat: ArrayLike, *, tol_deg: float = 1e-10, max_iter: int = 30
) -> tuple[np.ndarray, np.ndarray]:
    """Convert GCJ-02 degrees back to WGS-84 by fixed-point iteration.

    The offset varies slowly (its gradient is far below 1), so iterating
    ``w <- w - (f(w) - g)`` converges geometrically; ``tol_deg = 1e-10``
    (about 0.01 mm) is reached in a handful of steps, well inside the
    promised round-trip error of 1 cm.

    Parameters
    ----------
    lon, lat : float or array-like
        GCJ-02 degrees.
    tol_deg : float
        Stop when every point's forward image is within this of the input.
    max_iter : int
        Safety bound on the number of iterations.

    Returns
    -------
    (lon, lat) : tuple of numpy arrays
        WGS-84 degrees; points outside China are unchanged.
    """
    g_lon = np.atleast_1d(np.asarray(lon, dtype=float))
    g_lat = np.atleast_1d(np.asarray(lat, dtype=float))
    w_lon = g_lon.copy()
    w_lat = g_lat.copy()
    for _ in range(max_iter):
        f_lon, f_lat = wgs84_to_gcj02(w_lon, w_lat)
        e_lon = f_lon - g_lon
        e_lat = f_lat - g_lat
        w_lon = w_lon - e_lon
        w_lat = w_lat - e_lat
        if np.nanmax(np.abs(np.concatenate([e_lon, e_lat])), initial=0.0) < tol_deg:
            break
    return w_lon, w_lat

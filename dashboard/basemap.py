"""Pure figure builders for the live map: our own base layers, no web tiles.

The map must be readable on a police intranet with no internet, so the
MapLibre style is a plain background and every base layer (zones, unit
walls, streets) comes from the data set as GeoJSON layers. A raster tile URL
(``MAP_TILES_URL``) is added underneath when configured; when those tiles are
GCJ-02 (``MAP_TILES_CRS=gcj02``, AMap/Tencent style) everything DRAWN is
converted with :func:`drawing_projection`, while stored data stays WGS-84.
No text labels on the map: MapLibre would fetch glyph fonts from the internet.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import numpy.typing as npt

from dashboard.theme import THEMES, zone_colour

Projection = Callable[[npt.ArrayLike, npt.ArrayLike], tuple[np.ndarray, np.ndarray]]


def map_style(theme: str = "dark", tiles_url: str | None = None) -> dict:
    """A MapLibre style that needs nothing from the internet (optionally raster tiles)."""
    colours = THEMES[theme]
    style: dict = {
        "version": 8,
        # A style with an empty "sources" object loses it on its way through a
        # Dash callback update, and MapLibre then rejects the style; one empty
        # source keeps every page's redraws working.
        "sources": {
            "sw-none": {"type": "geojson", "data": {"type": "FeatureCollection", "features": []}}
        },
        "layers": [
            {
                "id": "background",
                "type": "background",
                "paint": {"background-color": colours["background"]},
            }
        ],
    }
    if tiles_url:
        style["sources"]["tiles"] = {"type": "raster", "tiles": [tiles_url], "tileSize": 256}
        style["layers"].append({"id": "tiles", "type": "raster", "source": "tiles"})
    return style


def view_of(
    bounds: tuple[float, float, float, float], width_px: int = 1200, height_px: int = 800
) -> tuple[dict, float]:
    """Centre and zoom that fit ``bounds`` (minx, miny, maxx, maxy) in a map of that size."""
    minx, miny, maxx, maxy = bounds
    centre = {"lon": (minx + maxx) / 2, "lat": (miny + maxy) / 2}
    lon_span = max(maxx - minx, 1e-6)
    lat_span = max(maxy - miny, 1e-6) / math.cos(math.radians(centre["lat"]))
    zoom_x = math.log2(360 * width_px / 512 / lon_span)
    zoom_y = math.log2(360 * height_px / 512 / lat_span)
    return centre, round(min(zoom_x, zoom_y), 2)


def base_layers(zones: dict, units: dict, streets: dict, theme: str = "dark") -> list[dict]:
    """Map layers for zones (tinted), streets and unit walls, bottom to top."""
    colours = THEMES[theme]
    layers = []
    for feature in zones["features"]:
        zone_id = feature["properties"]["zone_id"]
        colour = zone_colour(zone_id)
        one = {"type": "FeatureCollection", "features": [feature]}
        layers.append(
            {"source": one, "type": "fill", "color": colour, "opacity": 0.12, "below": "traces"}
        )
        layers.append(
            {
                "source": one,
                "type": "line",
                "color": colour,
                "line": {"width": 3},
                "below": "traces",
            }
        )
    layers.append(
        {
            "source": streets,
            "type": "line",
            "color": colours["street"],
            "line": {"width": 2},
            "below": "traces",
        }
    )
    layers.append(
        {
            "source": units,
            "type": "fill",
            "color": colours["wall"],
            "opacity": 0.18,
            "below": "traces",
        }
    )
    layers.append(
        {
            "source": units,
            "type": "line",
            "color": colours["wall"],
            "line": {"width": 1.5},
            "below": "traces",
        }
    )
    return layers


def drawing_projection(drawn_crs: str) -> Projection:
    """(lon, lat) arrays WGS-84 → the CRS the map is drawn in (``wgs84`` or ``gcj02``)."""
    if drawn_crs == "wgs84":
        return lambda lon, lat: (np.asarray(lon, dtype=float), np.asarray(lat, dtype=float))
    if drawn_crs != "gcj02":
        raise ValueError(f"unknown drawing CRS {drawn_crs!r} (wgs84 or gcj02)")
    from geo.crs import wgs84_to_gcj02

    def to_gcj02(lon, lat):
        lon, lat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
        if lon.size == 0:
            return lon, lat
        out_lon, out_lat = wgs84_to_gcj02(lon, lat)
        return np.where(np.isnan(lon), np.nan, out_lon), np.where(np.isnan(lat), np.nan, out_lat)

    return to_gcj02


def project_geojson(collection: dict, project: Projection) -> dict:
    """A copy of a GeoJSON FeatureCollection with every coordinate projected.

    All coordinates of the collection go through ``project`` in one call.
    """
    flat: list[list[float]] = []

    def collect(coords):
        if coords and isinstance(coords[0], (int, float)):
            flat.append(coords)
        else:
            for c in coords:
                collect(c)

    for feature in collection["features"]:
        if feature.get("geometry"):
            collect(feature["geometry"]["coordinates"])
    if not flat:
        return collection
    xy = np.asarray([c[:2] for c in flat], dtype=float)
    lon, lat = project(xy[:, 0], xy[:, 1])
    it = iter(zip(lon.tolist(), lat.tolist(), strict=True))

    def rebuild(coords):
        if coords and isinstance(coords[0], (int, float)):
            return list(next(it))
        return [rebuild(c) for c in coords]

    features = []
    for feature in collection["features"]:
        geometry = feature.get("geometry")
        if geometry:
            geometry = {**geometry, "coordinates": rebuild(geometry["coordinates"])}
        features.append({**feature, "geometry": geometry})
    return {**collection, "features": features}

"""The dashboard framework and the wall's pure parts, without a browser."""

from __future__ import annotations

import json

import numpy as np
import pytest

from dashboard.basemap import drawing_projection, project_geojson
from dashboard.pages import Navigation, Page, shell
from dashboard.wall.figures import SOS_TRACE, TRACE_STATUSES, zone_rows
from dashboard.wall.layout import wall_layout
from dashboard.wall.sources import WallSources
from shouwang.i18n import CATALOGUE, LANGUAGES
from shouwang.settings import SettingsError, load_settings
from tests.dashboard.components import find, texts


def test_every_string_exists_in_every_language():
    missing = [(k, lang) for k, v in CATALOGUE.items() for lang in LANGUAGES if not v.get(lang)]
    assert missing == []


def test_unknown_path_and_failing_page_give_readable_messages():
    def broken(lang):
        raise RuntimeError("Redis is unreachable")

    nav = Navigation(pages=[Page(path="/wall", nav_key="nav.wall", layout=broken)])
    page = shell(None, "zh", nav, "/nowhere")
    assert any("没有这个页面" in s for s in texts(page))
    failed = texts(shell(nav.find("/wall/"), "en", nav, "/wall/"))
    assert any("This page hit an error" in s for s in failed)
    assert any("Redis is unreachable" in s for s in failed)
    assert not any("Traceback" in s for s in failed)


def test_pages_are_served_as_html(client):
    for path in ("/", "/wall"):
        resp = client.get(path)
        assert resp.status_code == 200 and b"<html" in resp.data.lower()
    assert client.get("/assets/vendor/socket.io.min.js").data.startswith(b"/*!\n * Socket.IO v4")


def test_wall_layout_has_every_status_trace_and_a_client_config(app, ctx):
    src = WallSources.from_context(ctx)
    layout = wall_layout(src, "zh")
    graph = find(layout, "wall-map")
    figure = graph.figure
    # Statuses, the SOS halo, then the incidents' halo, core and centre (wall/incidents.py).
    assert len(figure.data) == len(TRACE_STATUSES) + 1 + 3
    assert figure.data[SOS_TRACE].hoverinfo == "skip"
    assert len(figure.layout.map.layers) > 10  # zones, streets, unit walls: no web tiles
    assert "tiles" not in figure.layout.map.style["sources"]  # no raster tiles by default
    config = json.loads(find(layout, "wall-config").to_plotly_json()["props"]["data-shouwang-wall"])
    assert config["traceStatuses"] == list(TRACE_STATUSES)
    assert config["incidentTrace"] == SOS_TRACE + 1
    assert config["ids"]["map"] == "wall-map" and config["ids"]["banner"] == "wall-banner"
    table = texts(find(layout, "wall-zones"))
    assert "覆盖率" in table  # the geo engine's coverage is installed
    assert "东区" in table


def test_zone_rows_count_guards_on_duty_and_on_post(ctx, pilot):
    states = ctx.store.states()
    states.loc[states.index[:30], "on_duty"] = True
    states.loc[states.index[:10], "status"] = "on_post"
    states.loc[states.index[3], "sos"] = True
    rows = {r.zone_id: r for r in zone_rows(states, pilot.zones, "zh", {"E": 51.0})}
    assert sum(r.on_duty for r in rows.values()) == int(states["on_duty"].sum())
    assert sum(r.on_post for r in rows.values()) == 10
    assert sum(r.alarms for r in rows.values()) == 1
    assert rows["E"].coverage_pct == 51.0 and rows["W"].coverage_pct is None


def test_gcj02_base_layers_are_converted_for_drawing_only():
    from geo.crs import wgs84_to_gcj02

    fc = {
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature", "properties": {"id": 1},
             "geometry": {"type": "Polygon", "coordinates": [[[118.37, 33.78], [118.38, 33.78],
                                                              [118.38, 33.79], [118.37, 33.78]]]}},
            {"type": "Feature", "properties": {"id": 2},
             "geometry": {"type": "LineString", "coordinates": [[118.36, 33.77], [118.4, 33.8]]}},
        ],
    }  # fmt: skip
    drawn = project_geojson(fc, drawing_projection("gcj02"))
    lon, lat = wgs84_to_gcj02([118.36, 118.4], [33.77, 33.8])
    assert np.allclose(drawn["features"][1]["geometry"]["coordinates"], np.column_stack([lon, lat]))
    assert fc["features"][1]["geometry"]["coordinates"][0] == [118.36, 33.77]  # input untouched
    assert project_geojson(fc, drawing_projection("wgs84")) == fc


def test_map_tiles_crs_setting_accepts_only_known_systems():
    assert load_settings({"MAP_TILES_CRS": "GCJ02"}).MAP_TILES_CRS == "gcj02"
    with pytest.raises(SettingsError, match="MAP_TILES_CRS"):
        load_settings({"MAP_TILES_CRS": "bd09"})

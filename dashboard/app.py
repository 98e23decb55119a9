"""The Dash app on the Flask server, with its first page: the live map.

Pages get the app context explicitly (``create_dash(server, ctx)``); nothing
is read from module globals.
"""

from __future__ import annotations

import json
import logging
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import dash
from dash import Input, Output, State, dcc, html

from dashboard.basemap import base_layers, live_map_figure, view_of
from dashboard.i18n import DEFAULT_LANGUAGE, t
from dashboard.ids import Ids

log = logging.getLogger(__name__)
ASSETS_DIR = Path(__file__).resolve().parent.parent / "assets"


def _geojson(gdf, columns: list[str]) -> dict:
    return json.loads(gdf[[*columns, "geometry"]].to_json(drop_id=True))


def create_dash(server, ctx) -> dash.Dash:
    """Mount the Dash pages on ``server``."""
    app = dash.Dash(__name__, server=server, url_base_pathname="/", title="守望 Shouwang",
                    assets_folder=str(ASSETS_DIR), update_title=None)
    ds = ctx.dataset
    base = base_layers(
        _geojson(ds.zones, ["zone_id", "name_zh"]),
        _geojson(ds.units, ["unit_id", "name_zh"]),
        _geojson(ds.streets, ["street_id"]) if len(ds.streets) else {"type": "FeatureCollection",
                                                                     "features": []},
    )
    centre, zoom = view_of(tuple(ds.zones.total_bounds))
    tiles = ctx.settings.MAP_TILES_URL

    app.layout = html.Div(className="page", children=[
        dcc.Store(id=Ids.LANG, data=DEFAULT_LANGUAGE, storage_type="local"),
        html.Header(className="topbar", children=[
            html.H1(id=Ids.TITLE, children=t("app.title")),
            html.Div(id=Ids.SUMMARY, className="summary"),
            html.Button(t("lang.switch"), id=Ids.LANG_BUTTON, className="lang"),
        ]),
        html.Div(id=Ids.ERROR, className="error"),
        dcc.Graph(id=Ids.MAP, className="map", config={"displaylogo": False},
                  style={"height": "calc(100vh - 64px)"}),
        dcc.Interval(id=Ids.REFRESH, interval=2000),
    ])

    @app.callback(Output(Ids.LANG, "data"), Input(Ids.LANG_BUTTON, "n_clicks"),
                  State(Ids.LANG, "data"), prevent_initial_call=True)
    def switch_language(_clicks, lang):
        return "en" if lang == "zh" else "zh"

    @app.callback(
        Output(Ids.MAP, "figure"), Output(Ids.SUMMARY, "children"), Output(Ids.TITLE, "children"),
        Output(Ids.LANG_BUTTON, "children"), Output(Ids.ERROR, "children"),
        Input(Ids.REFRESH, "n_intervals"), Input(Ids.LANG, "data"),
    )
    def refresh(_n, lang):
        lang = lang or DEFAULT_LANGUAGE
        try:
            states = ctx.store.states()
        except Exception as exc:  # show the problem on the page, never a blank map
            log.exception("live map refresh failed")
            return dash.no_update, dash.no_update, t("app.title", lang), t("lang.switch", lang), \
                t("error.load", lang) + str(exc)
        fig = live_map_figure(base, states, centre, zoom, lang=lang, tiles_url=tiles)
        newest = states["last_fix_at"].max()
        newest_text = (datetime.fromtimestamp(newest, ZoneInfo(ctx.settings.TIMEZONE))
                       .strftime("%H:%M:%S") if newest == newest else t("summary.none", lang))
        summary = (f"{t('summary.guards', lang)} {len(states)} · "
                   f"{t('summary.on_duty', lang)} {int(states['on_duty'].sum())} · "
                   f"{t('summary.newest_fix', lang)} {newest_text}")
        return fig, summary, t("app.title", lang), t("lang.switch", lang), ""

    return app

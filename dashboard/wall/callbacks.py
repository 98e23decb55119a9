"""The wall's server callbacks: the side band every two seconds.

The map's guard markers are NOT refreshed here: ``assets/wall.js`` moves them
from the Socket.IO feed (``live/push.py``) without reloading the figure.
"""

from __future__ import annotations

import logging

import dash
from dash import Input, Output, State

from dashboard.ids import Ids, WallIds
from dashboard.wall.incidents import register_incident_callbacks
from dashboard.wall.layout import side_band
from dashboard.wall.sources import WallSources
from shouwang.i18n import DEFAULT_LANGUAGE, t

log = logging.getLogger(__name__)


def register_callbacks(app: dash.Dash, src: WallSources) -> None:
    # Open incidents and SOS escalation (dispatch workflow).
    register_incident_callbacks(
        app, src.incidents, src.project, src.zone_names, src.guard_names, src.clock
    )

    @app.callback(
        Output(WallIds.ZONES, "children"),
        Output(WallIds.ALARMS, "children"),
        Output(WallIds.SIGNAL_LOST, "children"),
        Output(WallIds.ERROR, "children"),
        Input(WallIds.REFRESH, "n_intervals"),
        State(Ids.LANG, "data"),
        prevent_initial_call=True,
    )
    def refresh_side_band(_n, lang):
        lang = lang or DEFAULT_LANGUAGE
        try:
            zones, alarms, lost = side_band(src, src.states(), lang)
        except Exception as exc:  # keep the last figures, say what is wrong
            log.exception("wall side band refresh failed")
            return dash.no_update, dash.no_update, dash.no_update, f"{t('error.load', lang)}{exc}"
        return zones, alarms, lost, ""

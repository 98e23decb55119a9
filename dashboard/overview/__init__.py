"""The landing page ``/``: what each page is for, and the guards right now."""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import partial

import dash
import pandas as pd
from dash import Input, Output, State, dcc, html
from dash.development.base_component import Component

from dashboard.ids import Ids, OverviewIds
from dashboard.pages import Page, error_box
from dashboard.theme import STATUS_COLOURS
from shouwang.context import AppContext
from shouwang.i18n import DEFAULT_LANGUAGE, label, t
from shouwang.vocab import GuardStatus

log = logging.getLogger(__name__)

PATH = "/"
#: (path, catalogue key of the name, of the description); pages not built yet are not links.
CARDS = (
    ("/wall", "nav.wall", "overview.wall"),
    ("/dispatch", "nav.dispatch", "overview.dispatch"),
    ("/coverage", "nav.coverage", "overview.coverage"),
)


def counts(states: pd.DataFrame, lang: str) -> list:
    """Guards by status, big numbers in the status colours."""
    by = states["status"].value_counts()
    return [
        html.Div(
            className="count",
            style={"borderColor": STATUS_COLOURS[s]},
            children=[
                html.Div(str(int(by.get(s, 0))), className="n"),
                html.Div(label(s, lang), className="label"),
            ],
        )
        for s in GuardStatus
    ]


def layout(states: Callable[[], pd.DataFrame], built: Callable[[], set[str]], lang: str):
    have = built()
    cards = []
    for path, name_key, text_key in CARDS:
        title = t(name_key, lang)
        head: Component
        if path in have:
            head = dcc.Link(title, href=path, className="card-title")
        else:
            head = html.Span(f"{title} · {t('nav.coming', lang)}", className="card-title planned")
        cards.append(html.Div(className="card", children=[head, html.P(t(text_key, lang))]))
    return html.Div(
        className="overview",
        children=[
            html.P(t("overview.intro", lang), className="intro"),
            html.Div(cards, className="cards"),
            html.H2(t("overview.now", lang)),
            html.Div(id=OverviewIds.COUNTS, className="counts", children=counts(states(), lang)),
            dcc.Interval(id=OverviewIds.REFRESH, interval=5000),
        ],
    )


def register_callbacks(app: dash.Dash, states: Callable[[], pd.DataFrame]) -> None:
    @app.callback(
        Output(OverviewIds.COUNTS, "children"),
        Input(OverviewIds.REFRESH, "n_intervals"),
        State(Ids.LANG, "data"),
        prevent_initial_call=True,
    )
    def refresh(_n, lang):
        lang = lang or DEFAULT_LANGUAGE
        try:
            return counts(states(), lang)
        except Exception as exc:
            log.exception("overview refresh failed")
            return error_box(lang, exc)


def page(ctx: AppContext, built: Callable[[], set[str]]) -> Page:
    """The overview; ``built()`` gives the paths of the pages that exist."""
    states = ctx.push.states
    return Page(
        path=PATH,
        nav_key="nav.overview",
        layout=partial(layout, states, built),
        register_callbacks=partial(register_callbacks, states=states),
    )

"""The Dash app on the Flask server: the router and the pages.

Pages get the app context explicitly (``create_dash(server, ctx)``); nothing
is read from module globals. To add a page: make a sub-package with a
``page(ctx) -> Page`` (see :mod:`dashboard.pages`), list it in
:func:`build_pages`, add its ids to :mod:`dashboard.ids` and its strings to
:mod:`shouwang.i18n`.
"""

from __future__ import annotations

import logging

import dash
from dash import Input, Output, State, dcc, html
from flask import Flask

from dashboard import coverage, dispatch, overview, wall
from dashboard.ids import Ids
from dashboard.pages import Navigation, PlannedPage, error_box, shell
from shouwang.context import AppContext
from shouwang.i18n import DEFAULT_LANGUAGE, LANGUAGES
from shouwang.settings import ASSETS_DIR

log = logging.getLogger(__name__)

#: Announced in the navigation until their sub-packages exist.
PLANNED: tuple[PlannedPage, ...] = ()


def build_pages(ctx: AppContext) -> Navigation:
    """Every page, in navigation order, bound to ``ctx``."""
    pages: list = []

    def built() -> set[str]:
        return {p.path for p in pages}

    pages += [overview.page(ctx, built), wall.page(ctx), dispatch.page(ctx), coverage.page(ctx)]
    return Navigation(pages=pages, planned=PLANNED)


def create_dash(server: Flask, ctx: AppContext) -> dash.Dash:
    """Mount the Dash pages on ``server``; their background jobs go to ``ctx.supervisor``."""
    app = dash.Dash(
        __name__,
        # Dash's hint says bool | callable; it takes (and documents) a Flask server.
        server=server,  # type: ignore[arg-type]
        url_base_pathname="/",
        title="守望 Shouwang",
        assets_folder=str(ASSETS_DIR),
        update_title=None,  # type: ignore[arg-type]  # Dash takes None: no "Updating…" title
        suppress_callback_exceptions=True,  # page components come and go with the route
    )
    nav = build_pages(ctx)
    app.layout = html.Div(
        children=[
            dcc.Location(id=Ids.URL),
            dcc.Store(id=Ids.LANG, data=DEFAULT_LANGUAGE, storage_type="local"),
            html.Div(id=Ids.PAGE),
        ]
    )

    @app.callback(Output(Ids.PAGE, "children"), Input(Ids.URL, "pathname"), Input(Ids.LANG, "data"))
    def route(pathname, lang):
        lang = lang if lang in LANGUAGES else DEFAULT_LANGUAGE
        try:
            return shell(nav.find(pathname), lang, nav, pathname)
        except Exception as exc:  # never a blank page
            log.exception("routing %s failed", pathname)
            return error_box(lang, exc)

    @app.callback(
        Output(Ids.LANG, "data"),
        Input(Ids.LANG_BUTTON, "n_clicks"),
        State(Ids.LANG, "data"),
        prevent_initial_call=True,
    )
    def switch_language(clicks, lang):
        if not clicks:
            return dash.no_update
        return "en" if lang == "zh" else "zh"

    for page in nav.pages:
        page.register_callbacks(app)
        for job in page.jobs:
            ctx.supervisor.add(job)
    return app

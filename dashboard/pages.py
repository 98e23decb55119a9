"""The page framework: what a page is, the shared top bar, readable errors.

A page is a sub-package of ``dashboard`` (``dashboard/wall/``…) whose
``page(ctx)`` returns a :class:`Page`: its path, the catalogue key of its
name, a layout function of the language, and a function registering its
callbacks on the Dash app. :func:`dashboard.app.create_dash` lists the pages;
the router renders ``shell(page, lang, nav)`` for the current path and renders
it again when the language changes. Pages read live data through the context
they were built with, never through module globals.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import dash
from dash import dcc, html
from dash.development.base_component import Component

from dashboard.ids import Ids
from shouwang.i18n import t
from shouwang.jobs import Job

log = logging.getLogger(__name__)


def _no_callbacks(app: dash.Dash) -> None:
    return None


@dataclass(frozen=True)
class Page:
    """One page of the dashboard.

    Attributes
    ----------
    path
        URL path, e.g. ``/wall``.
    nav_key
        Catalogue key of the page's name in the navigation.
    layout
        ``layout(lang)`` → the page body (below the top bar).
    register_callbacks
        ``register_callbacks(app)`` adds the page's callbacks (called once).
    header
        ``header(lang)`` → extra components for the top bar (the wall's clock).
    jobs
        Background jobs the page reads from (the wall's coverage); the app
        hands them to the context's supervisor, which starts them.
    """

    path: str
    nav_key: str
    layout: Callable[[str], Component]
    register_callbacks: Callable[[dash.Dash], None] = _no_callbacks
    header: Callable[[str], list[Component]] | None = None
    jobs: tuple[Job, ...] = ()


@dataclass(frozen=True)
class PlannedPage:
    """A page announced in the navigation but not built yet (shown greyed)."""

    path: str
    nav_key: str


@dataclass(frozen=True)
class Navigation:
    """The pages in navigation order."""

    pages: Sequence[Page]
    planned: Sequence[PlannedPage] = field(default_factory=tuple)

    def find(self, path: str | None) -> Page | None:
        path = (path or "/").rstrip("/") or "/"
        return next((p for p in self.pages if p.path == path), None)


def nav_links(nav: Navigation, lang: str, current: str | None = None) -> list[Component]:
    """Links to every page; planned pages as greyed text."""
    links: list[Component] = [
        dcc.Link(
            t(p.nav_key, lang),
            href=p.path,
            className="nav-link active" if p.path == current else "nav-link",
        )
        for p in nav.pages
    ]
    built = {p.path for p in nav.pages}
    links += [
        html.Span(
            t(p.nav_key, lang),
            title=t("nav.coming", lang),
            className="nav-link planned",
        )
        for p in nav.planned
        if p.path not in built
    ]
    return links


def top_bar(lang: str, nav: Navigation, page: Page | None) -> html.Header:
    """Title, navigation, the page's own header items and the language switch."""
    extra = page.header(lang) if page is not None and page.header is not None else []
    return html.Header(
        className="topbar",
        children=[
            html.H1(id=Ids.TITLE, children=t("app.title", lang)),
            html.Nav(className="nav", children=nav_links(nav, lang, page.path if page else None)),
            html.Div(className="topbar-extra", children=extra),
            html.Button(t("lang.switch", lang), id=Ids.LANG_BUTTON, className="lang"),
        ],
    )


def error_box(
    lang: str, exc: BaseException | None = None, *, detail: str | None = None
) -> html.Div:
    """A readable error message for the page (no stack trace)."""
    if detail is not None:
        text = detail
    else:
        text = (str(exc) or type(exc).__name__) if exc is not None else ""
    children: list[Component] = [html.Strong(t("error.page", lang))]
    if text:
        children.append(html.Div(f"{t('error.detail', lang)}{text}", className="error-detail"))
    return html.Div(className="error-box", role="alert", children=children)


def shell(page: Page | None, lang: str, nav: Navigation, path: str | None) -> Component:
    """The whole page for ``path``: top bar + body, or a readable message."""
    if page is None:
        body: Component = html.Div(
            className="notice",
            children=[
                html.P(f"{t('page.not_found', lang)}{path}"),
                dcc.Link(t("page.back", lang), href="/"),
            ],
        )
    else:
        try:
            body = page.layout(lang)
        except Exception as exc:  # the user sees what failed, the log has the trace
            log.exception("rendering %s failed", page.path)
            body = error_box(lang, exc)
    return html.Div(className="page", children=[top_bar(lang, nav, page), body])

"""The coverage review (覆盖分析) at ``/coverage``: gaps, incident heat, response times.

For the supervisor: per zone the share of ground a counted guard can reach
(straight radius or walking minutes, live or planned at a time of day), the
gap polygons on the map, where preventable cases cluster and the compounds
with most of them, and P50/P90 response times of dispatched incidents.
"""

from __future__ import annotations

from functools import partial

from dashboard.coverage.callbacks import register_callbacks
from dashboard.coverage.layout import coverage_layout
from dashboard.coverage.sources import CoverageSources
from dashboard.pages import Page
from shouwang.context import AppContext

PATH = "/coverage"


def page(ctx: AppContext) -> Page:
    """The coverage page bound to ``ctx``."""
    src = CoverageSources.from_context(ctx)
    return Page(
        path=PATH,
        nav_key="nav.coverage",
        layout=partial(coverage_layout, src),
        register_callbacks=partial(register_callbacks, src=src),
    )

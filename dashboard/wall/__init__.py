"""The map wall (值班大屏) at ``/wall``: zones, every guard live, alarms, per-zone band."""

from __future__ import annotations

from functools import partial

from dashboard.pages import Page
from dashboard.wall.callbacks import register_callbacks
from dashboard.wall.layout import wall_header, wall_layout
from dashboard.wall.sources import WallSources
from shouwang.context import AppContext

PATH = "/wall"


def page(ctx: AppContext) -> Page:
    """The wall page bound to ``ctx``; its coverage job runs when the geo engine is there."""
    src = WallSources.from_context(ctx)
    return Page(
        path=PATH,
        nav_key="nav.wall",
        layout=partial(wall_layout, src),
        register_callbacks=partial(register_callbacks, src=src),
        header=wall_header,
        jobs=(src.coverage,) if src.coverage.available else (),
    )

"""The dispatch console (调度台) at ``/dispatch``: incidents from alarm to clear.

A dispatcher records an incident (map click or a unit/gate from the list),
sees the nearest available guards ranked by walking time with their routes,
sends one or more, follows each along the chain (assigned → acknowledged →
en route → on scene → cleared) with live timers, takes ownership of SOS
alarms, calls a zone reinforcement or a roll call, and exports the records.
The page drives the in-process services of the app context
(``ctx.dispatch``, ``ctx.fieldops``, ``ctx.geo``); see ``docs/dispatch-console.md``.
"""

from __future__ import annotations

from functools import partial

from dashboard.dispatch.callbacks import register_callbacks
from dashboard.dispatch.layout import dispatch_header, dispatch_layout
from dashboard.dispatch.sources import DispatchSources
from dashboard.pages import Page
from shouwang.context import AppContext

PATH = "/dispatch"


def page(ctx: AppContext) -> Page:
    """The console bound to ``ctx`` (needs ``ctx.dispatch`` and ``ctx.fieldops``)."""
    src = DispatchSources.from_context(ctx)
    return Page(
        path=PATH,
        nav_key="nav.dispatch",
        layout=partial(dispatch_layout, src),
        register_callbacks=partial(register_callbacks, src=src),
        header=dispatch_header,
    )

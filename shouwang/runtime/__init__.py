"""The runtime: builds one process's parts once (``context.build_context``:
the typed :class:`shouwang.context.AppContext` with its job supervisor) and
the Flask app that serves the API and the pages with them (``app.create_app``).
"""

from shouwang.runtime.app import create_app
from shouwang.runtime.context import build_context
from shouwang.runtime.server import serve

__all__ = ["build_context", "create_app", "serve"]

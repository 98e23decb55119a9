"""The app factory: the Flask server with the API and the pages, bound to a context.

:func:`shouwang.runtime.context.build_context` makes the process's parts
(re-exported here); :func:`create_app` makes the Flask server with the API
blueprints, the Socket.IO namespaces and the Dash pages, each given the
context explicitly. Building starts no thread: ``ctx.start_background()``
starts the jobs the context and the pages registered with its supervisor.
"""

from __future__ import annotations

from flask import Flask

from shouwang.context import AppContext
from shouwang.runtime.context import build_context, build_dispatch, roster_from

__all__ = ["AppContext", "build_context", "build_dispatch", "create_app", "roster_from"]


def create_app(ctx: AppContext) -> Flask:
    """The Flask server: API blueprints and the Dash pages, bound to ``ctx``."""
    from dashboard.app import create_dash
    from shouwang.web import dispatch as dispatch_api
    from shouwang.web import fieldops as fieldops_api
    from shouwang.web import geo as geo_api
    from shouwang.web import guardpage
    from shouwang.web import ingest as ingest_api
    from shouwang.web import reference as reference_api
    from shouwang.web.errors import register_error_handlers

    server = Flask(__name__)
    server.config["JSON_AS_ASCII"] = False
    server.json.ensure_ascii = False  # type: ignore[attr-defined]  # the default provider has it
    register_error_handlers(server)
    server.register_blueprint(ingest_api.create_blueprint(ctx.ingest, ctx.clock))
    server.register_blueprint(reference_api.create_blueprint(ctx))
    server.register_blueprint(geo_api.create_blueprint(ctx))
    server.register_blueprint(dispatch_api.create_blueprint(ctx))
    server.register_blueprint(fieldops_api.create_blueprint(ctx))
    server.register_blueprint(guardpage.create_blueprint(ctx))
    guardpage.register_socketio(ctx, ctx.socketio)  # the /guard namespace
    # After every handler is registered: init_app hands them to the Socket.IO server.
    ctx.socketio.init_app(server)
    create_dash(server, ctx)  # pages add their jobs (the wall's coverage) to ctx.supervisor
    return server

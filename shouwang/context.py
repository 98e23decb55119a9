"""The application context: every part of one process, typed and complete when built.

:func:`shouwang.runtime.context.build_context` makes it once per process;
the API blueprints, the pages and the Socket.IO handlers are handed it
explicitly. Every service is there from the start (none is optional, no
page feature-tests for one). Nothing runs until :meth:`AppContext.start`:
the supervisor then starts the background jobs in order, and
:meth:`AppContext.close` stops them in reverse before closing connections.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from flask_socketio import SocketIO
from sqlalchemy.engine import Engine

from live.history import HistoryWriter
from live.ingest.service import IngestService
from live.push import PushRelay
from live.state.bus import EventBus
from live.state.redisconn import RedisHandle
from live.state.store import LiveStore
from shouwang.dataset import Dataset
from shouwang.dispatch.escalation import EscalationJob
from shouwang.dispatch.service import DispatchService
from shouwang.fieldops.service import FieldOps, GuardRelay
from shouwang.geoservice import GeoService
from shouwang.jobs import Supervisor
from shouwang.settings import Settings

__all__ = ["AppContext"]


@dataclass(eq=False)
class AppContext:
    """Everything a request handler, page or background job may need.

    Attributes
    ----------
    settings, redis, store, engine, dataset
        Configuration, the Redis connection and live store, SQL, the data set.
    ingest, geo, dispatch, fieldops
        The services: fix intake, geometry reads, the dispatch workflow
        (incidents, assignments, alarms, SOS), field operations
        (reinforcement, roll call, guard sign-in, reports).
    socketio
        The process's Socket.IO server (bound to Flask by ``create_app``).
    bus
        The process's one subscriber to the events channel; the relays and
        the dispatch listener are its handlers.
    push, guard_relay
        Live push to the map wall (``/live``), events to guards' phones (``/guard``).
    history, timers
        The history writer and the dispatch timers (jobs, like the rest of
        ``supervisor.jobs``).
    supervisor
        Starts, stops and reports every background job of the process.
    clock
        Epoch seconds (tests move it).
    owns
        Whether :meth:`close` closes Redis, the engine (False when a test
        handed them in).
    """

    settings: Settings
    redis: RedisHandle
    store: LiveStore
    engine: Engine
    dataset: Dataset
    ingest: IngestService
    geo: GeoService
    dispatch: DispatchService
    fieldops: FieldOps
    socketio: SocketIO
    bus: EventBus
    push: PushRelay
    guard_relay: GuardRelay
    history: HistoryWriter
    timers: EscalationJob
    supervisor: Supervisor
    clock: Callable[[], float] = time.time
    owns: tuple[bool, bool] = (True, True)

    def start_background(self) -> None:
        """Start every background job (history writer first, the event bus last)."""
        self.supervisor.start()

    def close(self) -> None:
        """Stop the jobs (the history writer drains into SQL), close connections."""
        self.supervisor.stop()
        if self.owns[1]:
            self.engine.dispose()
        if self.owns[0]:
            self.redis.close()

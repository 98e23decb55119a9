"""The app factory: builds the process's parts once and hands them out.

:func:`build_context` connects Redis (server or embedded) and SQL, migrates
the schema, loads and validates the data set, records it in SQL and puts the
roster into the live store. :func:`create_app` makes the Flask server with
the API blueprints and the Dash pages, each given the context explicitly.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from flask import Flask
from flask_socketio import SocketIO
from sqlalchemy.engine import Engine

from live.history import HistoryWriter
from live.ingest.filters import FilterSettings
from live.ingest.service import IngestService
from live.state.redisconn import RedisHandle, connect_redis
from live.state.store import LiveStore, RosterEntry
from shouwang import records
from shouwang.dataset import Dataset, load_dataset, row_tuples
from shouwang.dispatch.service import DispatchService
from shouwang.fieldops.service import FieldOps
from shouwang.geoservice import GeoService
from shouwang.settings import Settings

if TYPE_CHECKING:
    from shouwang.dispatch.escalation import EscalationJob

log = logging.getLogger(__name__)


@dataclass
class AppContext:
    """Everything a request handler or background job may need."""

    settings: Settings
    redis: RedisHandle
    store: LiveStore
    engine: Engine
    dataset: Dataset
    ingest: IngestService
    history: HistoryWriter
    geo: GeoService
    clock: Callable[[], float] = time.time
    fieldops: FieldOps | None = None  # reinforcement, roll call, guard sign-in, reports
    dispatch: DispatchService | None = (
        None  # incidents, assignments, alarms, SOS (shouwang.dispatch.service)
    )
    extras: dict = field(default_factory=dict)  # e.g. the SocketIO server
    owns: tuple[bool, bool] = (True, True)  # whether close() closes Redis, the engine
    _stop: threading.Event = field(default_factory=threading.Event, repr=False)
    _threads: list[threading.Thread] = field(default_factory=list, repr=False)

    def start_background(self, duty_every_s: float = 30.0) -> None:
        """Start the history writer, the duty refresher and jobs in ``extras["background"]``.

        ``extras["background"]`` holds objects with ``start()``/``stop()`` that
        the web layer registered (the live push relay, the wall's coverage job).
        """
        self.history.start()
        for job in self.extras.get("background", []):
            job.start()

        def refresh_duty() -> None:
            while not self._stop.wait(duty_every_s):
                try:
                    added, removed = self.store.refresh_duty()
                    if added or removed:
                        log.info("duty: %d came on, %d went off", len(added), len(removed))
                except Exception:
                    log.exception("duty refresh failed")

        thread = threading.Thread(target=refresh_duty, name="duty-refresh", daemon=True)
        thread.start()
        self._threads.append(thread)

    def close(self) -> None:
        """Stop background work (draining history into SQL), close connections."""
        self._stop.set()
        for job in reversed(self.extras.get("background", [])):
            job.stop()
        self.history.stop()
        for thread in self._threads:
            thread.join(5)
        if self.owns[1]:
            self.engine.dispose()
        if self.owns[0]:
            self.redis.close()


def roster_from(dataset: Dataset) -> list[RosterEntry]:
    """Roster entries for the live store from the data set's guards."""
    g = dataset.guards
    return [
        RosterEntry(
            guard_id=str(r.guard_id),
            device_id=str(r.device_id),
            name=str(r.name),
            unit_id=str(r.unit_id),
            zone_id=None if not isinstance(r.zone_id, str) else r.zone_id,
            shift=str(r.shift),
            post_lon=float(r.post_lon),
            post_lat=float(r.post_lat),
            mobility=str(r.mobility),
        )
        for r in row_tuples(g)
    ]


def build_context(
    settings: Settings,
    *,
    clock: Callable[[], float] = time.time,
    redis_handle: RedisHandle | None = None,
    engine: Engine | None = None,
    dataset: Dataset | None = None,
) -> AppContext:
    """Connect, migrate, load the data set; nothing is served yet.

    Tests may hand in a Redis handle, engine or data set they already have;
    the context then does not close them.
    """
    dataset = dataset if dataset is not None else load_dataset(settings.DATA_DIR)
    handle = redis_handle or connect_redis(settings.REDIS_URL, settings.state_dir)
    owns = (redis_handle is None, engine is None)
    try:
        engine = engine or records.make_engine(settings.database_url)
        records.migrate(engine)
        if records.load_reference(engine, dataset):
            log.info("reference data loaded into SQL from %s", dataset.source_dir)
        store = LiveStore(
            handle.client,
            prefix=settings.STORE_PREFIX,
            signal_lost_after_s=settings.SIGNAL_LOST_AFTER_S,
            post_radius_m=settings.POST_RADIUS_M,
            tz=settings.TIMEZONE,
            clock=clock,
        )
        store.load_roster(roster_from(dataset))
        store.refresh_duty()
        filters = FilterSettings(
            max_future_s=settings.FILTER_MAX_FUTURE_S,
            max_accuracy_m=settings.FILTER_MAX_ACCURACY_M,
            max_speed_mps=settings.FILTER_MAX_SPEED_MPS,
            reject_null_island=settings.FILTER_REJECT_NULL_ISLAND,
        )
        ingest = IngestService(store, filters, clock=clock)
        history = HistoryWriter(store, engine, batch=settings.HISTORY_BATCH)
        geo = GeoService(
            dataset,
            walk_speed_mps=settings.WALK_SPEED_MPS,
            ebike_speed_mps=settings.EBIKE_SPEED_MPS,
            tz=settings.TIMEZONE,
        )
        fieldops = FieldOps.build(
            settings,
            engine=engine,
            store=store,
            dataset=dataset,
            geo=geo,
            clock=clock,
            seed_pins=settings.DEMO_PINS,
        )
        dispatch, dispatch_job = build_dispatch(settings, engine, store, dataset, geo, clock)
    except BaseException:
        if owns[0]:
            handle.close()
        raise
    return AppContext(
        settings=settings,
        redis=handle,
        store=store,
        engine=engine,
        dataset=dataset,
        ingest=ingest,
        history=history,
        geo=geo,
        clock=clock,
        fieldops=fieldops,
        dispatch=dispatch,
        extras={"background": [dispatch_job]},
        owns=owns,
    )


def build_dispatch(
    settings: Settings,
    engine: Engine,
    store: LiveStore,
    dataset: Dataset,
    geo: GeoService,
    clock: Callable[[], float],
) -> tuple[DispatchService, EscalationJob]:
    """The dispatch service and its background job; alarm points seeded, marks rebuilt."""
    from shouwang.dispatch import alarm_points
    from shouwang.dispatch.escalation import EscalationJob

    service = DispatchService(
        engine, store, dataset, geo, clock=clock, ack_timeout_s=settings.ACK_TIMEOUT_S,
        sos_escalate_s=settings.SOS_ESCALATE_S, unassigned_alert_s=settings.UNASSIGNED_ALERT_S,
        arrival_radius_m=settings.ARRIVAL_RADIUS_M, tz=settings.TIMEZONE,
    )  # fmt: skip
    service.alarm_secret = alarm_points.load_secret(settings.ALARM_KEY_SECRET, settings.state_dir)
    alarm_points.seed(engine, dataset, service.alarm_secret, clock())
    # Redis may have restarted empty while we were down: SQL holds who is sent where.
    service.marks.rebuild(engine, remove_ended=True)
    return service, EscalationJob(service)


def create_app(ctx: AppContext) -> Flask:
    """The Flask server: API blueprints and the Dash pages, bound to ``ctx``."""
    from dashboard.app import create_dash
    from live.push import PushRelay
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
    # Threading mode: plain threads suit Redis and SQL clients without monkey-patching.
    socketio = SocketIO(server, async_mode="threading")
    ctx.extras["socketio"] = socketio
    guardpage.register_socketio(ctx, socketio)  # /guard namespace, guard relay, roll call closer
    ctx.extras["push"] = PushRelay(
        ctx.store,
        socketio,
        interval_s=ctx.settings.PUSH_INTERVAL_S,
        drawn_crs=ctx.settings.MAP_TILES_CRS,
    )
    ctx.extras.setdefault("background", []).append(ctx.extras["push"])
    create_dash(server, ctx)
    return server

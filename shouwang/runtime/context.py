"""Build the application context: connect, migrate, load, wire every part once.

:func:`build_context` connects Redis (server or embedded) and SQL, migrates
the schema, loads and validates the data set, records it in SQL, puts the
roster into the live store, and makes every service and background job of
the process (:class:`shouwang.context.AppContext`). Nothing runs yet:
``ctx.start_background()`` starts the jobs.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from flask_socketio import SocketIO
from sqlalchemy.engine import Engine

from live.history import HistoryWriter
from live.ingest.filters import FilterSettings
from live.ingest.service import IngestService
from live.push import PushRelay
from live.state.bus import EventBus
from live.state.redisconn import RedisHandle, connect_redis
from live.state.store import LiveStore, RosterEntry
from shouwang import records
from shouwang.context import AppContext
from shouwang.dataset import Dataset, load_dataset, row_tuples
from shouwang.dispatch import alarm_points
from shouwang.dispatch.escalation import EscalationJob
from shouwang.dispatch.service import DispatchService
from shouwang.fieldops.service import FieldOps, GuardRelay
from shouwang.geoservice import GeoService
from shouwang.jobs import PeriodicJob, Supervisor
from shouwang.settings import Settings
from shouwang.web.guardpage import NAMESPACE as GUARD_NAMESPACE

__all__ = ["AppContext", "DutyRefresher", "build_context", "build_dispatch", "roster_from"]

log = logging.getLogger(__name__)


class DutyRefresher(PeriodicJob):
    """Keep the on-duty set in line with shifts and overrides, every ``every_s``."""

    name = "duty-refresh"

    def __init__(self, store: LiveStore, every_s: float = 30.0) -> None:
        super().__init__()
        self.store = store
        self.every_s = every_s

    def tick(self) -> None:
        added, removed = self.store.refresh_duty()
        if added or removed:
            log.info("duty: %d came on, %d went off", len(added), len(removed))


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
        dispatch = build_dispatch(settings, engine, store, dataset, geo, clock)
    except BaseException:
        if owns[0]:
            handle.close()
        raise
    # Threading mode: plain threads suit Redis and SQL clients without monkey-patching.
    # Bound to the Flask server by create_app (init_app).
    socketio = SocketIO(async_mode="threading")
    bus = EventBus(store)
    push = PushRelay(
        store, socketio, interval_s=settings.PUSH_INTERVAL_S, drawn_crs=settings.MAP_TILES_CRS
    )
    push.listen_on(bus)
    timers = EscalationJob(dispatch)
    timers.listen_on(bus)

    def emit_to_guards(event: str, payload: dict, room: str) -> None:
        socketio.emit(event, payload, to=room, namespace=GUARD_NAMESPACE)

    guard_relay = GuardRelay(emit_to_guards)
    guard_relay.listen_on(bus)
    supervisor = Supervisor()
    # Started in this order and stopped in reverse: the bus last up and first down,
    # the history writer last down (it drains what is waiting into SQL).
    for job in (history, DutyRefresher(store), timers, push, fieldops.closer, bus):
        supervisor.add(job)
    return AppContext(
        settings=settings,
        redis=handle,
        store=store,
        engine=engine,
        dataset=dataset,
        ingest=ingest,
        geo=geo,
        dispatch=dispatch,
        fieldops=fieldops,
        socketio=socketio,
        bus=bus,
        push=push,
        guard_relay=guard_relay,
        history=history,
        timers=timers,
        supervisor=supervisor,
        clock=clock,
        owns=owns,
    )


def build_dispatch(
    settings: Settings,
    engine: Engine,
    store: LiveStore,
    dataset: Dataset,
    geo: GeoService,
    clock: Callable[[], float],
) -> DispatchService:
    """The dispatch service; alarm points seeded, marks rebuilt from SQL."""
    service = DispatchService(
        engine, store, dataset, geo, clock=clock, ack_timeout_s=settings.ACK_TIMEOUT_S,
        sos_escalate_s=settings.SOS_ESCALATE_S, unassigned_alert_s=settings.UNASSIGNED_ALERT_S,
        arrival_radius_m=settings.ARRIVAL_RADIUS_M, tz=settings.TIMEZONE,
    )  # fmt: skip
    service.alarm_secret = alarm_points.load_secret(settings.ALARM_KEY_SECRET, settings.state_dir)
    alarm_points.seed(engine, dataset, service.alarm_secret, clock())
    # Redis may have restarted empty while we were down: SQL holds who is sent where.
    service.marks.rebuild(engine, remove_ended=True)
    return service

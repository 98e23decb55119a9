"""Field operations: zone reinforcement, roll call, guard reports, and the guard relay.

:class:`FieldOps` bundles the services the guard page and the dispatch
console use (built once per process by the app factory, ``ctx.fieldops``):

- ``auth``: :class:`shouwang.auth.guards.GuardAuth` (sign-in, tokens);
- ``reinforcements``: :class:`shouwang.fieldops.reinforcement.ReinforcementService`;
- ``rollcalls``: :class:`shouwang.fieldops.rollcall.RollCallService`;
- ``reports``: :class:`shouwang.fieldops.reports.ReportService`;
- ``closer``: :class:`RollCallCloser`, the background job closing roll calls
  at their deadline (started by the app's supervisor).

How a guard's phone hears of things: every service announces what it did on
the live store's events channel (``store.publish``), and :class:`GuardRelay`,
a handler on the event bus of EVERY web process, emits each event to the
Socket.IO rooms ``guard:{guard_id}`` of the guards it names.
A guard's phone is connected to one web process only; since each process
relays what every process published, he hears of a roll call whichever
process started it. Any layer can reach guards the same way: publish an
event carrying ``"notify_guards": [guard ids]``.

Each action is written to SQL (with its audit entry, same transaction)
before the request is answered; the event is sent after the commit.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any

from sqlalchemy.engine import Engine

from live.state.bus import EventBus
from live.state.events import Event
from live.state.store import LiveStore
from shouwang.auth.guards import GuardAuth, load_secret_key
from shouwang.dataset import Dataset
from shouwang.fieldops.reinforcement import ReinforcementService
from shouwang.fieldops.reports import ReportService
from shouwang.fieldops.rollcall import RollCallService
from shouwang.geoservice import GeoService
from shouwang.jobs import PeriodicJob
from shouwang.settings import Settings
from shouwang.vocab import EventType

log = logging.getLogger(__name__)

__all__ = [
    "GUARD_EVENTS",
    "FieldOps",
    "GuardRelay",
    "RollCallCloser",
    "guards_to_notify",
]

#: Event types relayed to the guards they name, and the key holding the names.
GUARD_EVENTS: dict[str, str] = {
    EventType.REINFORCEMENT: "guard_ids",
    EventType.ROLLCALL: "guard_ids",
    EventType.ASSIGNMENT_CHANGED: "guard_id",  # shouwang.dispatch.service: sent, cancelled, …
}


def guards_to_notify(event: Mapping[str, Any]) -> list[str]:
    """The guard ids an event is for (empty when it is for no guard in particular)."""
    ids: list[str] = []
    key = GUARD_EVENTS.get(str(event.get("type")))
    value = event.get(key) if key else None
    if isinstance(value, str):
        ids.append(value)
    elif value:
        ids.extend(str(g) for g in value)
    ids.extend(str(g) for g in event.get("notify_guards") or ())
    return list(dict.fromkeys(ids))


class GuardRelay:
    """Relay bus events to guard rooms (``guard:{id}``) on the ``/guard`` namespace.

    A handler on the process's event bus (:meth:`listen_on`), not a thread.

    Parameters
    ----------
    emit
        ``emit(event_name, payload, room)``; the app passes a Socket.IO emit.
    """

    def __init__(self, emit: Callable[[str, dict, str], None]) -> None:
        self.emit = emit
        self.relayed = 0

    def listen_on(self, bus: EventBus) -> None:
        """Take every event of ``bus`` (any type may carry ``notify_guards``)."""
        bus.subscribe(self.handle, name="guard relay")

    def handle(self, event: Event) -> int:
        """Relay one event; returns how many guards it went to."""
        body = event.as_dict()
        guard_ids = guards_to_notify(body)
        name = str(event.type or "notice")
        for gid in guard_ids:
            self.emit(name, body, f"guard:{gid}")
        self.relayed += len(guard_ids)
        return len(guard_ids)


class RollCallCloser(PeriodicJob):
    """Background job: close roll calls whose deadline has passed, every ``every_s``.

    Closing is a conditional update in SQL, so with several processes each
    roll call is closed (and its missing guards marked) exactly once.
    """

    name = "rollcall-closer"

    def __init__(self, rollcalls: RollCallService, every_s: float = 5.0) -> None:
        super().__init__()
        self.rollcalls = rollcalls
        self.every_s = every_s

    def tick(self) -> None:
        self.rollcalls.close_due()


class FieldOps:
    """The field-operations services of one process (see the module docstring)."""

    def __init__(
        self,
        *,
        auth: GuardAuth,
        reinforcements: ReinforcementService,
        rollcalls: RollCallService,
        reports: ReportService,
    ) -> None:
        self.auth = auth
        self.reinforcements = reinforcements
        self.rollcalls = rollcalls
        self.reports = reports
        self.closer = RollCallCloser(rollcalls)

    @classmethod
    def build(
        cls,
        settings: Settings,
        *,
        engine: Engine,
        store: LiveStore,
        dataset: Dataset,
        geo: GeoService,
        clock: Callable[[], float],
        seed_pins: bool = True,
    ) -> FieldOps:
        """Make the services from the product settings and seed missing demo PINs.

        Parameters
        ----------
        settings
            Product settings (``STATE_DIR``, ``SECRET_KEY``,
            ``ROLL_CALL_MINUTES``, ``POST_RADIUS_M``, ``SIGNAL_LOST_AFTER_S``).
        engine, store, dataset, geo, clock
            The process's parts (see :class:`shouwang.context.AppContext`).
        seed_pins
            Give guards without a PIN their demo PIN (see :mod:`shouwang.auth.guards`).
        """
        device_guard = cls._device_lookup(store)
        auth = GuardAuth(
            engine, store.claims,
            secret_key=load_secret_key(settings.SECRET_KEY, settings.state_dir),
            device_guard=device_guard, clock=clock,
        )  # fmt: skip
        if seed_pins:
            guards = dataset.guards
            phones = dict(zip(guards["guard_id"].astype(str), guards["phone"].astype(str),
                              strict=True))  # fmt: skip
            added = auth.seed_demo_pins(phones)
            if added:
                log.info("demo PINs seeded for %d guards (last 4 digits of the phone)", added)
        return cls(
            auth=auth,
            reinforcements=ReinforcementService(engine, store, geo, clock=clock),
            rollcalls=RollCallService(
                engine,
                store,
                units=dataset.units,
                zone_ids=dataset.zones["zone_id"].astype(str),
                window_s=settings.ROLL_CALL_MINUTES * 60.0,
                post_radius_m=settings.POST_RADIUS_M,
                fix_max_age_s=settings.SIGNAL_LOST_AFTER_S,
                clock=clock,
            ),  # fmt: skip
            reports=ReportService(engine, store, settings.state_dir / "photos", clock=clock),
        )

    @staticmethod
    def _device_lookup(store: LiveStore) -> Callable[[str | None], str | None]:
        def device_guard(device_id: str | None) -> str | None:
            if not device_id:
                return None
            return store.guards_for_devices([str(device_id)])[0]

        return device_guard

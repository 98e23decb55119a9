"""The event bus of one process: one subscriber, many handlers.

Whatever a process announces goes out through the store
(:meth:`live.state.store.LiveStore.publish`) on the Redis ``events`` channel,
so every process sees every event whichever process made it. Each process
runs ONE :class:`EventBus`, a background job whose thread follows that
channel and hands each event to the handlers registered for its type (the
live push relay, the dispatch listener, the guard relay…), in the order it
was published.

Two promises the loop keeps, whatever goes wrong:

- a handler that raises is logged and the next handler (and event) still
  runs;
- when Redis goes away, or answers with any error, the bus subscribes again
  with a growing pause (up to :attr:`EventBus.max_backoff_s`) and then tells
  the ``on_connect`` callbacks, which catch up from the store on what they
  may have missed meanwhile (also when the Redis client itself reconnected
  and subscribed again after a dropped connection).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from live.state.events import Event
from live.state.store import LiveStore
from shouwang.jobs import ThreadJob
from shouwang.vocab import EventType

log = logging.getLogger(__name__)

__all__ = ["EventBus", "Handler"]

Handler = Callable[[Event], object]


@dataclass(frozen=True)
class _Subscription:
    name: str
    handler: Handler
    types: frozenset[str] | None  # None: every event

    def wants(self, event: Event) -> bool:
        return self.types is None or event.type in self.types


class EventBus(ThreadJob):
    """The process's one subscriber to the store's events channel.

    Parameters
    ----------
    store
        The live store (its channel; publishing goes through it too).
    poll_s
        How long one read waits for a message (the loop notices ``stop``
        within this time).
    backoff_s, max_backoff_s
        First pause before subscribing again after a failure; the pause
        doubles up to ``max_backoff_s`` while failures go on.
    """

    name = "event-bus"

    def __init__(
        self,
        store: LiveStore,
        *,
        poll_s: float = 0.5,
        backoff_s: float = 0.5,
        max_backoff_s: float = 10.0,
    ) -> None:
        super().__init__()
        self.store = store
        self.poll_s = poll_s
        self.backoff_s = backoff_s
        self.max_backoff_s = max_backoff_s
        self._subs: list[_Subscription] = []
        self._on_connect: list[Callable[[], object]] = []
        self._connected = threading.Event()
        self.delivered = 0  # events handed to at least one handler (health and tests)
        self.reconnects = 0

    # -- registration (before or after start) --------------------------------
    def subscribe(
        self,
        handler: Handler,
        types: Iterable[EventType | str] | None = None,
        *,
        name: str | None = None,
    ) -> None:
        """Call ``handler(event)`` for every event of ``types`` (None: of every type)."""
        wanted = None if types is None else frozenset(str(t) for t in types)
        label = name or str(getattr(handler, "__qualname__", repr(handler)))
        self._subs = [*self._subs, _Subscription(label, handler, wanted)]

    def on_connect(self, callback: Callable[[], object]) -> None:
        """Call ``callback()`` each time the bus has (re)subscribed: events may have been missed."""
        self._on_connect = [*self._on_connect, callback]

    # -- publishing -----------------------------------------------------------
    def publish(self, event: Event) -> None:
        """Announce ``event`` to every process (through the store)."""
        self.store.publish(event)

    # -- delivery ---------------------------------------------------------------
    def dispatch(self, event: Event) -> int:
        """Hand ``event`` to its handlers now; returns how many took it without failing."""
        ok = 0
        for sub in self._subs:
            if not sub.wants(event):
                continue
            try:
                sub.handler(event)
                ok += 1
            except Exception as exc:  # one handler's failure is not the others' problem
                log.exception("event bus: handler %s failed on %s", sub.name, event.type)
                self._last_error = f"{sub.name}: {type(exc).__name__}: {exc}"
        self.delivered += 1
        self._last_run_at = time.time()
        return ok

    def wait_connected(self, timeout_s: float) -> bool:
        """Wait until the bus is subscribed (tests, and callers that must not miss an event)."""
        return self._connected.wait(timeout_s)

    def stop(self) -> None:
        super().stop()
        self._connected.clear()

    def _run(self) -> None:
        pause = self.backoff_s
        while not self._stop.is_set():
            pubsub = None
            try:
                pubsub = self.store.subscribe_events()
                self._connected.set()
                pause = self.backoff_s
                self._caught_up()
                while not self._stop.is_set():
                    message = pubsub.get_message(timeout=self.poll_s)
                    if message is None:
                        continue
                    if message.get("type") == "subscribe":
                        # The client reconnected and subscribed again by itself after
                        # a dropped connection: events may have been missed meanwhile.
                        self.reconnects += 1
                        log.warning("event bus: events channel was lost; subscribed again")
                        self._caught_up()
                        continue
                    if message.get("type") != "message":
                        continue
                    event = Event.from_json(message["data"])
                    if event is None:
                        log.warning("event bus: unreadable event %.200r", message["data"])
                        continue
                    self.dispatch(event)
            except Exception as exc:  # Redis lost or any other error: subscribe again
                self._connected.clear()
                self._last_error = f"{type(exc).__name__}: {exc}"
                self.reconnects += 1
                log.warning("event bus: events channel lost (%s); again in %.1f s", exc, pause)
                self._stop.wait(pause)
                pause = min(pause * 2, self.max_backoff_s)
            finally:
                if pubsub is not None:
                    try:
                        pubsub.close()
                    except Exception:  # the connection may be gone already
                        log.debug("event bus: closing the old subscription failed", exc_info=True)

    def _caught_up(self) -> None:
        for callback in self._on_connect:
            try:
                callback()
            except Exception:
                log.exception("event bus: on_connect callback failed")

"""The event bus on real Redis: one subscriber, handlers isolated, reconnects after a loss."""

from __future__ import annotations

import threading

import pytest

from live.state.bus import EventBus
from live.state.events import Event
from shouwang.vocab import EventType


class Inbox:
    """A handler that keeps what it got and lets a test wait for it."""

    def __init__(self) -> None:
        self.events: list[Event] = []
        self._cond = threading.Condition()

    def __call__(self, event: Event) -> None:
        with self._cond:
            self.events.append(event)
            self._cond.notify_all()

    def wait_for(self, n: int, timeout_s: float = 5.0) -> list[Event]:
        with self._cond:
            self._cond.wait_for(lambda: len(self.events) >= n, timeout_s)
            return list(self.events)


@pytest.fixture
def bus(store):
    b = EventBus(store, backoff_s=0.05, max_backoff_s=0.2)
    yield b
    b.stop()


def started(bus: EventBus) -> EventBus:
    bus.start()
    assert bus.wait_connected(5), "the bus never subscribed"
    return bus


def test_an_event_reaches_the_handlers_of_its_type_in_the_wire_form(bus, store):
    every, alarms = Inbox(), Inbox()
    bus.subscribe(every)
    bus.subscribe(alarms, [EventType.ALARM])
    started(bus)
    store.publish({"type": "duty", "on": ["G001"], "off": []})
    bus.publish(Event(EventType.ALARM, {"guard_id": "G002", "ts": 1.5}))
    got = every.wait_for(2)
    assert [e.type for e in got] == ["duty", "alarm"]
    assert got[0].as_dict() == {"type": "duty", "on": ["G001"], "off": []}
    (alarm,) = alarms.wait_for(1)
    assert alarm.type == EventType.ALARM and alarm.get("guard_id") == "G002"


def test_a_failing_handler_does_not_stop_the_others_or_the_loop(bus, store):
    calls = []

    def broken(event: Event) -> None:
        calls.append(event.type)
        raise RuntimeError("handler bug")

    inbox = Inbox()
    bus.subscribe(broken, name="broken")
    bus.subscribe(inbox)
    started(bus)
    for i in range(3):
        store.publish({"type": "report", "n": i})
    got = inbox.wait_for(3)
    assert [e.get("n") for e in got] == [0, 1, 2]
    assert calls == ["report"] * 3
    health = bus.health()
    assert health.running and "broken" in (health.last_error or "")


def test_events_flow_again_after_redis_drops_the_subscription(bus, store, redis_handle):
    inbox, reconnected = Inbox(), threading.Event()
    bus.subscribe(inbox)
    bus.on_connect(reconnected.set)
    started(bus)
    assert reconnected.wait(1)  # told once at the first subscription too
    reconnected.clear()
    store.publish({"type": "report", "n": 1})
    inbox.wait_for(1)
    assert redis_handle.client.client_kill_filter(_type="pubsub") >= 1
    assert reconnected.wait(5), "the bus never subscribed again"
    store.publish({"type": "report", "n": 2})
    got = inbox.wait_for(2)
    assert [e.get("n") for e in got] == [1, 2]
    assert bus.reconnects >= 1 and bus.health().running


def test_publish_order_is_kept_per_publisher(bus, store):
    inbox = Inbox()
    bus.subscribe(inbox)
    started(bus)

    def publish(who: str) -> None:
        for i in range(100):
            store.publish({"type": "report", "who": who, "n": i})

    publishers = [threading.Thread(target=publish, args=(w,)) for w in ("a", "b")]
    for t in publishers:
        t.start()
    for t in publishers:
        t.join()
    got = inbox.wait_for(200)
    assert len(got) == 200
    for who in ("a", "b"):
        assert [e.get("n") for e in got if e.get("who") == who] == list(range(100))


def test_an_unreadable_message_is_skipped(bus, store):
    inbox = Inbox()
    bus.subscribe(inbox)
    started(bus)
    store.redis.publish(store.events_channel, "not json")
    store.redis.publish(store.events_channel, "[1, 2]")
    store.publish({"type": "report"})
    # Delivered in order: had the two been handed out, they would be here first.
    (event,) = inbox.wait_for(1)
    assert event.type == "report"


def test_stop_ends_the_thread(bus):
    started(bus)
    bus.stop()
    assert not bus.health().running


def test_any_other_redis_error_is_survived_too(bus, store, monkeypatch):
    import redis

    real, failures = store.subscribe_events, []

    def flaky():
        if len(failures) < 2:  # e.g. a server refusing commands while it loads its data
            failures.append(1)
            raise redis.ResponseError("LOADING Redis is loading the dataset in memory")
        return real()

    monkeypatch.setattr(store, "subscribe_events", flaky)
    inbox = Inbox()
    bus.subscribe(inbox)
    started(bus)
    store.publish({"type": "report"})
    assert [e.type for e in inbox.wait_for(1)] == ["report"]
    assert len(failures) == 2 and bus.reconnects == 2

"""The live store: every guard's latest position and status, in Redis.

One class, :class:`LiveStore`, owns every Redis key of the product (listed
in :mod:`live.state.keys` and ``docs/design.md``). It is created once per
process by the app factory and handed to whoever needs it; nothing else
talks to these keys. The coordination steps several processes agree by
(claims, once per tick, lock-out counters) are ``store.claims``; the
dispatch marks (who is shown as sent where) are ``store.marks``.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import cast

import numpy as np
import pandas as pd
import redis
from redis.typing import EncodableT

from live.fixes import Fix, PreviousFix
from live.state.claims import Claims
from live.state.events import Event
from live.state.marks import Marks
from live.state.shifts import on_duty, rotation_offset
from live.state.status import derive_status
from shouwang.vocab import EventType

__all__ = ["HISTORY_GROUP", "LiveStore", "RosterEntry"]

HISTORY_GROUP = "history"
_FIX_FIELDS = (
    "ts",
    "lon",
    "lat",
    "accuracy_m",
    "speed_mps",
    "heading_deg",
    "altitude_m",
    "battery_pct",
    "charging",
    "source",
    "received_at",
)
_FLOAT_FIELDS = frozenset(_FIX_FIELDS) - {"source", "charging"}


@dataclass(frozen=True)
class DeviceLookup:
    """Guards, previous fixes and duty of the devices in one ingest request."""

    guard_ids: list[str | None]  # per device id; None: unknown device
    previous: list[PreviousFix | None]  # per device id
    duty: dict[str, bool]  # per known guard id


@dataclass(frozen=True)
class RosterEntry:
    """What the live layer needs to know of a guard (from the reference data)."""

    guard_id: str
    device_id: str
    name: str
    unit_id: str
    zone_id: str | None
    shift: str
    post_lon: float
    post_lat: float
    mobility: str = "foot"


def _fix_mapping(fix: Fix, received_at: float) -> dict[EncodableT, EncodableT]:
    """Fix fields as Redis hash/stream values (empty string for unknown)."""
    values = {
        "ts": fix.ts,
        "lon": fix.lon,
        "lat": fix.lat,
        "accuracy_m": fix.accuracy_m,
        "speed_mps": fix.speed_mps,
        "heading_deg": fix.heading_deg,
        "altitude_m": fix.altitude_m,
        "battery_pct": fix.battery_pct,
        "charging": "" if fix.charging is None else int(fix.charging),
        "source": fix.source,
        "received_at": received_at,
    }
    return {
        k: ("" if v is None else repr(v) if isinstance(v, float) else str(v))
        for k, v in values.items()
    }


def _parse_fix(raw: Mapping[str, str]) -> dict[str, object]:
    out: dict[str, object] = {}
    for key in _FIX_FIELDS:
        text = raw.get(key, "")
        if key in _FLOAT_FIELDS:
            out[key] = float(text) if text else None
        elif key == "charging":
            out[key] = None if text == "" else text == "1"
        else:
            out[key] = text or None
    return out


class LiveStore:
    """Latest fixes, duty and status of every guard, kept in Redis.

    Parameters
    ----------
    client
        Redis client with ``decode_responses=True``.
    prefix
        Prefix of every key (``STORE_PREFIX``).
    signal_lost_after_s
        A guard on duty silent for longer is ``signal_lost``.
    post_radius_m
        Within this distance of his post a guard on duty is ``on_post``.
    tz
        Station time zone, for shifts.
    clock
        Returns epoch seconds; tests pass their own.
    """

    def __init__(
        self,
        client: redis.Redis,
        *,
        prefix: str = "sw:",
        signal_lost_after_s: float = 120.0,
        post_radius_m: float = 30.0,
        tz: str = "Asia/Shanghai",
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.redis = client
        self.prefix = prefix
        self.signal_lost_after_s = signal_lost_after_s
        self.post_radius_m = post_radius_m
        self.tz = tz
        self.clock = clock
        self._roster_cache: tuple[str | None, dict[str, RosterEntry]] = (None, {})
        self._device_index: dict[str, str] = {}
        self.claims = Claims(client, self.key)
        self.marks = Marks(client, self.key("dispatched"))

    # -- keys ---------------------------------------------------------------
    def key(self, name: str) -> str:
        """Full Redis key of ``name`` under this store's prefix."""
        return f"{self.prefix}{name}"

    def ping(self) -> bool:
        """Whether Redis answers (raises when it does not)."""
        return bool(self.redis.ping())

    @property
    def positions_stream(self) -> str:
        return self.key("positions")

    @property
    def alarms_stream(self) -> str:
        return self.key("alarms")

    @property
    def events_channel(self) -> str:
        return self.key("events")

    # -- roster -------------------------------------------------------------
    def load_roster(self, entries: Iterable[RosterEntry]) -> int:
        """Replace the roster (guards and their devices). Returns the count.

        Latest fixes of guards still on the roster are kept, so reloading the
        reference data does not blank the map.
        """
        entries = list(entries)
        pipe = self.redis.pipeline(transaction=True)
        pipe.delete(self.key("roster"), self.key("device"))
        if entries:
            pipe.hset(
                self.key("roster"), mapping={e.guard_id: json.dumps(asdict(e)) for e in entries}
            )
            pipe.hset(self.key("device"), mapping={e.device_id: e.guard_id for e in entries})
        pipe.incr(self.key("roster_version"))
        pipe.execute()
        self._ensure_group()
        return len(entries)

    def roster(self) -> dict[str, RosterEntry]:
        """Roster by guard id (cached in-process until the roster changes)."""
        version = cast("str | None", self.redis.get(self.key("roster_version")))
        cached_version, cached = self._roster_cache
        if version is not None and version == cached_version:
            return cached
        return self._reload_roster(version)

    def _reload_roster(self, version: str | None) -> dict[str, RosterEntry]:
        raw = cast("dict[str, str]", self.redis.hgetall(self.key("roster")))
        roster = {gid: RosterEntry(**json.loads(text)) for gid, text in sorted(raw.items())}
        self._roster_cache = (version, roster)
        self._device_index = {e.device_id: gid for gid, e in roster.items()}
        return roster

    def lookup_devices(self, device_ids: Sequence[str], now: float) -> DeviceLookup:
        """What ingest needs about reporting devices, in one round trip.

        Guard ids come from the cached roster; the roster version, the
        guards' previous fixes and their duty overrides are read in one
        pipeline (a second one only when the roster changed meanwhile).
        Phones report every few seconds each, so round trips are the cost.
        """
        for _ in range(2):
            cached_version, roster = self._roster_cache
            gids = [self._device_index.get(d) for d in device_ids]
            known = sorted({g for g in gids if g is not None})
            pipe = self.redis.pipeline(transaction=False)
            pipe.get(self.key("roster_version"))
            for gid in known:
                pipe.hmget(self.key(f"fix:{gid}"), ["ts", "lat", "lon"])
            if known:
                pipe.hmget(self.key("duty_override"), known)
            version, *replies = pipe.execute()
            if version is not None and version == cached_version:
                break
            self._reload_roster(version)
        prev_by_gid = {}
        for gid, (ts, lat, lon) in zip(known, replies[: len(known)], strict=True):
            prev_by_gid[gid] = (
                None if ts is None else PreviousFix(ts=float(ts), lat=float(lat), lon=float(lon))
            )
        duty = self._shift_duty(known, now, roster)
        if known:
            for gid, value in zip(known, replies[-1], strict=True):
                if value is not None:
                    duty[gid] = value == "on"
        return DeviceLookup(
            guard_ids=gids,
            previous=[prev_by_gid.get(g) if g is not None else None for g in gids],
            duty=duty,
        )

    def guards_for_devices(self, device_ids: Sequence[str]) -> list[str | None]:
        """Guard id of each device id (None for an unknown device)."""
        if not device_ids:
            return []
        return cast("list[str | None]", self.redis.hmget(self.key("device"), list(device_ids)))

    # -- fixes --------------------------------------------------------------
    def latest_position(self, guard_id: str) -> tuple[float, float] | None:
        """(lon, lat) of a guard's latest live fix; None before his first."""
        fix = self.redis.hmget(self.key(f"fix:{guard_id}"), ["lon", "lat"])
        lon, lat = cast("list[str | None]", fix)
        # The store writes a fix's lon and lat together: both or neither.
        return (float(lon), float(lat)) if lon and lat else None

    def previous_fixes(self, guard_ids: Sequence[str]) -> list[PreviousFix | None]:
        """Each guard's latest live fix as the filters need it."""
        pipe = self.redis.pipeline(transaction=False)
        for gid in guard_ids:
            pipe.hmget(self.key(f"fix:{gid}"), ["ts", "lat", "lon"])
        out: list[PreviousFix | None] = []
        for ts, lat, lon in pipe.execute():
            out.append(
                None if ts is None else PreviousFix(ts=float(ts), lat=float(lat), lon=float(lon))
            )
        return out

    def record_fixes(
        self,
        items: Sequence[tuple[str, Fix, bool]],
        *,
        received_at: float | None = None,
        duty: Mapping[str, bool] | None = None,
    ) -> None:
        """Store accepted fixes in one round trip.

        Parameters
        ----------
        items
            ``(guard_id, fix, live)``: ``live`` False for a late fix, which is
            kept for history but does not move the guard.
        received_at
            Server time of receipt (epoch s).
        duty
            On-duty flags of these guards if the caller has them already
            (from :meth:`lookup_devices`), saving a round trip.

        Every fix goes to the positions stream first (the history writer
        drains it into SQL); live ones also replace the latest fix, move the
        guard in the on-duty GEO set, and are announced on the events
        channel.
        """
        if not items:
            return
        now = self.clock() if received_at is None else received_at
        if duty is None:
            duty = self._duty_of([gid for gid, _, _ in items], now, self.roster())
        pipe = self.redis.pipeline(transaction=False)
        deltas = []
        for gid, fix, live in items:
            mapping = _fix_mapping(fix, now)
            pipe.xadd(
                self.positions_stream,
                {"guard_id": gid, "device_id": fix.device_id, "live": int(live), **mapping},
            )
            if fix.alarm:
                self._queue_alarm(pipe, gid, fix)
            if not live:
                continue
            pipe.hset(self.key(f"fix:{gid}"), mapping=mapping)
            if duty.get(gid, False):
                pipe.geoadd(self.key("onduty"), (fix.lon, fix.lat, gid))
            deltas.append({"guard_id": gid, "lon": fix.lon, "lat": fix.lat, "ts": fix.ts})
        if deltas:
            pipe.publish(self.events_channel, Event(EventType.FIXES, {"guards": deltas}).to_json())
        pipe.execute()

    def _queue_alarm(self, pipe: redis.client.Pipeline, guard_id: str, fix: Fix) -> None:
        pipe.xadd(
            self.alarms_stream,
            {
                "guard_id": guard_id,
                "kind": fix.alarm or "sos",
                "ts": repr(fix.ts),
                "lon": repr(fix.lon),
                "lat": repr(fix.lat),
                "source": fix.source,
            },
        )
        pipe.hset(self.key("sos"), guard_id, repr(fix.ts))
        alarm = {"guard_id": guard_id, "kind": fix.alarm or "sos", "ts": fix.ts,
                 "lon": fix.lon, "lat": fix.lat}  # fmt: skip
        pipe.publish(self.events_channel, Event(EventType.ALARM, alarm).to_json())

    def record_alarms(self, items: Sequence[tuple[str, Fix]]) -> None:
        """Raise the alarms carried by fixes that were not accepted as positions.

        An SOS is never dropped because the fix carrying it was inaccurate or
        implausible: the guard still needs help.
        """
        if not items:
            return
        pipe = self.redis.pipeline(transaction=False)
        for gid, fix in items:
            self._queue_alarm(pipe, gid, fix)
        pipe.execute()

    def publish(self, event: Event | Mapping[str, object]) -> None:
        """Announce an event (or a JSON object with a ``type``) to every process's event bus."""
        if not isinstance(event, Event):
            event = Event.of(event)
        self.redis.publish(self.events_channel, event.to_json())

    def subscribe_events(self) -> redis.client.PubSub:
        """A subscription to the events channel, returned once Redis has confirmed it.

        From then on every event published is delivered to it (the event bus
        relies on this to promise nothing published after it connected is lost).
        """
        pubsub = self.redis.pubsub()  # not ignoring: the confirmation is read here
        try:
            pubsub.subscribe(self.events_channel)
            reply = pubsub.get_message(timeout=5.0)
            if reply is None or reply.get("type") != "subscribe":
                raise redis.TimeoutError("Redis did not confirm the subscription to events")
        except BaseException:
            pubsub.close()
            raise
        return pubsub

    def count_rejections(self, reasons: Mapping[str, int]) -> None:
        """Add to the per-reason counters of rejected fixes."""
        if not reasons:
            return
        pipe = self.redis.pipeline(transaction=False)
        for reason, n in reasons.items():
            pipe.hincrby(self.key("rejected"), reason, int(n))
        pipe.execute()

    def rejection_counts(self) -> dict[str, int]:
        """Rejected fixes so far, by reason."""
        counts = cast("dict[str, str]", self.redis.hgetall(self.key("rejected")))
        return {k: int(v) for k, v in counts.items()}

    # -- alarms -------------------------------------------------------------
    def open_sos(self) -> dict[str, float]:
        """Guards with an SOS not yet cleared: guard id → alarm time (epoch s)."""
        sos = cast("dict[str, str]", self.redis.hgetall(self.key("sos")))
        return {gid: float(ts) for gid, ts in sos.items()}

    def clear_sos(self, guard_id: str) -> bool:
        """Clear a guard's SOS flag. True if there was one."""
        return bool(self.redis.hdel(self.key("sos"), guard_id))

    # -- duty ---------------------------------------------------------------
    def set_duty_override(self, guard_id: str, on: bool | None) -> None:
        """Force a guard on or off duty (None: back to his shift pattern)."""
        if on is None:
            self.redis.hdel(self.key("duty_override"), guard_id)
        else:
            self.redis.hset(self.key("duty_override"), guard_id, "on" if on else "off")
        self.refresh_duty()

    def _shift_duty(
        self, guard_ids: Sequence[str], now: float, roster: Mapping[str, RosterEntry]
    ) -> dict[str, bool]:
        """Duty by shift pattern alone (no overrides)."""
        known = [g for g in guard_ids if g in roster]
        if not known:
            return {}
        shifts = np.array([roster[g].shift for g in known])
        offsets = np.array([rotation_offset(g) for g in known])
        return dict(zip(known, on_duty(shifts, offsets, now, self.tz).tolist(), strict=True))

    def _duty_of(
        self, guard_ids: Sequence[str], now: float, roster: Mapping[str, RosterEntry]
    ) -> dict[str, bool]:
        duty = self._shift_duty(guard_ids, now, roster)
        known = list(duty)
        if not known:
            return duty
        overrides = self.redis.hmget(self.key("duty_override"), known)
        for gid, value in zip(known, overrides, strict=True):
            if value is not None:
                duty[gid] = value == "on"
        return duty

    def duty(self, now: float | None = None) -> dict[str, bool]:
        """On-duty flag of every guard on the roster."""
        roster = self.roster()
        return self._duty_of(list(roster), self.clock() if now is None else now, roster)

    def refresh_duty(self, now: float | None = None) -> tuple[list[str], list[str]]:
        """Bring the on-duty GEO set in line with shifts and overrides.

        Run every minute or so (shift changes) and after an override.
        Returns the guard ids added to and removed from the set.
        """
        now = self.clock() if now is None else now
        duty = self.duty(now)
        in_set = set(cast("list[str]", self.redis.zrange(self.key("onduty"), 0, -1)))
        should = {g for g, on in duty.items() if on}
        pipe = self.redis.pipeline(transaction=False)
        candidates = sorted(should - in_set)
        for gid in candidates:
            pipe.hmget(self.key(f"fix:{gid}"), ["lon", "lat"])
        fixes = pipe.execute() if candidates else []
        added: list[str] = []
        pipe = self.redis.pipeline(transaction=False)
        for gid, (lon, lat) in zip(candidates, fixes, strict=True):
            if lon is not None:
                pipe.geoadd(self.key("onduty"), (float(lon), float(lat), gid))
                added.append(gid)
        removed = sorted(in_set - should)
        if removed:
            pipe.zrem(self.key("onduty"), *removed)
        if added or removed:
            changed = Event(EventType.DUTY, {"on": added, "off": removed})
            pipe.publish(self.events_channel, changed.to_json())
        pipe.execute()
        return added, removed

    def on_duty_within(self, lon: float, lat: float, radius_m: float) -> list[tuple[str, float]]:
        """On-duty guards with a live fix within ``radius_m``: (guard id, distance m), nearest first."""
        hits = self.redis.geosearch(
            self.key("onduty"),
            longitude=lon,
            latitude=lat,
            radius=radius_m,
            unit="m",
            withdist=True,
            sort="ASC",
        )
        return [(gid, float(dist)) for gid, dist in cast("list[tuple[str, float]]", hits)]

    # -- reads --------------------------------------------------------------
    def states(self, now: float | None = None) -> pd.DataFrame:
        """One row per guard on the roster with his live state.

        Columns: guard_id, name, device_id, unit_id, zone_id, shift, mobility,
        post_lon, post_lat, on_duty, status, lon, lat, last_fix_at (epoch s),
        age_s, accuracy_m, speed_mps, heading_deg, battery_pct, charging,
        source, sos, incident_id.
        """
        now = self.clock() if now is None else now
        roster = self.roster()
        ids = list(roster)
        pipe = self.redis.pipeline(transaction=False)
        for gid in ids:
            pipe.hgetall(self.key(f"fix:{gid}"))
        pipe.hgetall(self.key("sos"))
        pipe.hgetall(self.key("dispatched"))
        *fixes, sos, dispatched = pipe.execute()
        duty = self._duty_of(ids, now, roster)
        rows = []
        for gid, raw in zip(ids, fixes, strict=True):
            entry = roster[gid]
            fix = _parse_fix(raw) if raw else dict.fromkeys(_FIX_FIELDS)
            rows.append({**asdict(entry), "on_duty": duty.get(gid, False), **fix})
        columns = [*RosterEntry.__dataclass_fields__, "on_duty", *_FIX_FIELDS]
        df = pd.DataFrame(rows, columns=columns).rename(columns={"ts": "last_fix_at"})
        df["on_duty"] = df["on_duty"].astype(bool)
        for col in ("lon", "lat", "last_fix_at", "post_lon", "post_lat"):
            df[col] = df[col].astype(float)
        df["age_s"] = now - df["last_fix_at"]
        df["sos"] = df["guard_id"].isin(list(sos))
        df["incident_id"] = df["guard_id"].map(dispatched)
        df["status"] = derive_status(
            df, post_radius_m=self.post_radius_m, signal_lost_after_s=self.signal_lost_after_s
        )
        return df

    # -- history stream -----------------------------------------------------
    def _ensure_group(self) -> None:
        try:
            self.redis.xgroup_create(self.positions_stream, HISTORY_GROUP, id="0", mkstream=True)
        except redis.ResponseError as exc:  # the group exists already
            if "BUSYGROUP" not in str(exc):
                raise
        try:
            self.redis.xgroup_create(self.alarms_stream, HISTORY_GROUP, id="0", mkstream=True)
        except redis.ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise

    def read_history(
        self, consumer: str, *, count: int, block_ms: int | None, pending: bool = False
    ) -> list[tuple[str, str, dict[str, str]]]:
        """Read entries of the positions and alarms streams for the history writer.

        Parameters
        ----------
        consumer
            Consumer name within the ``history`` group.
        count
            Largest number of entries per stream.
        block_ms
            Wait this long for new entries (None: do not block).
        pending
            Re-read entries delivered to this consumer but never acknowledged
            (after a crash) instead of new ones.

        Returns
        -------
        list of (stream key, entry id, fields)
        """
        self._ensure_group()
        start = "0" if pending else ">"
        reply = self.redis.xreadgroup(
            HISTORY_GROUP,
            consumer,
            {self.positions_stream: start, self.alarms_stream: start},
            count=count,
            block=block_ms,
        )
        out: list[tuple[str, str, dict[str, str]]] = []
        for stream, entries in cast(
            "list[tuple[str, list[tuple[str, dict[str, str]]]]]", reply or []
        ):
            for entry_id, fields in entries:
                if fields:  # an acknowledged-and-deleted entry comes back empty
                    out.append((stream, entry_id, fields))
        return out

    def claim_stale_history(
        self, consumer: str, *, min_idle_ms: int, count: int
    ) -> list[tuple[str, str, dict[str, str]]]:
        """Take over entries another writer read but never acknowledged (it died).

        Copies into SQL are idempotent (unique stream id), so taking over an
        entry that its first reader does finish costs nothing but a skip.
        """
        self._ensure_group()
        out = []
        for stream in (self.positions_stream, self.alarms_stream):
            reply = self.redis.xautoclaim(
                stream, HISTORY_GROUP, consumer, min_idle_ms, "0-0", count=count
            )
            for entry_id, fields in reply[1]:
                if fields:
                    out.append((stream, entry_id, fields))
        return out

    def ack_history(self, entries: Iterable[tuple[str, str]]) -> None:
        """Acknowledge and delete entries now safely in SQL."""
        by_stream: dict[str, list[str]] = {}
        for stream, entry_id in entries:
            by_stream.setdefault(stream, []).append(entry_id)
        pipe = self.redis.pipeline(transaction=True)
        for stream, ids in by_stream.items():
            pipe.xack(stream, HISTORY_GROUP, *ids)
            pipe.xdel(stream, *ids)
        pipe.execute()

    def history_backlog(self) -> int:
        """Entries waiting in the streams (not yet in SQL)."""
        return int(self.redis.xlen(self.positions_stream)) + int(
            self.redis.xlen(self.alarms_stream)
        )

    def wipe(self) -> None:
        """Delete every key of this store (tests and `--reset`)."""
        keys = list(self.redis.scan_iter(match=f"{self.prefix}*", count=1000))
        for i in range(0, len(keys), 500):
            self.redis.delete(*keys[i : i + 500])
        self._roster_cache = (None, {})
        self._device_index = {}

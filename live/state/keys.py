"""Every Redis key of the product, in one place: its name, type and purpose.

All keys sit under the store's prefix (``STORE_PREFIX``, ``sw:`` by
default) and are read and written only by :class:`live.state.store.LiveStore`
and the coordination steps it hands out (:mod:`live.state.claims`). A new
key is added here first; ``docs/design.md`` lists the same table (a test
keeps the two in step).
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["KEYS", "RedisKey"]


@dataclass(frozen=True)
class RedisKey:
    """One key (or family of keys) under the prefix.

    Attributes
    ----------
    pattern
        Name after the prefix; ``<...>`` marks a variable part.
    kind
        Redis type (``hash``, ``string``, ``stream``, ``GEO set``, ``pub/sub channel``).
    purpose
        What it holds and who relies on it.
    ttl
        Expiry, when the key is short-lived (``""``: kept).
    """

    pattern: str
    kind: str
    purpose: str
    ttl: str = ""


KEYS: tuple[RedisKey, ...] = (
    RedisKey("roster", "hash", "guard_id → JSON roster record"),
    RedisKey("roster_version", "string", "counter bumped on every roster load (in-process caches)"),
    RedisKey("device", "hash", "device_id → guard_id"),
    RedisKey("fix:<guard_id>", "hash", "latest live fix of a guard"),
    RedisKey("onduty", "GEO set", "guards on duty with a live fix"),
    RedisKey("duty_override", "hash", "guard_id → on/off"),
    RedisKey("positions", "stream", "every accepted fix, for the history writer"),
    RedisKey("alarms", "stream", "SOS and other alarms, for the history writer"),
    RedisKey("rejected", "hash", "reason → count of rejected fixes"),
    RedisKey("events", "pub/sub channel", "JSON events for every process's event bus"),
    RedisKey("sos", "hash", "guard_id → time of his open SOS"),
    RedisKey("dispatched", "hash", "guard_id → incident he is sent to (claimed atomically)"),
    RedisKey("dispatch:sos:<guard>:<ts>", "string", "one process takes in one SOS", "10 s"),
    RedisKey("dispatch:tick:<epoch s>", "string", "one timer round per second", "10 s"),
    RedisKey("pinfail:<device_id>", "string", "failed guard PINs of a device", "lock-out window"),
)

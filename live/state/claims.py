"""Short-lived coordination keys of the store: claims, once-per-tick, windowed counters.

Several processes share one Redis. These are the few steps they agree by:
a work claim taken by exactly one of them for a while, one round per clock
tick across all of them, and a counter of failures over a window (sign-in
lock-out). The store hands them out as ``store.claims``; the names passed
in are registered in :mod:`live.state.keys`.
"""

from __future__ import annotations

from collections.abc import Callable

import redis

__all__ = ["Claims"]


class Claims:
    """Coordination steps on keys under the store's prefix.

    Parameters
    ----------
    client
        The store's Redis client.
    key
        ``key(name)`` → full key (the store's :meth:`~live.state.store.LiveStore.key`).
    """

    def __init__(self, client: redis.Redis, key: Callable[[str], str]) -> None:
        self._redis = client
        self._key = key

    def take(self, name: str, *, ttl_ms: int) -> bool:
        """Take the claim ``name`` for ``ttl_ms``; False when another holder has it.

        One atomic ``SET NX PX``: of several processes asking at once exactly
        one wins. A holder that dies leaves it to expire.
        """
        return bool(self._redis.set(self._key(name), "1", nx=True, px=ttl_ms))

    def once_per_tick(self, name: str, now: float, *, ttl_s: int = 10) -> bool:
        """True for the first caller in clock second ``int(now)`` (key ``{name}:{second}``)."""
        return bool(self._redis.set(self._key(f"{name}:{int(now)}"), "1", nx=True, ex=ttl_s))

    # -- windowed failure counters (lock-outs) -----------------------------
    def failures(self, name: str) -> int:
        """Failures counted under ``name`` in the current window."""
        return int(self._redis.get(self._key(name)) or 0)

    def add_failure(self, name: str, *, window_s: int) -> int:
        """Count one failure; the window starts at the first one. Returns the count."""
        key = self._key(name)
        pipe = self._redis.pipeline(transaction=True)
        # SET NX EX then INCR works on every Redis version (no INCR with expiry).
        pipe.set(key, 0, ex=window_s, nx=True)
        pipe.incr(key)
        return int(pipe.execute()[-1])

    def window_left_s(self, name: str) -> int:
        """Seconds left in ``name``'s window (Redis TTL: -2 no key, -1 no expiry)."""
        return int(self._redis.ttl(self._key(name)))

    def clear(self, name: str) -> None:
        """Forget ``name`` (a success ends the lock-out window)."""
        self._redis.delete(self._key(name))

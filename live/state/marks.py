"""The dispatch marks in Redis: which guard is shown as sent where.

The store's ``dispatched`` hash (guard id → incident id) is what the map
wall and the nearest-guard ranking read to show a guard as busy. The store
hands these steps out as ``store.marks``; the dispatch workflow
(:mod:`shouwang.dispatch.marks`) decides when to take them, SQL being the
truth it rebuilds the marks from.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import cast

import redis

__all__ = ["Marks"]

# Compare-and-delete: free a guard only if the mark is still this incident's.
_RELEASE = """
if redis.call('HGET', KEYS[1], ARGV[1]) == ARGV[2] then
  return redis.call('HDEL', KEYS[1], ARGV[1])
end
return 0
"""


class Marks:
    """Claims and releases on the ``dispatched`` hash.

    Parameters
    ----------
    client
        The store's Redis client.
    key
        Full key of the hash (``{prefix}dispatched``).
    """

    def __init__(self, client: redis.Redis, key: str) -> None:
        self._redis = client
        self.key = key
        self._release = client.register_script(_RELEASE)

    def claim(self, guard_id: str, incident_id: str) -> bool:
        """Atomically mark a free guard as sent to ``incident_id``; False if he is taken.

        One ``HSETNX``: of two dispatchers sending the same guard at once
        (in any processes) exactly one wins.
        """
        return bool(self._redis.hsetnx(self.key, guard_id, incident_id))

    def release(self, guard_id: str, incident_id: str) -> bool:
        """Free a guard only if his mark is still ``incident_id``'s (compare and delete)."""
        return bool(self._release(keys=[self.key], args=[guard_id, incident_id]))

    def clear(self, guard_id: str) -> None:
        """Free a guard whatever he was marked for."""
        self._redis.hdel(self.key, guard_id)

    def holders(self, guard_ids: Sequence[str]) -> list[str | None]:
        """The incident each guard is marked for (None: free)."""
        if not guard_ids:
            return []
        return cast("list[str | None]", self._redis.hmget(self.key, list(guard_ids)))

    def all(self) -> dict[str, str]:
        """Every mark: guard id → incident id."""
        return cast("dict[str, str]", self._redis.hgetall(self.key))

    def put(self, marks: Iterable[tuple[str, str]], *, remove: Iterable[str] = ()) -> None:
        """Set ``(guard, incident)`` marks and remove the marks of ``remove``, in one round trip."""
        pipe = self._redis.pipeline(transaction=False)
        for gid, iid in marks:
            pipe.hset(self.key, gid, iid)
        for gid in remove:
            pipe.hdel(self.key, gid)
        pipe.execute()

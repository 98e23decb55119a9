"""The dispatch marks in Redis: which guard is sent where, claimed atomically.

The store's ``dispatched`` hash (guard → incident id) is what the map wall
and the nearest-guard ranking read to show a guard as busy. The dispatch
service claims a guard with the store's atomic
:meth:`live.state.marks.Marks.claim` (``store.marks``), so of two dispatchers
(in any processes) sending the same guard at once exactly one wins, and
frees him with a compare-and-delete.

SQL is the truth: :meth:`DispatchMarks.rebuild` puts the marks of every
active assignment back after Redis lost them.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from live.state.store import LiveStore
from shouwang.dispatch.rules import ENDED_STATUSES
from shouwang.records.dispatch_tables import assignments
from shouwang.records.tables import incidents

log = logging.getLogger(__name__)

__all__ = ["DispatchMarks"]


class DispatchMarks:
    """Claims and releases of guards on the store's ``dispatched`` hash."""

    def __init__(self, store: LiveStore) -> None:
        self.store = store

    def claim(self, guard_id: str, incident_id: str) -> bool:
        """Atomically mark a free guard as sent to ``incident_id``; False if he is taken."""
        return self.store.marks.claim(guard_id, incident_id)

    def release(self, guard_id: str, incident_id: str) -> None:
        """Free a guard, if his mark is still ``incident_id``'s."""
        try:
            self.store.marks.release(guard_id, incident_id)
        except Exception:  # the periodic rebuild clears it later
            log.exception("could not release %s from %s", guard_id, incident_id)

    def holders(self, guard_ids: Sequence[str]) -> list[str | None]:
        """The incident each guard is marked for (None: free)."""
        return self.store.marks.holders(guard_ids)

    def rebuild(self, engine: Engine, *, remove_ended: bool = False) -> int:
        """Put every active assignment's mark back into Redis; returns their number.

        With ``remove_ended`` (on start), marks of incidents SQL has closed or
        cancelled are removed; a mark for an incident SQL does not know yet may
        be a claim in flight in another process and is left alone.
        """
        with engine.connect() as conn:
            active = conn.execute(
                sa.select(assignments.c.guard_id, assignments.c.incident_id).where(
                    assignments.c.active
                )
            ).all()
            marks = self.store.marks.all()
            ended: set[str] = set()
            if remove_ended and marks:
                ended = set(
                    conn.execute(
                        sa.select(incidents.c.incident_id)
                        .where(incidents.c.incident_id.in_(set(marks.values())))
                        .where(incidents.c.status.in_([s.value for s in ENDED_STATUSES]))
                    ).scalars()
                )
        self.store.marks.put(
            [(gid, iid) for gid, iid in active],
            remove=[gid for gid, iid in marks.items() if iid in ended],
        )
        return len(active)

"""Who did what, when, from where: the ``audit_log`` table.

Every action of the dispatch workflow (create, assign, transition, ack,
cancel, export…) writes one row, in the SAME transaction as the change it
describes, so the log never claims an action that did not happen nor misses
one that did. Other workflows (reinforcement, roll call, guard reports) use
the same two calls::

    from shouwang.records import audit
    with engine.begin() as conn:
        ...  # the change
        audit.write(conn, actor, "rollcall.start", "zone:E", {"guards": 12}, at=now)

``Actor`` carries the request's user (the ``X-Actor`` header until login
comes) and address; the web layer builds it (see
``shouwang.web.actor.actor_from_request``), the dispatch console from its
name box; both clean the name with :func:`actor_name`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from shouwang.records.dispatch_tables import audit_log
from shouwang.timeutil import epoch, utc

__all__ = [
    "MAX_NAME_CHARS",
    "SYSTEM",
    "Actor",
    "actor_name",
    "entries",
    "record",
    "write",
    "write_entry",
]


@dataclass(frozen=True)
class Actor:
    """The person (or process) behind an action.

    Attributes
    ----------
    name
        User name; ``anonymous`` until login exists, ``system`` for timers.
    remote_addr
        Client address of the request, None for background jobs.
    """

    name: str = "anonymous"
    remote_addr: str | None = None


#: A longer name is cut (the audit shows names, not essays).
MAX_NAME_CHARS = 100


def actor_name(text: str | None) -> str:
    """A user's name as it is recorded: trimmed, at most :data:`MAX_NAME_CHARS`."""
    return (text or "").strip()[:MAX_NAME_CHARS].strip()


#: Background jobs (timers, arrival detection, SOS intake) act as this actor.
SYSTEM = Actor("system")


def write(
    conn: Connection,
    actor: Actor,
    action: str,
    target: str,
    detail: Mapping[str, Any] | None = None,
    *,
    at: float,
) -> None:
    """Add one audit row inside the caller's transaction.

    Parameters
    ----------
    conn
        Open connection in the transaction that makes the change.
    actor
        Who.
    action
        Dotted verb, e.g. ``incident.create``, ``assignment.transition``.
    target
        What, as ``kind:id`` (``incident:D20251101-1A2B3C4D``, ``guard:G001``).
    detail
        JSON-able specifics.
    at
        Epoch seconds.
    """
    conn.execute(
        audit_log.insert(),
        {
            "at": utc(at),
            "actor": actor.name[:200],
            "action": action,
            "target": target[:96],
            "detail": json.dumps(dict(detail or {}), ensure_ascii=False, default=str),
            "remote_addr": actor.remote_addr,
        },
    )


def record(
    engine: Engine,
    actor: Actor,
    action: str,
    target: str,
    detail: Mapping[str, Any] | None = None,
    *,
    at: float,
) -> None:
    """:func:`write` in a transaction of its own (for actions that change nothing else)."""
    with engine.begin() as conn:
        write(conn, actor, action, target, detail, at=at)


def entries(
    engine: Engine,
    *,
    since: float | None = None,
    until: float | None = None,
    action: str | None = None,
    target: str | None = None,
    limit: int = 100,
) -> list[dict[str, Any]]:
    """Audit rows, oldest first from ``since`` (newest ``limit`` when no ``since``).

    Returns
    -------
    list of dict
        ``id, at (epoch s), actor, action, target, detail (dict), remote_addr``.
    """
    q = sa.select(audit_log)
    if since is not None:
        q = q.where(audit_log.c.at >= utc(since))
    if until is not None:
        q = q.where(audit_log.c.at < utc(until))
    if action is not None:
        q = q.where(audit_log.c.action == action)
    if target is not None:
        q = q.where(audit_log.c.target == target)
    if since is None:  # the latest ones, still answered oldest first
        q = q.order_by(audit_log.c.id.desc()).limit(limit)
    else:
        q = q.order_by(audit_log.c.id).limit(limit)
    with engine.connect() as conn:
        rows = conn.execute(q).mappings().all()
    out = [
        {
            "id": int(r["id"]),
            "at": epoch(r["at"]),
            "actor": r["actor"],
            "action": r["action"],
            "target": r["target"],
            "detail": json.loads(r["detail"] or "{}"),
            "remote_addr": r["remote_addr"],
        }
        for r in rows
    ]
    return out if since is not None else out[::-1]


def write_entry(
    conn: Connection,
    *,
    at: float,
    actor: str,
    action: str,
    target: str,
    detail: Mapping[str, Any] | None = None,
    remote_addr: str = "",
) -> None:
    """One audit row in ``conn``'s transaction (the change and its record together)."""
    who = Actor(actor or "anonymous", remote_addr or None)
    write(conn, who, action, target, detail, at=at)

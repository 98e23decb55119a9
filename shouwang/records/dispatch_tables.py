"""SQL tables of the dispatch workflow, on :data:`shouwang.records.tables.metadata`.

The incident itself stays a row of ``incidents`` (shared with the
historical cases of the data set); what only a live incident has — who
created it, its SOS owner, the offered next guard, its timers — lives in
``incident_dispatch``, one row per live incident. Every timestamp is stored
in UTC (SQLite keeps no zone), and read back through :func:`shouwang.timeutil.epoch`.

Migration: ``shouwang/records/migrations/versions/0002_dispatch.py``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from shouwang.records.tables import metadata
from shouwang.timeutil import utc

__all__ = [
    "alarm_points",
    "assignments",
    "audit_log",
    "incident_dispatch",
    "incident_events",
    "write_event",
]

_BIGINT = sa.BigInteger().with_variant(sa.Integer, "sqlite")
_TS = sa.DateTime(timezone=True)

incident_dispatch = sa.Table(
    "incident_dispatch",
    metadata,
    sa.Column("incident_id", sa.String(40), primary_key=True),
    sa.Column("created_at", _TS, nullable=False, index=True),
    sa.Column("created_by", sa.Text, nullable=False),
    # What raised it: an alarm point id, the SOS guard, the reporting guard.
    sa.Column("source_ref", sa.String(64)),
    # Makes automatic creation idempotent across processes (one SOS, one incident).
    sa.Column("dedup_key", sa.String(96), unique=True),
    sa.Column("unassigned_since", _TS),
    sa.Column("unassigned_alerted_at", _TS),
    sa.Column("offer", sa.Text),  # JSON of the next guard offered after a timeout
    sa.Column("sos_guard_id", sa.String(32), index=True),
    sa.Column("sos_owner", sa.Text),
    sa.Column("sos_owned_at", _TS),
    sa.Column("sos_level", sa.Integer, nullable=False, server_default="0"),
    sa.Column("first_on_scene_at", _TS),
    sa.Column("closed_at", _TS),
    sa.Column("updated_at", _TS, nullable=False),
)

assignments = sa.Table(
    "assignments",
    metadata,
    sa.Column("assignment_id", sa.String(40), primary_key=True),
    sa.Column("incident_id", sa.String(40), nullable=False, index=True),
    sa.Column("guard_id", sa.String(32), nullable=False, index=True),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("active", sa.Boolean, nullable=False),
    sa.Column("assigned_by", sa.Text, nullable=False),
    sa.Column("assigned_at", _TS, nullable=False, index=True),
    sa.Column("acknowledged_at", _TS),
    sa.Column("en_route_at", _TS),
    sa.Column("on_scene_at", _TS),
    sa.Column("cleared_at", _TS),
    sa.Column("ended_at", _TS),  # declined, timed out or cancelled
    sa.Column("arrival", sa.String(16)),  # 'guard' (pressed) or 'auto' (fixes within radius)
    sa.Column("eta_s", sa.Float),  # walking-time estimate when he was sent
    # The durable twin of the Redis claim: one active assignment per guard,
    # whatever happened to Redis.
    sa.Index(
        "uq_assignments_active_guard",
        "guard_id",
        unique=True,
        sqlite_where=sa.text("active"),
        postgresql_where=sa.text("active"),
    ),
)

incident_events = sa.Table(
    "incident_events",
    metadata,
    sa.Column("id", _BIGINT, primary_key=True, autoincrement=True),
    sa.Column("incident_id", sa.String(40), nullable=False, index=True),
    sa.Column("at", _TS, nullable=False),
    sa.Column("kind", sa.String(32), nullable=False),
    sa.Column("guard_id", sa.String(32)),
    sa.Column("assignment_id", sa.String(40)),
    sa.Column("actor", sa.Text, nullable=False),
    sa.Column("detail", sa.Text, nullable=False, server_default="{}"),
)

alarm_points = sa.Table(
    "alarm_points",
    metadata,
    sa.Column("point_id", sa.String(40), primary_key=True),
    sa.Column("gate_id", sa.String(32)),
    sa.Column("unit_id", sa.String(32)),
    sa.Column("zone_id", sa.String(32)),
    sa.Column("name_zh", sa.Text, nullable=False),
    sa.Column("lon", sa.Float, nullable=False),
    sa.Column("lat", sa.Float, nullable=False),
    # SHA-256 of the key: a leaked database does not leak working keys.
    sa.Column("key_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("active", sa.Boolean, nullable=False, server_default=sa.true()),
    sa.Column("created_at", _TS, nullable=False),
)

audit_log = sa.Table(
    "audit_log",
    metadata,
    sa.Column("id", _BIGINT, primary_key=True, autoincrement=True),
    sa.Column("at", _TS, nullable=False, index=True),
    sa.Column("actor", sa.Text, nullable=False),
    sa.Column("action", sa.String(48), nullable=False, index=True),
    sa.Column("target", sa.String(96), nullable=False),
    sa.Column("detail", sa.Text, nullable=False, server_default="{}"),
    sa.Column("remote_addr", sa.String(64)),
)


def write_event(
    conn: Connection,
    incident_id: str,
    at: float,
    kind: str,
    actor: str,
    *,
    guard_id: str | None = None,
    assignment_id: str | None = None,
    detail: Mapping[str, Any] | None = None,
) -> None:
    """Add a step to an incident's timeline, inside the caller's transaction."""
    conn.execute(
        incident_events.insert(),
        {
            "incident_id": incident_id,
            "at": utc(at),
            "kind": kind,
            "guard_id": guard_id,
            "assignment_id": assignment_id,
            "actor": actor,
            "detail": json.dumps(dict(detail or {}), ensure_ascii=False, default=str),
        },
    )

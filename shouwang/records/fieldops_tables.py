"""SQL tables of field operations: guard PINs and sign-ins, reinforcements, roll calls, reports.

Tables live on :data:`shouwang.records.tables.metadata` so one Alembic history covers
the whole schema (revision ``0003``). Times are ``DateTime(timezone=True)``
in UTC; SQLite hands them back naive, so readers go through :func:`shouwang.timeutil.aware`.
"""

from __future__ import annotations

import sqlalchemy as sa

from shouwang.records.tables import metadata

__all__ = [
    "guard_pins",
    "guard_reports",
    "guard_signins",
    "reinforcement_alerts",
    "reinforcements",
    "rollcall_guards",
    "rollcalls",
]

_ID = sa.BigInteger().with_variant(sa.Integer, "sqlite")

guard_pins = sa.Table(
    "guard_pins",
    metadata,
    sa.Column("guard_id", sa.String(32), primary_key=True),
    # "scrypt$n$r$p$salt_hex$hash_hex": the parameters travel with the hash,
    # so stronger ones can be used for new PINs without a migration.
    sa.Column("pin_hash", sa.Text, nullable=False),
    # Bumped on every change; tokens carry it, so a new PIN ends old sessions.
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("source", sa.String(16), nullable=False),  # demo | admin
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
)

guard_signins = sa.Table(
    "guard_signins",
    metadata,
    sa.Column("id", _ID, primary_key=True, autoincrement=True),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False, index=True),
    sa.Column("device_id", sa.String(64), nullable=False),
    sa.Column("guard_id", sa.String(32)),
    sa.Column("ok", sa.Boolean, nullable=False),
    sa.Column("reason", sa.String(32), nullable=False),  # ok | bad_pin | unknown_device | …
    sa.Column("remote_addr", sa.String(64), nullable=False, server_default=""),
)

reinforcements = sa.Table(
    "reinforcements",
    metadata,
    sa.Column("reinforcement_id", sa.String(40), primary_key=True),
    sa.Column("incident_id", sa.String(40)),
    sa.Column("lon", sa.Float, nullable=False),
    sa.Column("lat", sa.Float, nullable=False),
    sa.Column("radius_m", sa.Float),
    sa.Column("walk_s", sa.Float),
    sa.Column("scope", sa.String(8), nullable=False),  # zone | all
    sa.Column("zone_id", sa.String(32)),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, index=True),
    sa.Column("created_by", sa.Text, nullable=False),
    sa.Column("note", sa.Text, nullable=False, server_default=""),
)

reinforcement_alerts = sa.Table(
    "reinforcement_alerts",
    metadata,
    sa.Column("reinforcement_id", sa.String(40), primary_key=True),
    sa.Column("guard_id", sa.String(32), primary_key=True),
    sa.Column("zone_id", sa.String(32)),
    sa.Column("distance_m", sa.Float, nullable=False),
    sa.Column("eta_s", sa.Float, nullable=False),
    sa.Column("answer", sa.String(16)),  # coming | cannot | NULL (no answer yet)
    sa.Column("answered_at", sa.DateTime(timezone=True)),
    sa.Column("note", sa.Text, nullable=False, server_default=""),
)

rollcalls = sa.Table(
    "rollcalls",
    metadata,
    sa.Column("rollcall_id", sa.String(40), primary_key=True),
    sa.Column("zone_id", sa.String(32)),  # NULL: every zone
    sa.Column("started_at", sa.DateTime(timezone=True), nullable=False, index=True),
    sa.Column("deadline_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("closes_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("status", sa.String(8), nullable=False),  # open | closed
    sa.Column("closed_at", sa.DateTime(timezone=True)),
    sa.Column("created_by", sa.Text, nullable=False),
)

rollcall_guards = sa.Table(
    "rollcall_guards",
    metadata,
    sa.Column("rollcall_id", sa.String(40), primary_key=True),
    sa.Column("guard_id", sa.String(32), primary_key=True),
    sa.Column("zone_id", sa.String(32)),
    sa.Column("unit_id", sa.String(32), nullable=False),
    sa.Column("answered_at", sa.DateTime(timezone=True)),
    # on_time | off_post | late | missing; NULL while the roll call is open and unanswered
    sa.Column("outcome", sa.String(16)),
    sa.Column("on_post", sa.Boolean),
    sa.Column("post_distance_m", sa.Float),
    sa.Column("fix_age_s", sa.Float),
    sa.Column("fix_lon", sa.Float),
    sa.Column("fix_lat", sa.Float),
)

guard_reports = sa.Table(
    "guard_reports",
    metadata,
    sa.Column("report_id", sa.String(40), primary_key=True),
    sa.Column("guard_id", sa.String(32), nullable=False, index=True),
    sa.Column("kind", sa.String(16), nullable=False),  # clue | hazard
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("lon", sa.Float),
    sa.Column("lat", sa.Float),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, index=True),
    sa.Column("photo_path", sa.Text),  # relative to STATE_DIR/photos
    sa.Column("photo_type", sa.String(32)),
    sa.Column("photo_bytes", sa.Integer),
    sa.Column("photo_sha256", sa.String(64)),
)

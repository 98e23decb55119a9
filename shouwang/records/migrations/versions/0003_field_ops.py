"""field operations: guard PINs and sign-ins, reinforcements, roll calls, guard reports

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22 10:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "guard_pins",
        sa.Column("guard_id", sa.String(32), nullable=False),
        sa.Column("pin_hash", sa.Text(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("updated_at", _TS, nullable=False),
        sa.PrimaryKeyConstraint("guard_id"),
    )
    op.create_table(
        "guard_signins",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("at", _TS, nullable=False),
        sa.Column("device_id", sa.String(64), nullable=False),
        sa.Column("guard_id", sa.String(32), nullable=True),
        sa.Column("ok", sa.Boolean(), nullable=False),
        sa.Column("reason", sa.String(32), nullable=False),
        sa.Column("remote_addr", sa.String(64), server_default="", nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_guard_signins_at", "guard_signins", ["at"])
    op.create_table(
        "reinforcements",
        sa.Column("reinforcement_id", sa.String(40), nullable=False),
        sa.Column("incident_id", sa.String(40), nullable=True),
        sa.Column("lon", sa.Float(), nullable=False),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.Column("radius_m", sa.Float(), nullable=True),
        sa.Column("walk_s", sa.Float(), nullable=True),
        sa.Column("scope", sa.String(8), nullable=False),
        sa.Column("zone_id", sa.String(32), nullable=True),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("created_by", sa.Text(), nullable=False),
        sa.Column("note", sa.Text(), server_default="", nullable=False),
        sa.PrimaryKeyConstraint("reinforcement_id"),
    )
    op.create_index("ix_reinforcements_created_at", "reinforcements", ["created_at"])
    op.create_table(
        "reinforcement_alerts",
        sa.Column("reinforcement_id", sa.String(40), nullable=False),
        sa.Column("guard_id", sa.String(32), nullable=False),
        sa.Column("zone_id", sa.String(32), nullable=True),
        sa.Column("distance_m", sa.Float(), nullable=False),
        sa.Column("eta_s", sa.Float(), nullable=False),
        sa.Column("answer", sa.String(16), nullable=True),
        sa.Column("answered_at", _TS, nullable=True),
        sa.Column("note", sa.Text(), server_default="", nullable=False),
        sa.PrimaryKeyConstraint("reinforcement_id", "guard_id"),
    )
    op.create_table(
        "rollcalls",
        sa.Column("rollcall_id", sa.String(40), nullable=False),
        sa.Column("zone_id", sa.String(32), nullable=True),
        sa.Column("started_at", _TS, nullable=False),
        sa.Column("deadline_at", _TS, nullable=False),
        sa.Column("closes_at", _TS, nullable=False),
        sa.Column("status", sa.String(8), nullable=False),
        sa.Column("closed_at", _TS, nullable=True),
        sa.Column("created_by", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("rollcall_id"),
    )
    op.create_index("ix_rollcalls_started_at", "rollcalls", ["started_at"])
    op.create_table(
        "rollcall_guards",
        sa.Column("rollcall_id", sa.String(40), nullable=False),
        sa.Column("guard_id", sa.String(32), nullable=False),
        sa.Column("zone_id", sa.String(32), nullable=True),
        sa.Column("unit_id", sa.String(32), nullable=False),
        sa.Column("answered_at", _TS, nullable=True),
        sa.Column("outcome", sa.String(16), nullable=True),
        sa.Column("on_post", sa.Boolean(), nullable=True),
        sa.Column("post_distance_m", sa.Float(), nullable=True),
        sa.Column("fix_age_s", sa.Float(), nullable=True),
        sa.Column("fix_lon", sa.Float(), nullable=True),
        sa.Column("fix_lat", sa.Float(), nullable=True),
        sa.PrimaryKeyConstraint("rollcall_id", "guard_id"),
    )
    op.create_table(
        "guard_reports",
        sa.Column("report_id", sa.String(40), nullable=False),
        sa.Column("guard_id", sa.String(32), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("lon", sa.Float(), nullable=True),
        sa.Column("lat", sa.Float(), nullable=True),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("photo_path", sa.Text(), nullable=True),
        sa.Column("photo_type", sa.String(32), nullable=True),
        sa.Column("photo_bytes", sa.Integer(), nullable=True),
        sa.Column("photo_sha256", sa.String(64), nullable=True),
        sa.PrimaryKeyConstraint("report_id"),
    )
    op.create_index("ix_guard_reports_guard_id", "guard_reports", ["guard_id"])
    op.create_index("ix_guard_reports_created_at", "guard_reports", ["created_at"])


def downgrade() -> None:
    op.drop_index("ix_guard_reports_created_at", table_name="guard_reports")
    op.drop_index("ix_guard_reports_guard_id", table_name="guard_reports")
    op.drop_table("guard_reports")
    op.drop_table("rollcall_guards")
    op.drop_index("ix_rollcalls_started_at", table_name="rollcalls")
    op.drop_table("rollcalls")
    op.drop_table("reinforcement_alerts")
    op.drop_index("ix_reinforcements_created_at", table_name="reinforcements")
    op.drop_table("reinforcements")
    op.drop_index("ix_guard_signins_at", table_name="guard_signins")
    op.drop_table("guard_signins")
    op.drop_table("guard_pins")

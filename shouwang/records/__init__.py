"""SQL records: every table (reference, history, dispatch, field operations),
the Alembic migrations and the audit log. Others import the tables and the
engine helpers from here; ``audit`` writes and reads the audit trail.
"""

from shouwang.records.tables import (
    alarms,
    checkpoints,
    count_rows,
    drop_everything,
    gates,
    guards,
    head_revision,
    incidents,
    load_reference,
    make_engine,
    metadata,
    migrate,
    positions,
    units,
    write_history,
    zones,
)

__all__ = [
    "alarms",
    "checkpoints",
    "count_rows",
    "drop_everything",
    "gates",
    "guards",
    "head_revision",
    "incidents",
    "load_reference",
    "make_engine",
    "metadata",
    "migrate",
    "positions",
    "units",
    "write_history",
    "zones",
]

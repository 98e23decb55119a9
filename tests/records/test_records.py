"""SQL schema and reference data on real SQLite / PostgreSQL."""

from __future__ import annotations

import sqlalchemy as sa

from shouwang import records


def test_migrate_is_idempotent_and_versioned(engine):
    head = records.head_revision()
    assert head >= "0001"
    assert records.migrate(engine) == records.migrate(engine) == head
    names = set(sa.inspect(engine).get_table_names())
    assert {
        "zones",
        "units",
        "gates",
        "checkpoints",
        "guards",
        "incidents",
        "positions",
        "alarms",
        "meta",
        "alembic_version",
    } <= names


def test_reference_data_loaded_once(engine, pilot):
    records.load_reference(engine, pilot)  # may already be loaded by another test
    assert records.load_reference(engine, pilot) is False  # unchanged fingerprint: no rewrite
    assert records.count_rows(engine, records.zones) == 5
    assert records.count_rows(engine, records.units) == 37
    assert records.count_rows(engine, records.guards) == 207
    assert records.count_rows(engine, records.gates) == len(pilot.gates)
    assert records.count_rows(engine, records.checkpoints) == len(pilot.checkpoints)
    with engine.connect() as conn:
        n_hist = conn.execute(
            sa.select(sa.func.count())
            .select_from(records.incidents)
            .where(records.incidents.c.source == "history")
        ).scalar_one()
        unit = conn.execute(sa.select(records.units).where(records.units.c.unit_id == "U01")).one()
    assert n_hist == len(pilot.incidents)
    assert '"Polygon"' in unit.geometry or '"MultiPolygon"' in unit.geometry

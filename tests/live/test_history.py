"""The history writer: Redis stream → SQL, with no loss and no duplicates."""

from __future__ import annotations

import sqlalchemy as sa

from live.fixes import Fix
from live.history import HistoryWriter
from live.state.store import RosterEntry
from shouwang import records


def _roster(store):
    store.load_roster(
        [
            RosterEntry(
                guard_id=f"G{i}",
                device_id=f"d{i}",
                name="x",
                unit_id="U01",
                zone_id="C",
                shift="day",
                post_lon=118.38,
                post_lat=33.78,
            )
            for i in range(5)
        ]
    )


def _fixes(store, clock, n: int) -> None:
    items = [
        (
            f"G{i % 5}",
            Fix(
                device_id=f"d{i % 5}",
                lat=33.78 + i * 1e-5,
                lon=118.38,
                ts=clock.now + i,
                accuracy_m=5.0,
            ),
            True,
        )
        for i in range(n)
    ]
    store.record_fixes(items)


def test_writer_copies_fixes_and_alarms_in_batches(store, clean_engine, clock):
    _roster(store)
    _fixes(store, clock, 23)
    store.record_fixes(
        [
            (
                "G1",
                Fix(
                    device_id="d1",
                    lat=33.78,
                    lon=118.38,
                    ts=clock.now + 99,
                    alarm="sos",
                    source="osmand",
                ),
                True,
            )
        ]
    )
    writer = HistoryWriter(store, clean_engine, batch=10, consumer="w1")
    assert writer.drain_all() == 25  # 24 positions + 1 alarm
    assert records.count_rows(clean_engine, records.positions) == 24
    assert records.count_rows(clean_engine, records.alarms) == 1
    assert store.history_backlog() == 0
    with clean_engine.connect() as conn:
        row = conn.execute(
            sa.select(records.positions).where(records.positions.c.source == "osmand")
        ).one()
    assert row.guard_id == "G1" and row.accuracy_m is None


def test_entries_read_by_a_crashed_writer_are_recovered(store, clean_engine, clock):
    _roster(store)
    _fixes(store, clock, 12)
    # Writer A reads a batch and dies before writing it.
    lost = store.read_history("crashed-writer", count=100, block_ms=None)
    assert len(lost) == 12
    assert store.read_history("another", count=100, block_ms=None) == []  # delivered to A only
    writer = HistoryWriter(store, clean_engine, consumer="replacement")
    assert writer.recover(min_idle_ms=0) == 12
    assert records.count_rows(clean_engine, records.positions) == 12


def test_a_batch_written_but_not_acknowledged_is_not_duplicated(store, clean_engine, clock):
    _roster(store)
    _fixes(store, clock, 7)
    entries = store.read_history("w", count=100, block_ms=None)
    # The SQL commit happened, then the process died before XACK.
    records.write_history(clean_engine, [(eid, f) for _, eid, f in entries])
    writer = HistoryWriter(store, clean_engine, consumer="w")
    writer.recover()
    assert records.count_rows(clean_engine, records.positions) == 7
    assert store.history_backlog() == 0


def test_background_writer_drains_on_stop(store, clean_engine, clock):
    _roster(store)
    writer = HistoryWriter(store, clean_engine, consumer="bg")
    writer.start()
    _fixes(store, clock, 40)
    writer.stop()
    assert records.count_rows(clean_engine, records.positions) == 40

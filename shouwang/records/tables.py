"""SQL records: reference data and the history behind the live map.

SQLAlchemy Core tables, portable between SQLite (default) and PostgreSQL.
The schema is versioned by Alembic (``shouwang/records/migrations``); :func:`migrate`
brings any database to the newest version and is safe to run on every start.
Geometries are stored as GeoJSON text so both databases hold them alike.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine

from shouwang.dataset import Dataset, row_tuples
from shouwang.timeutil import utc

metadata = sa.MetaData()

meta = sa.Table(
    "meta",
    metadata,
    sa.Column("key", sa.String(64), primary_key=True),
    sa.Column("value", sa.Text, nullable=False),
)

zones = sa.Table(
    "zones",
    metadata,
    sa.Column("zone_id", sa.String(32), primary_key=True),
    sa.Column("name_zh", sa.Text, nullable=False),
    sa.Column("name_en", sa.Text, nullable=False),
    sa.Column("unit_kind", sa.String(32), nullable=False),
    sa.Column("geometry", sa.Text, nullable=False),
)

units = sa.Table(
    "units",
    metadata,
    sa.Column("unit_id", sa.String(32), primary_key=True),
    sa.Column("name_zh", sa.Text, nullable=False),
    sa.Column("name_en", sa.Text, nullable=False),
    sa.Column("kind", sa.String(32), nullable=False),
    sa.Column("zone_id", sa.String(32), nullable=False),
    sa.Column("company", sa.Text, nullable=False),
    sa.Column("address", sa.Text, nullable=False),
    sa.Column("geometry", sa.Text, nullable=False),
)

gates = sa.Table(
    "gates",
    metadata,
    sa.Column("gate_id", sa.String(32), primary_key=True),
    sa.Column("unit_id", sa.String(32), nullable=False, index=True),
    sa.Column("name_zh", sa.Text, nullable=False),
    sa.Column("lon", sa.Float, nullable=False),
    sa.Column("lat", sa.Float, nullable=False),
)

checkpoints = sa.Table(
    "checkpoints",
    metadata,
    sa.Column("checkpoint_id", sa.String(32), primary_key=True),
    sa.Column("unit_id", sa.String(32), nullable=False, index=True),
    sa.Column("seq", sa.Integer, nullable=False),
    sa.Column("name_zh", sa.Text, nullable=False),
    sa.Column("lon", sa.Float, nullable=False),
    sa.Column("lat", sa.Float, nullable=False),
)

guards = sa.Table(
    "guards",
    metadata,
    sa.Column("guard_id", sa.String(32), primary_key=True),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("unit_id", sa.String(32), nullable=False, index=True),
    sa.Column("device_id", sa.String(64), nullable=False, unique=True),
    sa.Column("phone", sa.String(32), nullable=False),
    sa.Column("shift", sa.String(16), nullable=False),
    sa.Column("licensed", sa.Boolean, nullable=False),
    sa.Column("post_gate_id", sa.String(32)),
    sa.Column("post_lon", sa.Float, nullable=False),
    sa.Column("post_lat", sa.Float, nullable=False),
    sa.Column("mobility", sa.String(16), nullable=False),
)

incidents = sa.Table(
    "incidents",
    metadata,
    sa.Column("incident_id", sa.String(40), primary_key=True),
    sa.Column("kind", sa.String(32), nullable=False, index=True),
    sa.Column("priority", sa.Integer),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("source", sa.String(16), nullable=False),
    sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False, index=True),
    sa.Column("lon", sa.Float, nullable=False),
    sa.Column("lat", sa.Float, nullable=False),
    sa.Column("unit_id", sa.String(32)),
    sa.Column("zone_id", sa.String(32)),
    sa.Column("description", sa.Text, nullable=False, server_default=""),
)

positions = sa.Table(
    "positions",
    metadata,
    sa.Column(
        "id",
        sa.BigInteger().with_variant(sa.Integer, "sqlite"),
        primary_key=True,
        autoincrement=True,
    ),
    # The Redis stream entry id makes the copy idempotent: an entry written
    # but not acknowledged before a crash is read again and skipped here.
    sa.Column("stream_id", sa.String(40), nullable=False, unique=True),
    sa.Column("guard_id", sa.String(32), nullable=False),
    sa.Column("device_id", sa.String(64), nullable=False),
    sa.Column("ts", sa.DateTime(timezone=True), nullable=False),
    sa.Column("lon", sa.Float, nullable=False),
    sa.Column("lat", sa.Float, nullable=False),
    sa.Column("accuracy_m", sa.Float),
    sa.Column("speed_mps", sa.Float),
    sa.Column("heading_deg", sa.Float),
    sa.Column("altitude_m", sa.Float),
    sa.Column("battery_pct", sa.Float),
    sa.Column("charging", sa.Boolean),
    sa.Column("source", sa.String(16), nullable=False),
    sa.Column("live", sa.Boolean, nullable=False),
    sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
    sa.Index("ix_positions_guard_ts", "guard_id", "ts"),
)

alarms = sa.Table(
    "alarms",
    metadata,
    sa.Column(
        "id",
        sa.BigInteger().with_variant(sa.Integer, "sqlite"),
        primary_key=True,
        autoincrement=True,
    ),
    sa.Column("stream_id", sa.String(40), nullable=False, unique=True),
    sa.Column("guard_id", sa.String(32), nullable=False, index=True),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("ts", sa.DateTime(timezone=True), nullable=False),
    sa.Column("lon", sa.Float, nullable=False),
    sa.Column("lat", sa.Float, nullable=False),
    sa.Column("source", sa.String(16), nullable=False),
)

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def make_engine(url: str) -> Engine:
    """An engine for ``url``; SQLite gets WAL and a busy timeout for threads."""
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = sa.create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})

        @sa.event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:  # pragma: no cover - trivial
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()

        return engine
    return sa.create_engine(url, pool_pre_ping=True)


def migrate(engine: Engine) -> str:
    """Upgrade the schema to the newest revision; returns that revision."""
    from alembic import command
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
    with engine.connect() as conn:
        return conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar_one()


def head_revision() -> str:
    """The newest schema revision this code knows."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    head = ScriptDirectory.from_config(cfg).get_current_head()
    if head is None:  # a packaging error: the migrations folder is missing
        raise RuntimeError(f"no schema revision in {MIGRATIONS_DIR}")
    return head


def _insert_ignoring_duplicates(engine: Engine, table: sa.Table) -> sa.Insert:
    dialect = postgresql if engine.dialect.name == "postgresql" else sqlite
    return dialect.insert(table).on_conflict_do_nothing(index_elements=["stream_id"])


def _opt_float(text: str | None) -> float | None:
    return float(text) if text not in (None, "") else None


def position_rows(entries: Iterable[tuple[str, Mapping[str, str]]]) -> list[dict[str, Any]]:
    """Rows for ``positions`` from positions-stream entries ``(entry id, fields)``."""
    rows = []
    for entry_id, f in entries:
        charging = f.get("charging", "")
        rows.append(
            {
                "stream_id": entry_id,
                "guard_id": f["guard_id"],
                "device_id": f["device_id"],
                "ts": utc(float(f["ts"])),
                "lon": float(f["lon"]),
                "lat": float(f["lat"]),
                "accuracy_m": _opt_float(f.get("accuracy_m")),
                "speed_mps": _opt_float(f.get("speed_mps")),
                "heading_deg": _opt_float(f.get("heading_deg")),
                "altitude_m": _opt_float(f.get("altitude_m")),
                "battery_pct": _opt_float(f.get("battery_pct")),
                "charging": None if charging == "" else charging == "1",
                "source": f.get("source") or "batch",
                "live": f.get("live", "1") == "1",
                "received_at": utc(float(f["received_at"])),
            }
        )
    return rows


def alarm_rows(entries: Iterable[tuple[str, Mapping[str, str]]]) -> list[dict[str, Any]]:
    """Rows for ``alarms`` from alarms-stream entries."""
    return [
        {
            "stream_id": entry_id,
            "guard_id": f["guard_id"],
            "kind": f["kind"],
            "ts": utc(float(f["ts"])),
            "lon": float(f["lon"]),
            "lat": float(f["lat"]),
            "source": f.get("source", ""),
        }
        for entry_id, f in entries
    ]


def write_history(
    engine: Engine,
    position_entries: Sequence[tuple[str, Mapping[str, str]]],
    alarm_entries: Sequence[tuple[str, Mapping[str, str]]] = (),
) -> None:
    """Insert stream entries in one transaction; entries already there are skipped."""
    with engine.begin() as conn:
        if position_entries:
            conn.execute(
                _insert_ignoring_duplicates(engine, positions), position_rows(position_entries)
            )
        if alarm_entries:
            conn.execute(_insert_ignoring_duplicates(engine, alarms), alarm_rows(alarm_entries))


def reference_fingerprint(engine: Engine) -> str | None:
    """Fingerprint of the data set last loaded into the reference tables."""
    with engine.connect() as conn:
        return conn.execute(
            sa.select(meta.c.value).where(meta.c.key == "dataset")
        ).scalar_one_or_none()


def _geojson(geom: Any) -> str:
    return json.dumps(geom.__geo_interface__, separators=(",", ":"))


def load_reference(engine: Engine, dataset: Dataset) -> bool:
    """Replace the reference tables with ``dataset`` unless already loaded.

    Historical incidents from the data set are (re)loaded with source
    ``history``; incidents created by users are left alone. Returns True when
    something was written.
    """
    if reference_fingerprint(engine) == dataset.fingerprint:
        return False
    z, u, gt, cp, gd, inc = (
        dataset.zones,
        dataset.units,
        dataset.gates,
        dataset.checkpoints,
        dataset.guards,
        dataset.incidents,
    )
    with engine.begin() as conn:
        for table in (zones, units, gates, checkpoints, guards):
            conn.execute(table.delete())
        conn.execute(incidents.delete().where(incidents.c.source == "history"))
        conn.execute(
            zones.insert(),
            [
                {
                    "zone_id": r.zone_id,
                    "name_zh": r.name_zh,
                    "name_en": r.name_en,
                    "unit_kind": r.unit_kind,
                    "geometry": _geojson(r.geometry),
                }
                for r in row_tuples(z)
            ],
        )
        conn.execute(
            units.insert(),
            [
                {
                    "unit_id": r.unit_id,
                    "name_zh": r.name_zh,
                    "name_en": r.name_en,
                    "kind": r.kind,
                    "zone_id": r.zone_id,
                    "company": r.company,
                    "address": r.address,
                    "geometry": _geojson(r.geometry),
                }
                for r in row_tuples(u)
            ],
        )
        if len(gt):
            conn.execute(
                gates.insert(),
                [
                    {
                        "gate_id": r.gate_id,
                        "unit_id": r.unit_id,
                        "name_zh": r.name_zh,
                        "lon": r.geometry.x,
                        "lat": r.geometry.y,
                    }
                    for r in row_tuples(gt)
                ],
            )
        if len(cp):
            conn.execute(
                checkpoints.insert(),
                [
                    {
                        "checkpoint_id": r.checkpoint_id,
                        "unit_id": r.unit_id,
                        "seq": int(r.seq),
                        "name_zh": r.name_zh,
                        "lon": r.geometry.x,
                        "lat": r.geometry.y,
                    }
                    for r in row_tuples(cp)
                ],
            )
        conn.execute(
            guards.insert(),
            [
                {
                    "guard_id": r.guard_id,
                    "name": r.name,
                    "unit_id": r.unit_id,
                    "device_id": str(r.device_id),
                    "phone": str(r.phone),
                    "shift": r.shift,
                    "licensed": bool(r.licensed),
                    "post_gate_id": r.post_gate_id or None,
                    "post_lon": float(r.post_lon),
                    "post_lat": float(r.post_lat),
                    "mobility": r.mobility,
                }
                for r in row_tuples(gd)
            ],
        )
        if len(inc):
            conn.execute(
                incidents.insert(),
                [
                    {
                        "incident_id": str(r.incident_id),
                        "kind": r.kind,
                        "priority": None,
                        "status": "closed",
                        "source": "history",
                        "occurred_at": r.occurred_at.to_pydatetime(),
                        "lon": r.geometry.x,
                        "lat": r.geometry.y,
                        "unit_id": r.unit_id if isinstance(r.unit_id, str) and r.unit_id else None,
                        "zone_id": r.zone_id if isinstance(r.zone_id, str) and r.zone_id else None,
                        "description": r.description if isinstance(r.description, str) else "",
                    }
                    for r in row_tuples(inc)
                ],
            )
        values = {"key": "dataset", "value": dataset.fingerprint}
        conn.execute(meta.delete().where(meta.c.key == "dataset"))
        conn.execute(meta.insert(), values)
    return True


def count_rows(engine: Engine, table: sa.Table) -> int:
    """Number of rows in ``table``."""
    with engine.connect() as conn:
        return conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()


def drop_everything(engine: Engine) -> None:
    """Drop every table in the database's schema (tests, `--reset`).

    Reflects the database rather than trusting ``metadata``: tables of
    feature modules not imported in this process are dropped too.
    """
    reflected = sa.MetaData()
    reflected.reflect(engine)
    with engine.begin() as conn:
        reflected.drop_all(conn)

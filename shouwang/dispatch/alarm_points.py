"""One-click alarm points (一键报警): fixed buttons, e.g. at every school gate.

Each point has a key its button sends (``POST /api/v1/alarms {"key": ...}``).
Keys are derived deterministically from the station's secret
(``ALARM_KEY_SECRET``, or a random secret kept in ``STATE_DIR``) and the
point id — HMAC-SHA256 — so the admin view can show them again, while SQL
stores only a SHA-256 hash of each: a copied database holds no working key.

On start, when the table is empty, one point per gate of every school in
the data set is created (deterministic ids ``AP-<gate id>``).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from shouwang.dataset import Dataset, row_tuples
from shouwang.dispatch.rules import ENDED_STATUSES
from shouwang.dispatch.service import DispatchService
from shouwang.errors import Forbidden
from shouwang.records.audit import Actor
from shouwang.records.dispatch_tables import alarm_points
from shouwang.records.tables import incidents
from shouwang.timeutil import utc

log = logging.getLogger(__name__)

__all__ = ["hash_key", "key_for", "load_secret", "points", "raise_alarm", "seed"]

SECRET_FILE = "alarm_key.secret"


def load_secret(configured: str | None, state_dir: Path) -> bytes:
    """The station's alarm-key secret: the setting, else a file made once under ``state_dir``."""
    if configured:
        return configured.encode()
    path = Path(state_dir) / SECRET_FILE
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_hex(32), encoding="ascii")
        path.chmod(0o600)
    return path.read_text(encoding="ascii").strip().encode()


def key_for(secret: bytes, point_id: str) -> str:
    """The key of an alarm point: 24 hex characters of HMAC-SHA256(secret, point id)."""
    return hmac.new(secret, point_id.encode(), hashlib.sha256).hexdigest()[:24]


def hash_key(key: str) -> str:
    """What SQL keeps of a key."""
    return hashlib.sha256(key.encode()).hexdigest()


def seed(engine: Engine, dataset: Dataset, secret: bytes, now: float) -> int:
    """Create one point per school gate when there are none yet; returns how many."""
    with engine.begin() as conn:
        if conn.execute(sa.select(sa.func.count()).select_from(alarm_points)).scalar_one():
            return 0
        units = dataset.units.set_index("unit_id")
        schools = set(units.index[units["kind"] == "school"])
        gates = dataset.gates[dataset.gates["unit_id"].isin(schools)].sort_values("gate_id")
        rows = []
        for g in row_tuples(gates):
            pid = f"AP-{g.gate_id}"
            unit = units.loc[g.unit_id]
            rows.append(
                {"point_id": pid, "gate_id": g.gate_id, "unit_id": g.unit_id,
                 "zone_id": unit["zone_id"], "name_zh": f"{unit['name_zh']}{g.name_zh}",
                 "lon": float(g.geometry.x), "lat": float(g.geometry.y),
                 "key_hash": hash_key(key_for(secret, pid)), "active": True,
                 "created_at": utc(now)}
            )  # fmt: skip
        if rows:
            conn.execute(alarm_points.insert(), rows)
    log.info("alarm points: %d created (one per school gate)", len(rows))
    return len(rows)


def points(engine: Engine, secret: bytes) -> list[dict[str, Any]]:
    """Every alarm point with its key (None when the key was set by other means)."""
    with engine.connect() as conn:
        rows = conn.execute(sa.select(alarm_points).order_by(alarm_points.c.point_id)).mappings()
        out = []
        for r in rows:
            key = key_for(secret, r["point_id"])
            out.append(
                {c: r[c] for c in ("point_id", "gate_id", "unit_id", "zone_id", "name_zh",
                                   "lon", "lat", "active")}
                | {"key": key if hash_key(key) == r["key_hash"] else None}
            )  # fmt: skip
    return out


def raise_alarm(
    service: DispatchService, actor: Actor, key: str, kind: str = "other"
) -> tuple[dict[str, Any], bool]:
    """A button was pressed: a priority-1 incident at its point.

    Pressing again while that point's incident is still open returns it
    (created False) instead of a second one.

    Raises
    ------
    DomainError
        Forbidden ``bad_alarm_key`` for an unknown or inactive key (nothing stored).
    """
    with service.engine.connect() as conn:
        point = conn.execute(
            sa.select(alarm_points)
            .where(alarm_points.c.key_hash == hash_key(key))
            .where(alarm_points.c.active)
        ).mappings().first()  # fmt: skip
        if point is not None:
            from shouwang.records.dispatch_tables import incident_dispatch

            d = incident_dispatch.c
            open_id = conn.execute(
                sa.select(incidents.c.incident_id)
                .select_from(incidents.join(incident_dispatch, d.incident_id == incidents.c.incident_id))
                .where(incidents.c.source == "alarm_point")
                .where(d.source_ref == point["point_id"])
                .where(incidents.c.status.not_in([s.value for s in ENDED_STATUSES]))
                .limit(1)
            ).scalar_one_or_none()  # fmt: skip
    if point is None:
        raise Forbidden("bad_alarm_key", "unknown or inactive alarm key")
    if open_id is not None:
        return service.get(open_id), False
    body = {"kind": kind, "priority": 1, "lon": point["lon"], "lat": point["lat"],
            "source": "alarm_point", "description": f"一键报警：{point['name_zh']}"}  # fmt: skip
    return service.create(Actor(f"alarm:{point['point_id']}", actor.remote_addr), body,
                          source_ref=point["point_id"])  # fmt: skip

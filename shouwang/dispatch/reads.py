"""Reads of the dispatch records: incident views, lists, response-time frames, exports.

Everything here only reads SQL (and the roster for guard names); the writes
are :class:`shouwang.dispatch.service.DispatchService`'s.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

import pandas as pd
import sqlalchemy as sa

from shouwang.dispatch.rules import ENDED_STATUSES, response_times
from shouwang.i18n import label_of
from shouwang.records.dispatch_tables import assignments, incident_dispatch, incident_events
from shouwang.records.tables import incidents
from shouwang.timeutil import epoch, iso_z, utc
from shouwang.vocab import (
    LIVE_SOURCES,
    AssignmentStatus,
    IncidentKind,
    IncidentSource,
    IncidentStatus,
)

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from live.state.store import LiveStore


class DispatchView(Protocol):
    """What the reads need of the dispatch service (which imports this module)."""

    @property
    def engine(self) -> Engine: ...
    @property
    def store(self) -> LiveStore: ...
    @property
    def ack_timeout_s(self) -> float: ...
    @property
    def clock(self) -> Callable[[], float]: ...


__all__ = [
    "EXPORT_COLUMNS",
    "export_csv",
    "export_frame",
    "export_geojson",
    "incident_views",
    "list_incidents",
    "response_frame",
    "response_stats",
]

_JOINED = incidents.outerjoin(
    incident_dispatch, incident_dispatch.c.incident_id == incidents.c.incident_id
)
_INCIDENT_COLS = [
    *incidents.c,
    *(c for c in incident_dispatch.c if c.name != "incident_id"),
]


def _secs(now: float, since: float | None) -> float | None:
    return None if since is None else round(max(now - since, 0.0), 1)


def _assignment_view(a: dict, names: dict[str, str], now: float, ack_timeout_s: float) -> dict:
    t = {c: epoch(a[c]) for c in ("assigned_at", "acknowledged_at", "en_route_at",
                                  "on_scene_at", "cleared_at", "ended_at")}  # fmt: skip
    view = {
        "assignment_id": a["assignment_id"],
        "guard_id": a["guard_id"],
        "name": names.get(a["guard_id"]),
        "status": a["status"],
        "status_zh": label_of(AssignmentStatus, a["status"]),
        "active": bool(a["active"]),
        "assigned_by": a["assigned_by"],
        **{c: iso_z(v) for c, v in t.items()},
        "eta_s": a["eta_s"],
        "arrival": a["arrival"],
        "timed_out": a["status"] == "timed_out",
        "ack_due_in_s": round(t["assigned_at"] + ack_timeout_s - now, 1)
        if a["status"] == "assigned"
        else None,
        "on_scene_for_s": _secs(now, t["on_scene_at"]) if a["status"] == "on_scene" else None,
    }
    return view


def incident_views(
    service: DispatchView, incident_ids: Sequence[str], *, timeline: bool = True
) -> list[dict[str, Any]]:
    """Full views of incidents (in the given order), as the API answers them."""
    if not incident_ids:
        return []
    now = service.clock()
    ids = list(dict.fromkeys(incident_ids))
    with service.engine.connect() as conn:
        rows = conn.execute(
            sa.select(*_INCIDENT_COLS).select_from(_JOINED).where(incidents.c.incident_id.in_(ids))
        ).mappings().all()  # fmt: skip
        arows = (
            conn.execute(
                sa.select(assignments)
                .where(assignments.c.incident_id.in_(ids))
                .order_by(assignments.c.assigned_at, assignments.c.assignment_id)
            )
            .mappings()
            .all()
        )
        erows = (
            conn.execute(
                sa.select(incident_events)
                .where(incident_events.c.incident_id.in_(ids))
                .order_by(incident_events.c.id)
            ).mappings().all()
            if timeline
            else []
        )  # fmt: skip
    names = {gid: e.name for gid, e in service.store.roster().items()}
    by_incident: dict[str, list[dict]] = {}
    for a in arows:
        by_incident.setdefault(a["incident_id"], []).append(
            _assignment_view(dict(a), names, now, service.ack_timeout_s)
        )
    events: dict[str, list[dict]] = {}
    for e in erows:
        events.setdefault(e["incident_id"], []).append(
            {
                "at": iso_z(epoch(e["at"])),
                "kind": e["kind"],
                "guard_id": e["guard_id"],
                "assignment_id": e["assignment_id"],
                "actor": e["actor"],
                "detail": json.loads(e["detail"] or "{}"),
            }  # fmt: skip
        )
    found = {r["incident_id"]: _incident_view(dict(r), now, service) for r in rows}
    out = []
    for iid in ids:
        if iid not in found:
            continue
        view = found[iid]
        view["assignments"] = by_incident.get(iid, [])
        if timeline:
            view["timeline"] = events.get(iid, [])
        out.append(view)
    return out


def _incident_view(r: dict[str, Any], now: float, service: DispatchView) -> dict[str, Any]:
    status = r["status"]
    created = epoch(r["created_at"]) or epoch(r["occurred_at"])
    first_on_scene = epoch(r["first_on_scene_at"])
    sos = None
    if r.get("sos_guard_id"):
        owner = r["sos_owner"]
        level = int(r["sos_level"] or 0)
        sos = {
            "guard_id": r["sos_guard_id"],
            "owner": owner,
            "owned_at": iso_z(epoch(r["sos_owned_at"])),
            "level": level,
            "escalated": owner is None and level > 0 and status not in ENDED_STATUSES,
            "unacknowledged_for_s": _secs(now, created) if owner is None else None,
        }
    return {
        "incident_id": r["incident_id"],
        "kind": r["kind"],
        "kind_zh": label_of(IncidentKind, r["kind"]),
        "priority": r["priority"],
        "status": status,
        "status_zh": label_of(IncidentStatus, status),
        "source": r["source"],
        "source_zh": label_of(IncidentSource, r["source"]),
        "source_ref": r.get("source_ref"),
        "lon": r["lon"],
        "lat": r["lat"],
        "zone_id": r["zone_id"],
        "unit_id": r["unit_id"],
        "description": r["description"],
        "created_at": iso_z(created),
        "created_by": r.get("created_by"),
        "first_on_scene_at": iso_z(first_on_scene),
        "closed_at": iso_z(epoch(r.get("closed_at"))),
        "unassigned_for_s": _secs(now, epoch(r.get("unassigned_since")))
        if status == "open"
        else None,
        "on_scene_for_s": _secs(now, first_on_scene) if status == "on_scene" else None,
        "offer": json.loads(r["offer"]) if r.get("offer") else None,
        "sos": sos,
    }


def _filtered(
    q: sa.Select[Any],
    *,
    status: Sequence[str] | None = None,
    kind: Sequence[str] | None = None,
    source: Sequence[str] | None = None,
    since: float | None = None,
    until: float | None = None,
    zone: Sequence[str] | None = None,
) -> sa.Select[Any]:
    if status:
        q = q.where(incidents.c.status.in_(status))
    if kind:
        q = q.where(incidents.c.kind.in_(kind))
    q = q.where(incidents.c.source.in_(source or LIVE_SOURCES))
    if since is not None:
        q = q.where(incidents.c.occurred_at >= utc(since))
    if until is not None:
        q = q.where(incidents.c.occurred_at < utc(until))
    if zone:
        q = q.where(incidents.c.zone_id.in_(zone))
    return q


def list_incidents(
    service: DispatchView, *, limit: int = 200, **filters: Any
) -> list[dict[str, Any]]:
    """Incidents newest first, without timelines (filters: status, kind, source, since, until, zone)."""
    q = _filtered(sa.select(incidents.c.incident_id), **filters)
    q = q.order_by(incidents.c.occurred_at.desc(), incidents.c.incident_id).limit(limit)
    with service.engine.connect() as conn:
        ids = list(conn.execute(q).scalars())
    return incident_views(service, ids, timeline=False)


def response_frame(engine: Engine, **filters: Any) -> pd.DataFrame:
    """One row per assignment of the filtered incidents, timestamps as epoch seconds."""
    cols = [
        incidents.c.incident_id, incidents.c.kind, incidents.c.zone_id,
        sa.func.coalesce(incident_dispatch.c.created_at, incidents.c.occurred_at).label("created_at"),
        assignments.c.assigned_at, assignments.c.acknowledged_at, assignments.c.en_route_at,
        assignments.c.on_scene_at,
    ]  # fmt: skip
    q = sa.select(*cols).select_from(
        _JOINED.join(assignments, assignments.c.incident_id == incidents.c.incident_id)
    )
    with engine.connect() as conn:
        rows = conn.execute(_filtered(q, **filters)).mappings().all()
    df = pd.DataFrame(
        [dict(r) for r in rows],
        columns=["incident_id", "kind", "zone_id", "created_at", "assigned_at",
                 "acknowledged_at", "en_route_at", "on_scene_at"],
    )  # fmt: skip
    for c in ("created_at", "assigned_at", "acknowledged_at", "en_route_at", "on_scene_at"):
        df[c] = [_as_epoch(v) for v in df[c]]
    return df


def _as_epoch(v: Any) -> float:
    if v is None or (isinstance(v, float) and v != v):
        return float("nan")
    if isinstance(v, str):  # coalesce() on SQLite comes back as text
        v = datetime.fromisoformat(v)
    return float(epoch(v))


def response_stats(engine: Engine, **filters: Any) -> dict[str, Any]:
    """:func:`shouwang.dispatch.rules.response_times` of the filtered incidents."""
    return response_times(response_frame(engine, **filters))


EXPORT_COLUMNS = [
    "incident_id", "kind", "kind_zh", "priority", "status", "status_zh", "source",
    "source_zh", "created_at", "lon", "lat", "zone_id", "unit_id", "description",
    "first_on_scene_at", "closed_at", "guards",
]  # fmt: skip


def export_frame(engine: Engine, roster_names: dict[str, str], **filters: Any) -> pd.DataFrame:
    """Incidents for export, oldest first, in :data:`EXPORT_COLUMNS`."""
    q = _filtered(sa.select(*_INCIDENT_COLS).select_from(_JOINED), **filters)
    q = q.order_by(incidents.c.occurred_at, incidents.c.incident_id)
    with engine.connect() as conn:
        rows = [dict(r) for r in conn.execute(q).mappings()]
        ids = [r["incident_id"] for r in rows]
        sent: dict[str, list[str]] = {}
        if ids:
            for iid, gid in conn.execute(
                sa.select(assignments.c.incident_id, assignments.c.guard_id)
                .where(assignments.c.incident_id.in_(ids))
                .order_by(assignments.c.assigned_at)
            ):
                sent.setdefault(iid, []).append(gid)
    out = []
    for r in rows:
        out.append(
            {
                "incident_id": r["incident_id"],
                "kind": r["kind"],
                "kind_zh": label_of(IncidentKind, r["kind"]),
                "priority": r["priority"],
                "status": r["status"],
                "status_zh": label_of(IncidentStatus, r["status"]),
                "source": r["source"],
                "source_zh": label_of(IncidentSource, r["source"]),
                "created_at": iso_z(epoch(r["created_at"]) or epoch(r["occurred_at"])),
                "lon": r["lon"],
                "lat": r["lat"],
                "zone_id": r["zone_id"],
                "unit_id": r["unit_id"],
                "description": r["description"],
                "first_on_scene_at": iso_z(epoch(r["first_on_scene_at"])),
                "closed_at": iso_z(epoch(r["closed_at"])),
                "guards": ";".join(
                    f"{g} {roster_names.get(g, '')}".strip()
                    for g in dict.fromkeys(sent.get(r["incident_id"], []))
                ),
            }
        )
    return pd.DataFrame(out, columns=EXPORT_COLUMNS)


def export_csv(frame: pd.DataFrame) -> str:
    """CSV text with a UTF-8 byte-order mark, so Excel shows the Chinese labels."""
    buf = io.StringIO()
    buf.write("\ufeff")
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(EXPORT_COLUMNS)
    for row in frame.itertuples(index=False):
        writer.writerow(["" if v is None or (isinstance(v, float) and v != v) else v for v in row])
    return buf.getvalue()


def export_geojson(frame: pd.DataFrame) -> dict:
    """A FeatureCollection of Points (WGS-84) with every export column but lon/lat."""
    props = [c for c in EXPORT_COLUMNS if c not in ("lon", "lat")]
    features = []
    for rec in frame.to_dict("records"):
        features.append(
            {
                "type": "Feature",
                "id": rec["incident_id"],
                "geometry": {"type": "Point", "coordinates": [rec["lon"], rec["lat"]]},
                "properties": {c: (None if pd.isna(rec[c]) else rec[c]) for c in props},
            }
        )
    return {"type": "FeatureCollection", "features": features}

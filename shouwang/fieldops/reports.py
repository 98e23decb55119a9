"""Guard reports 上报线索/隐患: a clue or a hazard, text and an optional photo.

Photos are checked by their first bytes (JPEG, PNG or WebP; the file name
and the browser's content type are not trusted) and size (``MAX_PHOTO_BYTES``,
5 MB), written under ``STATE_DIR/photos/YYYY/MM/`` and described in SQL
(``guard_reports``). Nothing is stored when any check fails; a photo whose
row could not be written is removed again. The report carries the guard's
latest fix as its place.
"""

from __future__ import annotations

import hashlib
import os
import uuid
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import IO, Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from live.state.store import LiveStore
from shouwang.errors import InvalidInput, NotFound, TooLarge
from shouwang.i18n import label_of
from shouwang.records.audit import write_entry as write_audit
from shouwang.records.fieldops_tables import guard_reports
from shouwang.timeutil import iso, utc
from shouwang.vocab import EventType, ReportKind

__all__ = ["KINDS", "MAX_PHOTO_BYTES", "MAX_TEXT_CHARS", "ReportService", "sniff_image"]

KINDS: tuple[ReportKind, ...] = tuple(ReportKind)
MAX_PHOTO_BYTES = 5 * 1024 * 1024
MAX_TEXT_CHARS = 2000
_EXT = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp"}


def sniff_image(head: bytes) -> str | None:
    """The image type from a file's first bytes: image/jpeg, image/png, image/webp or None."""
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if len(head) >= 12 and head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    return None


class ReportService:
    """Store and list guard reports.

    Parameters
    ----------
    engine
        Records database.
    store
        Live store (the guard's latest fix; events).
    photo_dir
        Folder for photos (``STATE_DIR/photos``).
    clock
        Epoch seconds.
    """

    def __init__(
        self,
        engine: Engine,
        store: LiveStore,
        photo_dir: Path,
        *,
        clock: Callable[[], float],
    ) -> None:
        self.engine, self.store, self.clock = engine, store, clock
        self.photo_dir = Path(photo_dir)

    def create(
        self,
        guard_id: str,
        *,
        kind: str,
        text: str,
        photo: IO[bytes] | None = None,
        remote_addr: str = "",
    ) -> dict[str, Any]:
        """Check and store a report; returns it as :meth:`get` would.

        Raises
        ------
        DomainError
            TooLarge when the photo is larger than 5 MB, else InvalidInput, listing every
            problem (kind, text, photo type); nothing is stored.
        """
        problems = []
        if kind not in KINDS:
            problems.append({"field": "kind", "problem": "must be clue or hazard"})
        text = (text or "").strip()
        if not text:
            problems.append({"field": "text", "problem": "is required"})
        elif len(text) > MAX_TEXT_CHARS:
            problems.append({"field": "text", "problem": f"at most {MAX_TEXT_CHARS} characters"})
        data, mime, too_big = b"", None, False
        if photo is not None:
            data = photo.read(MAX_PHOTO_BYTES + 1)
            if len(data) > MAX_PHOTO_BYTES:
                too_big = True
                problems.append({"field": "photo", "problem": "larger than 5 MB"})
            elif not data:
                problems.append({"field": "photo", "problem": "is empty"})
            else:
                mime = sniff_image(data[:16])
                if mime is None:
                    problems.append(
                        {"field": "photo", "problem": "must be a JPEG, PNG or WebP image"}
                    )
        if problems:
            if too_big:
                raise TooLarge("payload_too_large", "invalid report", problems)
            raise InvalidInput("invalid_request", "invalid report", problems)

        now = self.clock()
        rid = f"RP-{uuid.uuid4().hex[:12]}"
        fix = self.store.previous_fixes([guard_id])[0]
        rel = path = None
        if mime is not None:
            stamp = utc(now).strftime("%Y/%m")
            rel = f"{stamp}/{rid}.{_EXT[mime]}"
            path = self.photo_dir / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(".part")
            tmp.write_bytes(data)
            os.replace(tmp, path)  # never a half-written photo under its real name
        row = {
            "report_id": rid, "guard_id": guard_id, "kind": kind, "text": text,
            "lon": fix.lon if fix else None, "lat": fix.lat if fix else None,
            "created_at": utc(now), "photo_path": rel, "photo_type": mime,
            "photo_bytes": len(data) if mime else None,
            "photo_sha256": hashlib.sha256(data).hexdigest() if mime else None,
        }  # fmt: skip
        try:
            with self.engine.begin() as conn:
                conn.execute(guard_reports.insert().values(**row))
                write_audit(
                    conn, at=now, actor=f"guard:{guard_id}", action="report.create",
                    target=f"report:{rid}", detail={"kind": kind, "photo": bool(mime)},
                    remote_addr=remote_addr,
                )  # fmt: skip
        except BaseException:
            if path is not None:
                path.unlink(missing_ok=True)
            raise
        body = self._body(row)
        self.store.publish(
            {"type": EventType.REPORT, **{k: body[k] for k in ("report_id", "guard_id", "kind", "lon",
                                                        "lat", "created_at", "has_photo")},
             "text": text[:200]}
        )  # fmt: skip
        return body

    @staticmethod
    def _body(row: Any) -> dict[str, Any]:
        r = dict(row)
        return {
            "report_id": r["report_id"],
            "guard_id": r["guard_id"],
            "kind": r["kind"],
            "kind_zh": label_of(ReportKind, r["kind"]),
            "text": r["text"],
            "lon": r["lon"],
            "lat": r["lat"],
            "created_at": iso(r["created_at"]),
            "has_photo": r["photo_path"] is not None,
            "photo_type": r["photo_type"],
            "photo_bytes": r["photo_bytes"],
            "photo_url": f"/api/v1/reports/{r['report_id']}/photo" if r["photo_path"] else None,
        }

    def get(self, report_id: str) -> dict[str, Any]:
        """One report. Raises NotFound."""
        with self.engine.connect() as conn:
            row = conn.execute(
                sa.select(guard_reports).where(guard_reports.c.report_id == report_id)
            ).first()
        if row is None:
            raise NotFound("not_found", f"no report {report_id!r}")
        return self._body(row._mapping)

    def photo(self, report_id: str) -> tuple[Path, str]:
        """The photo file of a report and its type. Raises NotFound."""
        with self.engine.connect() as conn:
            row = conn.execute(
                sa.select(guard_reports.c.photo_path, guard_reports.c.photo_type).where(
                    guard_reports.c.report_id == report_id
                )
            ).first()
        if row is None or row.photo_path is None:
            raise NotFound("not_found", f"report {report_id!r} has no photo")
        path = (self.photo_dir / row.photo_path).resolve()
        if self.photo_dir.resolve() not in path.parents or not path.is_file():
            raise NotFound("not_found", f"the photo of {report_id!r} is gone")
        return path, row.photo_type

    def in_period(
        self,
        start: datetime,
        end: datetime,
        *,
        guard_id: str | None = None,
        kind: str | None = None,
        limit: int = 500,
    ) -> list[dict[str, Any]]:
        """Reports made in ``[start, end)``, newest first."""
        c = guard_reports.c
        query = sa.select(guard_reports).where(c.created_at >= start, c.created_at < end)
        if guard_id:
            query = query.where(c.guard_id == guard_id)
        if kind:
            query = query.where(c.kind == kind)
        with self.engine.connect() as conn:
            rows = conn.execute(query.order_by(c.created_at.desc()).limit(limit)).all()
        return [self._body(r._mapping) for r in rows]

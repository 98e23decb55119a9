"""Guard reports: photos checked by content and size; nothing stored on refusal."""

from __future__ import annotations

import io
from pathlib import Path

import sqlalchemy as sa

from shouwang.fieldops.reports import MAX_PHOTO_BYTES
from shouwang.records.fieldops_tables import guard_reports
from tests.fieldops.test_fieldops_helpers import at_post, put_on_duty, sign_in

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + bytes(2000)
PNG = b"\x89PNG\r\n\x1a\n" + bytes(500)


def _photos(ctx) -> list[Path]:
    root = ctx.settings.state_dir / "photos"
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def _rows(ctx, guard_id: str) -> int:
    with ctx.engine.connect() as conn:
        return conn.execute(
            sa.select(sa.func.count())
            .select_from(guard_reports)
            .where(guard_reports.c.guard_id == guard_id)
        ).scalar_one()


def _post(client, headers, *, kind="hazard", text="消防通道被堵", photo=None, name="p.jpg"):
    data = {"kind": kind, "text": text}
    if photo is not None:
        data["photo"] = (io.BytesIO(photo), name)
    return client.post(
        "/api/v1/reports", data=data, headers=headers, content_type="multipart/form-data"
    )


def test_good_report_with_photo_is_stored_and_listed(ctx, client, clock):
    put_on_duty(ctx, client, clock, {"G007": at_post(ctx, "G007")})
    headers = sign_in(client, ctx, "G007")
    resp = _post(client, headers, photo=JPEG, name="IMG_0001.HEIC")  # the name is not trusted
    assert resp.status_code == 201, resp.get_json()
    body = resp.get_json()
    assert body["photo_type"] == "image/jpeg" and body["photo_bytes"] == len(JPEG)
    assert body["kind_zh"] == "隐患" and body["lon"] is not None
    files = _photos(ctx)
    assert len(files) == 1 and files[0].read_bytes() == JPEG and files[0].suffix == ".jpg"
    photo = client.get(body["photo_url"])
    assert photo.status_code == 200 and photo.data == JPEG and photo.mimetype == "image/jpeg"

    clock.advance(5)
    clue = _post(client, headers, kind="clue", text="可疑人员在车棚附近徘徊")
    assert clue.status_code == 201 and clue.get_json()["has_photo"] is False
    clock.advance(5)
    png = _post(client, headers, kind="clue", text="破损围墙", photo=PNG, name="x.png")
    assert png.status_code == 201 and png.get_json()["photo_type"] == "image/png"
    listed = client.get("/api/v1/reports?guard_id=G007").get_json()["reports"]
    assert [r["kind"] for r in listed] == ["clue", "clue", "hazard"]  # newest first
    assert (
        client.get("/api/v1/reports?kind=hazard&guard_id=G007").get_json()["reports"][0][
            "report_id"
        ]
        == body["report_id"]
    )


def test_bad_photos_store_nothing(ctx, client, clock):
    headers = sign_in(client, ctx, "G008")
    too_big = _post(client, headers, photo=JPEG[:20] + bytes(MAX_PHOTO_BYTES))
    assert too_big.status_code == 413
    assert too_big.get_json()["error"]["details"][0]["field"] == "photo"
    far_too_big = _post(client, headers, photo=JPEG[:20] + bytes(MAX_PHOTO_BYTES * 2))
    assert far_too_big.status_code == 413 and "error" in far_too_big.get_json()
    gif = _post(client, headers, photo=b"GIF89a" + bytes(100), name="a.jpg")
    assert gif.status_code == 400
    assert "JPEG, PNG or WebP" in gif.get_json()["error"]["details"][0]["problem"]
    everything = _post(client, headers, kind="rumour", text="", photo=b"<html>", name="a.png")
    assert everything.status_code == 400
    fields = [d["field"] for d in everything.get_json()["error"]["details"]]
    assert fields == ["kind", "text", "photo"]
    assert _photos(ctx) == [] and _rows(ctx, "G008") == 0

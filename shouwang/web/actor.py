"""The one reader of the acting user: the ``X-Actor`` request header.

Until login exists the dispatcher (or the guard page, ``guard:<id>``) names
itself in ``X-Actor``. HTTP header values are latin-1 on the wire, so the
rule is: **the header is percent-encoded UTF-8** (what ``encodeURIComponent``
or ``urllib.parse.quote`` give, e.g. ``%E5%BC%A0%E8%AD%A6%E5%AE%98`` for
张警官). A client that sends the UTF-8 bytes raw is still read correctly: the
server sees them as latin-1 text, which is turned back into the bytes and
decoded as UTF-8 before the percent-decoding.
"""

from __future__ import annotations

from urllib.parse import unquote

from flask import request

from shouwang.records.audit import Actor, actor_name

__all__ = ["HEADER", "actor_from_request", "actor_name_from_request", "decode_actor"]

HEADER = "X-Actor"


def decode_actor(raw: str) -> str:
    """The name carried by one ``X-Actor`` value (percent-encoded or raw UTF-8)."""
    try:  # raw UTF-8 bytes arrive as latin-1 text
        raw = raw.encode("latin-1").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        pass  # already text (a test client), or really latin-1
    return actor_name(unquote(raw.strip()))


def actor_name_from_request() -> str:
    """The acting user's name of the current request, ``""`` when none is given."""
    return decode_actor(request.headers.get(HEADER, ""))


def actor_from_request() -> Actor:
    """The acting user of the current request and its address (``anonymous`` by default)."""
    return Actor(actor_name_from_request() or "anonymous", request.remote_addr)

"""The one family of refusals the product raises, named by meaning, not by HTTP status.

Services (dispatch, field operations, guard sign-in) and the web edge raise
these; :mod:`shouwang.web.errors` is the only place that maps a kind to an
HTTP status and writes the one JSON error shape. The dashboard catches the
same errors and words them for the dispatcher.

Every error carries a stable machine-readable ``code`` (``invalid_request``,
``guard_busy``…), a human ``message``, ``details`` (every problem found, each
``{"field", "problem"}`` plus optional members) and ``extra`` members that
join the error object (``candidates`` for ``guard_busy``, ``owner`` for
``sos_owned``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

__all__ = [
    "Conflict",
    "DomainError",
    "Forbidden",
    "InvalidInput",
    "NotFound",
    "TooLarge",
    "TooManyAttempts",
    "Unauthenticated",
]


def _detail(d: Any) -> dict[str, Any]:
    # Decoders hand over FieldError objects (live.fixes); this bottom layer
    # may not import them, so anything with ``as_dict`` is taken as one.
    return d.as_dict() if hasattr(d, "as_dict") else dict(d)


class DomainError(Exception):
    """A request the product refuses.

    Parameters
    ----------
    code
        Stable machine-readable code, e.g. ``invalid_request``, ``not_found``.
    message
        Human-readable summary.
    details
        Every problem found, each ``{"field", "problem"}`` (more members allowed).
    **extra
        Members added to the error object next to ``code`` and ``message``.
    """

    def __init__(
        self,
        code: str,
        message: str,
        details: Iterable[Mapping[str, Any] | Any] = (),
        **extra: Any,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.details: list[dict[str, Any]] = [_detail(d) for d in details]
        self.extra: dict[str, Any] = extra


class InvalidInput(DomainError):
    """The request itself is wrong: a missing or malformed field, a bad value."""


class Unauthenticated(DomainError):
    """Nobody is signed in, or the credentials or token are not good."""


class Forbidden(DomainError):
    """The caller is known but may not do this (unknown device, not called…)."""


class NotFound(DomainError):
    """The named thing does not exist."""


class Conflict(DomainError):
    """The request is well-formed but the current state refuses it."""


class TooLarge(DomainError):
    """The request (e.g. a photo) is larger than allowed."""


class TooManyAttempts(DomainError):
    """Locked out after too many failures; ``retry_after_s`` says for how long."""

    def __init__(self, code: str, message: str, retry_after_s: int) -> None:
        super().__init__(code, message, [{"field": "retry_after_s", "problem": str(retry_after_s)}])
        self.retry_after_s = retry_after_s

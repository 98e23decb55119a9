"""The one error the field-operations services raise (translated to JSON at the web edge)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

__all__ = ["FieldOpsError"]


class FieldOpsError(Exception):
    """A request the field-operations services refuse.

    Attributes mirror the API error shape: ``status``, ``code``, ``message``,
    ``details`` (each ``{"field", "problem"}``).
    """

    def __init__(
        self, status: int, code: str, message: str, details: Sequence[Mapping[str, str]] = ()
    ) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message
        self.details = [dict(d) for d in details]

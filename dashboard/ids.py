"""Component ids of every page, in one place.

``assets/wall.js`` finds the wall's elements through the ids it is handed in
the wall's config element (``data-shouwang-wall``), so renaming an id here
needs no change in the script.
"""

from collections.abc import Mapping
from enum import StrEnum
from typing import Any


def attrs(values: Mapping[str, object]) -> dict[str, Any]:
    """``data-*`` attributes for a component: ``html.Div(..., **attrs({"data-zone": z}))``.

    Dash's typed signatures cannot name hyphenated attributes; this states
    that they are extra keywords rather than one of the named properties.
    """
    return dict(values)


class Ids(StrEnum):
    """The app shell: router, language, top bar."""

    URL = "url"
    PAGE = "page"
    LANG = "lang"
    LANG_BUTTON = "lang-button"
    TITLE = "title"
    ERROR = "page-error"


class OverviewIds(StrEnum):
    COUNTS = "overview-counts"
    REFRESH = "overview-refresh"


class WallIds(StrEnum):
    MAP = "wall-map"
    CONFIG = "wall-config"
    BANNER = "wall-banner"
    CLOCK = "wall-clock"
    DATE = "wall-date"
    NEWEST = "wall-newest"
    ZONES = "wall-zones"
    ALARMS = "wall-alarms"
    SIGNAL_LOST = "wall-signal-lost"
    ERROR = "wall-error"
    CLIENT_ERROR = "wall-client-error"
    REFRESH = "wall-refresh"
    INCIDENTS = "wall-incidents"  # JSON of open incidents and SOS for wall.js (dispatch workflow)
    INCIDENT_LIST = "wall-incident-list"
    SOS_BANNER = "wall-sos-banner"


class CoverageIds(StrEnum):
    """The coverage review page (``/coverage``)."""

    REACH = "coverage-reach"
    RADIUS = "coverage-radius"
    WALK = "coverage-walk"
    WHEN = "coverage-when"
    AT = "coverage-at"
    METHOD = "coverage-method"
    STATUS = "coverage-status"
    TABLE = "coverage-table"
    BAR = "coverage-bar"
    MAP = "coverage-map"
    MAP_ERROR = "coverage-map-error"
    HEAT_MODE = "coverage-heat-mode"
    RESET = "coverage-reset"
    FOCUS = "coverage-focus"
    COVERAGE_DATA = "coverage-data"
    HEAT_DATA = "coverage-heat-data"
    KINDS = "coverage-kinds"
    PERIOD = "coverage-period"
    HOUR_FROM = "coverage-hour-from"
    HOUR_TO = "coverage-hour-to"
    HEAT_STATUS = "coverage-heat-status"
    TOP_UNITS = "coverage-top-units"
    HOT_UNIT = "coverage-hot-unit"  # pattern-matching id type: {"type": HOT_UNIT, "unit": "U07"}
    SHARE = "coverage-share"
    RESPONSE_KINDS = "coverage-response-kinds"
    RESPONSE_STATUS = "coverage-response-status"
    RESPONSE_WRAP = "coverage-response-wrap"
    RESPONSE = "coverage-response"


class DispatchIds(StrEnum):
    """The dispatch console (``/dispatch``)."""

    MAP = "dsp-map"
    CONFIG = "dsp-config"
    ERROR = "dsp-error"
    MESSAGE = "dsp-message"
    ACTOR = "dsp-actor"
    CLICK = "dsp-click"  # written by assets/dispatch.js on a map click
    POINT = "dsp-point"
    PLACE = "dsp-place"
    POINT_TEXT = "dsp-point-text"
    KIND = "dsp-kind"
    PRIORITY = "dsp-priority"
    DESCRIPTION = "dsp-description"
    CREATE = "dsp-create"
    INCIDENTS = "dsp-incidents"  # RadioItems: the open incidents; its value is the selection
    LIST_EMPTY = "dsp-list-empty"
    DETAIL = "dsp-detail"
    CLOSE = "dsp-close"
    CANCEL = "dsp-cancel"
    MODE = "dsp-mode"
    CANDS = "dsp-cands"
    CANDS_BUMP = "dsp-cands-bump"
    CANDS_TARGET = "dsp-cands-target"
    CANDS_NOTE = "dsp-cands-note"
    PICK = "dsp-pick"
    RECANDS = "dsp-recands"
    SEND = "dsp-send"
    SOS = "dsp-sos"
    TICK = "dsp-tick"
    MAP_TICK = "dsp-map-tick"
    CLOCK = "dsp-clock"
    CLOCK_SINK = "dsp-clock-sink"
    SIG = "dsp-sig"
    OPS_SIG = "dsp-ops-sig"
    BUMP = "dsp-bump"
    RF_HOW = "dsp-rf-how"
    RF_VALUE = "dsp-rf-value"
    RF_SCOPE = "dsp-rf-scope"
    RF_START = "dsp-rf-start"
    RF_ID = "dsp-rf-id"
    RF_RESULT = "dsp-rf-result"
    RF_COUNTS = "dsp-rf-counts"
    RC_ZONE = "dsp-rc-zone"
    RC_START = "dsp-rc-start"
    RC_ID = "dsp-rc-id"
    RC_RESULT = "dsp-rc-result"
    RC_SUMMARY = "dsp-rc-summary"
    EXPORT = "dsp-export"

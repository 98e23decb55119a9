"""Component ids of every page, in one place.

``assets/wall.js`` finds the wall's elements through the ids it is handed in
the wall's config element (``data-shouwang-wall``), so renaming an id here
needs no change in the script.
"""

from enum import StrEnum


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

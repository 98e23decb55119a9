"""Component ids, in one place."""

from enum import StrEnum


class Ids(StrEnum):
    MAP = "live-map"
    REFRESH = "live-refresh"
    SUMMARY = "live-summary"
    LANG = "lang"
    LANG_BUTTON = "lang-button"
    TITLE = "title"
    ERROR = "page-error"

"""The one string catalogue: pages, API labels and the guard page's script.

zh-CN first, English as a switch. Look strings up with :func:`t` (by catalogue
key) or :func:`label` (a :mod:`shouwang.vocab` member, keyed
``<vocabulary>.<code>``); a key missing from a language falls back to zh-CN.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum

from shouwang.i18n.domain import DOMAIN, PREFIXES
from shouwang.i18n.guard import GUARD
from shouwang.i18n.pages import PAGES

__all__ = [
    "CATALOGUE",
    "DEFAULT_LANGUAGE",
    "LANGUAGES",
    "PREFIXES",
    "key_of",
    "label",
    "label_of",
    "strings",
    "t",
]

LANGUAGES = ("zh", "en")
DEFAULT_LANGUAGE = "zh"

CATALOGUE: dict[str, dict[str, str]] = {**PAGES, **DOMAIN, **GUARD}
assert len(CATALOGUE) == len(PAGES) + len(DOMAIN) + len(GUARD), "a key is defined twice"


def t(key: str, lang: str = DEFAULT_LANGUAGE) -> str:
    """The string ``key`` in ``lang`` (zh-CN when missing); KeyError for an unknown key."""
    entry = CATALOGUE[key]
    return entry.get(lang) or entry[DEFAULT_LANGUAGE]


def key_of(member: StrEnum) -> str:
    """The catalogue key of a vocabulary member: ``incident_kind.burglary``."""
    return f"{PREFIXES[type(member)]}.{member.value}"


def label(member: StrEnum, lang: str = DEFAULT_LANGUAGE) -> str:
    """The label of a vocabulary member in ``lang``."""
    return t(key_of(member), lang)


def label_of(vocab: type[StrEnum], code: str | None, lang: str = DEFAULT_LANGUAGE) -> str:
    """The label of a stored ``code`` of ``vocab``; an unknown code shows as itself, None as ""."""
    if code is None:
        return ""
    try:
        member = vocab(code)
    except ValueError:
        return str(code)
    return label(member, lang)


def strings(prefixes: Iterable[str], lang: str = DEFAULT_LANGUAGE) -> dict[str, str]:
    """Every string whose key starts with one of ``prefixes``, in ``lang`` (for a page script)."""
    starts = tuple(prefixes)
    return {key: t(key, lang) for key in CATALOGUE if key.startswith(starts)}

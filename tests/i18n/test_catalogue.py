"""The one catalogue: every code labelled in both languages, every page string present."""

from __future__ import annotations

import re
from enum import StrEnum
from pathlib import Path

import pytest

import shouwang.vocab as vocab
from shouwang.i18n import CATALOGUE, LANGUAGES, PREFIXES, key_of, label, label_of, strings, t
from shouwang.vocab import EventType, GuardStatus, IncidentKind
from shouwang.web.guardpage import SCRIPT_STRINGS

WEB = Path(__file__).resolve().parents[2] / "shouwang" / "web"
#: Codes no person reads: they need no label.
UNLABELLED = {EventType}


def vocabularies() -> list[type[StrEnum]]:
    return [
        v
        for v in vars(vocab).values()
        if isinstance(v, type) and issubclass(v, StrEnum) and v is not StrEnum
    ]


def test_every_vocabulary_member_has_a_chinese_and_an_english_label():
    labelled = [v for v in vocabularies() if v not in UNLABELLED]
    assert set(labelled) == set(PREFIXES)
    missing = [
        (key_of(m), lang)
        for enum in labelled
        for m in enum
        for lang in LANGUAGES
        if not CATALOGUE.get(key_of(m), {}).get(lang)
    ]
    assert missing == []


def test_every_string_exists_in_every_language():
    missing = [(k, lang) for k, v in CATALOGUE.items() for lang in LANGUAGES if not v.get(lang)]
    assert missing == []


def test_lookups():
    assert key_of(IncidentKind.BURGLARY) == "incident_kind.burglary"
    assert label(IncidentKind.BURGLARY) == "入室盗窃"
    assert label(GuardStatus.PATROLLING, "en") == "Patrolling"
    assert label_of(IncidentKind, "fraud", "en") == "Fraud"
    assert label_of(IncidentKind, "arson") == "arson"  # an unknown code shows as itself
    assert label_of(IncidentKind, None) == ""
    assert t("app.title", "fr") == t("app.title", "zh")  # a missing language falls back
    with pytest.raises(KeyError):
        t("no.such.key")


def test_the_guard_page_and_its_script_use_only_catalogue_keys():
    script = (WEB / "static" / "guard" / "guard.js").read_text(encoding="utf-8")
    template = (WEB / "templates" / "guard.html").read_text(encoding="utf-8")
    sent = strings(SCRIPT_STRINGS)
    used = set(re.findall(r'T\("([\w.]+)"\s*[,)]', script))
    used |= set(re.findall(r'"((?:guard|reinforcement_answer)\.[\w.]*\w)"', script))
    assert used and used <= set(sent), used - set(sent)
    # keys the script builds from a status code
    for prefix in ("guard.task.status.", "guard.task.step."):
        assert prefix in script and any(k.startswith(prefix) for k in sent)
    in_template = set(re.findall(r"t\('([\w.]+)'\)", template))
    assert in_template and in_template <= set(CATALOGUE), in_template - set(CATALOGUE)
    # no Chinese text of its own is left in the script
    assert not re.search(r"[\u4e00-\u9fff]", script)

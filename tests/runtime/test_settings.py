"""Settings are declared once and all documented in the README."""

from __future__ import annotations

import re

import pytest

from shouwang.settings import DECLARED, ROOT, SettingsError, load_settings


def readme_settings() -> set[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## Settings", 1)[1].split("\n## ", 1)[0]
    return set(re.findall(r"^\|\s*`([A-Z0-9_]+)`", section, flags=re.MULTILINE))


def test_every_setting_is_in_the_readme_table():
    declared = {s.name for s in DECLARED}
    documented = readme_settings()
    assert declared - documented == set(), "settings missing from the README"
    assert documented - declared == set(), "README documents settings that do not exist"


def test_every_setting_has_help():
    assert all(s.help.strip() for s in DECLARED)


def test_environment_is_parsed_and_all_problems_reported():
    s = load_settings({"PORT": "9000", "SIMULATE": "0", "SIGNAL_LOST_AFTER_S": "60"})
    assert (s.PORT, s.SIMULATE, s.SIGNAL_LOST_AFTER_S) == (9000, False, 60.0)
    with pytest.raises(SettingsError) as err:
        load_settings({"PORT": "eighty", "SIMULATE": "maybe"})
    assert "PORT" in str(err.value) and "SIMULATE" in str(err.value)


def test_default_database_is_sqlite_under_state_dir(tmp_path):
    s = load_settings({"STATE_DIR": str(tmp_path)})
    assert s.database_url == f"sqlite:///{tmp_path}/shouwang.sqlite3"
    assert s.REDIS_URL is None

"""Every user-visible string, zh-CN first, English as a switch.

Look strings up with :func:`t`; a key missing from a language falls back to
zh-CN, and ``tests/test_i18n.py`` checks both languages have every key.
"""

from __future__ import annotations

LANGUAGES = ("zh", "en")
DEFAULT_LANGUAGE = "zh"

CATALOGUE: dict[str, dict[str, str]] = {
    "app.title": {"zh": "守望 · 联勤联防实时地图", "en": "Shouwang · joint-defence live map"},
    "app.subtitle": {"zh": "洋河新区联防试点", "en": "Yanghe new district pilot"},
    "status.on_post": {"zh": "在岗", "en": "On post"},
    "status.patrolling": {"zh": "巡逻中", "en": "Patrolling"},
    "status.dispatched": {"zh": "已派出", "en": "Dispatched"},
    "status.off_duty": {"zh": "不在班", "en": "Off duty"},
    "status.signal_lost": {"zh": "信号丢失", "en": "Signal lost"},
    "layer.zones": {"zh": "联防区域", "en": "Joint-defence zones"},
    "layer.units": {"zh": "保安从业单位", "en": "Security units"},
    "layer.streets": {"zh": "街道", "en": "Streets"},
    "summary.guards": {"zh": "保安员", "en": "Guards"},
    "summary.on_duty": {"zh": "在班", "en": "On duty"},
    "summary.newest_fix": {"zh": "最新定位", "en": "Newest fix"},
    "summary.none": {"zh": "暂无", "en": "none yet"},
    "hover.guard": {"zh": "保安员", "en": "Guard"},
    "hover.unit": {"zh": "单位", "en": "Unit"},
    "hover.status": {"zh": "状态", "en": "Status"},
    "hover.battery": {"zh": "电量", "en": "Battery"},
    "hover.age": {"zh": "距上次定位", "en": "Since last fix"},
    "lang.switch": {"zh": "English", "en": "中文"},
    "error.load": {"zh": "数据加载失败：", "en": "Could not load data: "},
    "unit_kind.government": {"zh": "机关单位", "en": "Government office"},
    "unit_kind.residential": {"zh": "住宅小区", "en": "Residential compound"},
    "unit_kind.school": {"zh": "学校", "en": "School"},
    "unit_kind.liquor": {"zh": "白酒企业", "en": "Liquor company"},
    "unit_kind.commercial": {"zh": "商业场所", "en": "Commercial venue"},
}


def t(key: str, lang: str = DEFAULT_LANGUAGE) -> str:
    """The string ``key`` in ``lang`` (zh-CN when missing)."""
    entry = CATALOGUE[key]
    return entry.get(lang) or entry[DEFAULT_LANGUAGE]

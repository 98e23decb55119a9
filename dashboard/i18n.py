"""Every user-visible string, zh-CN first, English as a switch.

Look strings up with :func:`t`; a key missing from a language falls back to
zh-CN, and ``tests/test_dashboard.py`` checks both languages have every key.
"""

from __future__ import annotations

LANGUAGES = ("zh", "en")
DEFAULT_LANGUAGE = "zh"

CATALOGUE: dict[str, dict[str, str]] = {
    # --- the app shell
    "app.title": {"zh": "守望 · 联勤联防", "en": "Shouwang · joint defence"},
    "app.subtitle": {"zh": "洋河新区联防试点", "en": "Yanghe new district pilot"},
    "lang.switch": {"zh": "English", "en": "中文"},
    "nav.overview": {"zh": "总览", "en": "Overview"},
    "nav.wall": {"zh": "值班大屏", "en": "Map wall"},
    "nav.dispatch": {"zh": "调度台", "en": "Dispatch"},
    "nav.coverage": {"zh": "覆盖分析", "en": "Coverage"},
    "nav.coming": {"zh": "即将推出", "en": "coming soon"},
    "page.not_found": {"zh": "没有这个页面：", "en": "No such page: "},
    "page.back": {"zh": "返回总览", "en": "Back to the overview"},
    "error.load": {"zh": "数据加载失败：", "en": "Could not load data: "},
    "error.page": {
        "zh": "页面出错，请稍后刷新；若持续出现请联系管理员。",
        "en": "This page hit an error; refresh in a moment, and tell the administrator "
        "if it persists.",
    },
    "error.detail": {"zh": "详情：", "en": "Detail: "},
    # --- the overview page
    "overview.intro": {
        "zh": "民警与物业保安联勤联防：实时位置、调度与督导。",
        "en": "Police and property guards in joint defence: live positions, dispatch and "
        "supervision.",
    },
    "overview.wall": {
        "zh": "全屏大屏：五个联防区域、每名保安员的实时状态与一键报警。",
        "en": "Full-screen wall: the five zones, every guard's live status and SOS alarms.",
    },
    "overview.dispatch": {
        "zh": "警情调度：就近派出在班保安员，区域增援与点名。",
        "en": "Incident dispatch: send the nearest guards on duty, zone reinforcement, roll call.",
    },
    "overview.coverage": {
        "zh": "覆盖分析：各区域无人可及的空白点与在岗率。",
        "en": "Coverage review: where no guard is within reach, on-post rates.",
    },
    "overview.now": {"zh": "此刻", "en": "Right now"},
    # --- statuses
    "status.on_post": {"zh": "在岗", "en": "On post"},
    "status.patrolling": {"zh": "巡逻中", "en": "Patrolling"},
    "status.dispatched": {"zh": "已派出", "en": "Dispatched"},
    "status.off_duty": {"zh": "不在班", "en": "Off duty"},
    "status.signal_lost": {"zh": "信号丢失", "en": "Signal lost"},
    "status.sos": {"zh": "一键报警", "en": "SOS alarm"},
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
    "unit.min": {"zh": "分钟", "en": "min"},
    # --- the map wall
    "wall.title": {"zh": "值班大屏", "en": "Duty map wall"},
    "wall.clock": {"zh": "时间", "en": "Time"},
    "wall.live_lost": {
        "zh": "实时数据中断，正在重新连接…",
        "en": "Live feed lost, reconnecting…",
    },
    "wall.zones": {"zh": "联防区域", "en": "Joint-defence zones"},
    "wall.col.zone": {"zh": "区域", "en": "Zone"},
    "wall.col.on_duty": {"zh": "在班", "en": "On duty"},
    "wall.col.on_post": {"zh": "在岗率", "en": "On post"},
    "wall.col.alarms": {"zh": "报警", "en": "Alarms"},
    "wall.col.coverage": {"zh": "覆盖率", "en": "Coverage"},
    "wall.coverage_note": {
        "zh": "覆盖率：在班保安员300米直线范围内的区域面积占比，每30秒更新。",
        "en": "Coverage: share of the zone within 300 m (straight line) of a guard on duty, "
        "updated every 30 s.",
    },
    "wall.alarms": {"zh": "报警与警情", "en": "Alarms and incidents"},
    "wall.no_alarms": {"zh": "无未处理报警", "en": "No open alarms"},
    "wall.alarm_since": {"zh": "已持续", "en": "open for"},
    "wall.signal_lost": {"zh": "信号丢失", "en": "Signal lost"},
    "wall.no_signal_lost": {"zh": "在班人员信号均正常", "en": "Every guard on duty is reporting"},
    "wall.never_reported": {"zh": "未上报定位", "en": "no fix yet"},
    "wall.more": {"zh": "另有 {n} 人", "en": "and {n} more"},
    "wall.total": {"zh": "合计", "en": "Total"},
    # --- unit kinds
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

"""zh-CN labels of the dispatch workflow's codes, in one place.

The API answers with stable English codes (``burglary``, ``on_scene``); pages,
exports and bulletins show these labels. The seven preventable kinds come
from :mod:`geo.heat` so the heat map and the dispatch console name them alike.
"""

from __future__ import annotations

from geo.heat import KIND_LABELS_ZH as PREVENTABLE_KIND_LABELS_ZH

__all__ = [
    "ASSIGNMENT_STATUS_LABELS_ZH",
    "AVAILABILITY_LABELS_ZH",
    "INCIDENT_KIND_LABELS_ZH",
    "INCIDENT_STATUS_LABELS_ZH",
    "SOURCE_LABELS_ZH",
    "label",
]

#: Every incident kind: the seven preventable ones first, then the others.
INCIDENT_KIND_LABELS_ZH: dict[str, str] = {
    **PREVENTABLE_KIND_LABELS_ZH,
    "dispute": "纠纷",
    "suspicious_person": "可疑人员",
    "fire_hazard": "火灾隐患",
    "medical": "急救",
    "other": "其他警情",
}

INCIDENT_STATUS_LABELS_ZH: dict[str, str] = {
    "open": "待派",
    "dispatched": "已派",
    "on_scene": "已到场",
    "closed": "已办结",
    "cancelled": "已撤销",
}

ASSIGNMENT_STATUS_LABELS_ZH: dict[str, str] = {
    "assigned": "已派单",
    "acknowledged": "已接单",
    "en_route": "前往中",
    "on_scene": "已到场",
    "cleared": "已处置",
    "declined": "已拒单",
    "timed_out": "超时未接",
    "cancelled": "已取消",
}

SOURCE_LABELS_ZH: dict[str, str] = {
    "dispatcher": "调度员录入",
    "alarm_point": "一键报警",
    "sos": "保安求救",
    "guard_report": "保安上报",
    "history": "历史警情",
}

AVAILABILITY_LABELS_ZH: dict[str, str] = {
    "available": "可派",
    "busy": "任务中",
    "not_available": "不可派",
}


def label(table: dict[str, str], code: str | None) -> str:
    """The label of ``code`` in ``table``; an unknown code is shown as itself."""
    if code is None:
        return ""
    return table.get(code, code)

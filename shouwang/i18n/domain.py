"""Labels of the domain codes of :mod:`shouwang.vocab`, keyed ``<vocabulary>.<code>``.

The same label wherever a code is shown: the API's ``*_zh`` fields, exports,
the pages and the guard's phone. :data:`PREFIXES` names the key prefix of each
vocabulary.
"""

from __future__ import annotations

from enum import StrEnum

from shouwang.vocab import (
    AssignmentStatus,
    Availability,
    GuardStatus,
    IncidentKind,
    IncidentSource,
    IncidentStatus,
    Mobility,
    ReinforcementAnswer,
    ReportKind,
    RollCallOutcome,
    Shift,
    UnitKind,
)

#: The catalogue key prefix of each labelled vocabulary.
PREFIXES: dict[type[StrEnum], str] = {
    IncidentKind: "incident_kind",
    IncidentSource: "incident_source",
    IncidentStatus: "incident_status",
    AssignmentStatus: "assignment_status",
    GuardStatus: "guard_status",
    Availability: "availability",
    UnitKind: "unit_kind",
    Shift: "shift",
    Mobility: "mobility",
    RollCallOutcome: "rollcall_outcome",
    ReinforcementAnswer: "reinforcement_answer",
    ReportKind: "report_kind",
}

DOMAIN: dict[str, dict[str, str]] = {
    # --- incident kinds: the seven preventable ones, then the others
    "incident_kind.burglary": {"zh": "入室盗窃", "en": "Burglary"},
    "incident_kind.theft_from_vehicle": {"zh": "盗窃车内财物", "en": "Theft from vehicle"},
    "incident_kind.bike_theft": {"zh": "盗窃自行车/电动车", "en": "Bicycle/e-bike theft"},
    "incident_kind.pickpocketing": {"zh": "扒窃", "en": "Pickpocketing"},
    "incident_kind.fraud": {"zh": "诈骗", "en": "Fraud"},
    "incident_kind.vandalism": {"zh": "故意毁坏财物", "en": "Vandalism"},
    "incident_kind.other_theft": {"zh": "其他盗窃", "en": "Other theft"},
    "incident_kind.dispute": {"zh": "纠纷", "en": "Dispute"},
    "incident_kind.suspicious_person": {"zh": "可疑人员", "en": "Suspicious person"},
    "incident_kind.fire_hazard": {"zh": "火灾隐患", "en": "Fire hazard"},
    "incident_kind.medical": {"zh": "急救", "en": "Medical"},
    "incident_kind.other": {"zh": "其他警情", "en": "Other incident"},
    # --- incident sources
    "incident_source.dispatcher": {"zh": "调度员录入", "en": "Dispatcher"},
    "incident_source.alarm_point": {"zh": "一键报警", "en": "One-click alarm"},
    "incident_source.sos": {"zh": "保安求救", "en": "Guard SOS"},
    "incident_source.guard_report": {"zh": "保安上报", "en": "Guard report"},
    "incident_source.history": {"zh": "历史警情", "en": "History"},
    # --- incident statuses
    "incident_status.open": {"zh": "待派", "en": "Open"},
    "incident_status.dispatched": {"zh": "已派", "en": "Dispatched"},
    "incident_status.on_scene": {"zh": "已到场", "en": "On scene"},
    "incident_status.closed": {"zh": "已办结", "en": "Closed"},
    "incident_status.cancelled": {"zh": "已撤销", "en": "Cancelled"},
    # --- assignment statuses (the console's words; the guard's phone has its own)
    "assignment_status.assigned": {"zh": "已派单", "en": "Assigned"},
    "assignment_status.acknowledged": {"zh": "已接单", "en": "Acknowledged"},
    "assignment_status.en_route": {"zh": "前往中", "en": "En route"},
    "assignment_status.on_scene": {"zh": "已到场", "en": "On scene"},
    "assignment_status.cleared": {"zh": "已处置", "en": "Cleared"},
    "assignment_status.declined": {"zh": "已拒单", "en": "Declined"},
    "assignment_status.timed_out": {"zh": "超时未接", "en": "Timed out"},
    "assignment_status.cancelled": {"zh": "已取消", "en": "Stood down"},
    # --- guard statuses (the map's legend)
    "guard_status.on_post": {"zh": "在岗", "en": "On post"},
    "guard_status.patrolling": {"zh": "巡逻中", "en": "Patrolling"},
    "guard_status.dispatched": {"zh": "已派出", "en": "Dispatched"},
    "guard_status.off_duty": {"zh": "不在班", "en": "Off duty"},
    "guard_status.signal_lost": {"zh": "信号丢失", "en": "Signal lost"},
    # --- availability
    "availability.available": {"zh": "可派", "en": "Available"},
    "availability.busy": {"zh": "任务中", "en": "Busy"},
    "availability.not_available": {"zh": "不可派", "en": "Not available"},
    # --- unit kinds
    "unit_kind.government": {"zh": "机关单位", "en": "Government office"},
    "unit_kind.residential": {"zh": "住宅小区", "en": "Residential compound"},
    "unit_kind.school": {"zh": "学校", "en": "School"},
    "unit_kind.liquor": {"zh": "白酒企业", "en": "Liquor company"},
    "unit_kind.commercial": {"zh": "商业场所", "en": "Commercial venue"},
    # --- shifts and mobility
    "shift.day": {"zh": "白班", "en": "Day"},
    "shift.night": {"zh": "夜班", "en": "Night"},
    "shift.rotating": {"zh": "轮班", "en": "Rotating"},
    "mobility.foot": {"zh": "步行", "en": "On foot"},
    "mobility.ebike": {"zh": "电动车", "en": "E-bike"},
    # --- roll call and reinforcement answers
    "rollcall_outcome.on_time": {"zh": "按时在岗", "en": "On time"},
    "rollcall_outcome.off_post": {"zh": "应答但不在岗", "en": "Off post"},
    "rollcall_outcome.late": {"zh": "迟到", "en": "Late"},
    "rollcall_outcome.missing": {"zh": "未应答", "en": "Missing"},
    "rollcall.pending": {"zh": "待应答", "en": "Pending"},
    "reinforcement_answer.coming": {"zh": "前往", "en": "Coming"},
    "reinforcement_answer.cannot": {"zh": "无法前往", "en": "Cannot"},
    "reinforcement.no_answer": {"zh": "未答复", "en": "No answer"},
    # --- guard reports
    "report_kind.clue": {"zh": "线索", "en": "Clue"},
    "report_kind.hazard": {"zh": "隐患", "en": "Hazard"},
}

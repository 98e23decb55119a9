"""Strings of the guard's phone page ``/guard`` (its template and its script).

The page renders every ``guard.*`` key, with the labels its script needs, into
a JSON blob that ``guard.js`` reads (``{name}`` placeholders filled there).
"""

from __future__ import annotations

GUARD: dict[str, dict[str, str]] = {
    # --- the page (shouwang/web/templates/guard.html)
    "guard.title": {"zh": "守望 · 保安员", "en": "Shouwang · guard"},
    "guard.brand": {"zh": "守望", "en": "Shouwang"},
    "guard.brand.role": {"zh": "保安员", "en": "Guard"},
    "guard.net.title": {"zh": "实时连接", "en": "Live connection"},
    "guard.net.on": {"zh": "● 在线", "en": "● Online"},
    "guard.net.off": {"zh": "● 离线", "en": "● Offline"},
    "guard.signin": {"zh": "登录", "en": "Sign in"},
    "guard.signin.device": {"zh": "设备号", "en": "Device number"},
    "guard.signin.device.placeholder": {"zh": "本机设备号", "en": "This phone's device number"},
    "guard.signin.pin": {"zh": "PIN 码", "en": "PIN"},
    "guard.signin.pin.placeholder": {"zh": "4–8 位数字", "en": "4–8 digits"},
    "guard.signin.hint": {
        "zh": "初始 PIN：本人登记手机号的后 4 位。",
        "en": "First PIN: the last 4 digits of your registered phone number.",
    },
    "guard.signin.expired": {
        "zh": "登录已失效，请重新登录",
        "en": "Your sign-in has expired; sign in again",
    },
    "guard.signin.too_many": {
        "zh": "错误次数过多，请稍后再试",
        "en": "Too many wrong tries; try again later",
    },
    "guard.signin.wrong": {"zh": "设备号或 PIN 码不正确", "en": "Wrong device number or PIN"},
    "guard.signout": {"zh": "退出登录", "en": "Sign out"},
    "guard.sos.aria": {"zh": "SOS 一键求助", "en": "SOS one-tap alarm"},
    "guard.sos.button": {"zh": "一键求助", "en": "Call for help"},
    "guard.sos.sent": {
        "zh": "求助已发出，值班民警已收到。请注意安全。",
        "en": "Help is called; the officer on duty has it. Stay safe.",
    },
    "guard.sos.failed": {
        "zh": "求助发送失败！请再按一次或拨打 110",
        "en": "The alarm did not go out! Press again or call 110",
    },
    "guard.rc.title": {"zh": "系统点名", "en": "Roll call"},
    "guard.rc.before": {"zh": "请在", "en": "Answer within"},
    "guard.rc.after": {"zh": "内签到（须在岗位范围内）。", "en": "(at your post)."},
    "guard.rc.button": {"zh": "点名签到", "en": "Answer roll call"},
    "guard.rc.overdue": {"zh": "已超时（迟到）", "en": "Overdue (late)"},
    "guard.rc.answered": {"zh": "点名已签到：{outcome}", "en": "Roll call answered: {outcome}"},
    "guard.rc.failed": {"zh": "签到失败：{error}", "en": "Could not answer: {error}"},
    "guard.task.title": {"zh": "派警任务", "en": "Task"},
    "guard.task.accept": {"zh": "接受", "en": "Accept"},
    "guard.task.status": {"zh": "状态：{status}", "en": "Status: {status}"},
    "guard.task.eta": {"zh": " · 预计 {min} 分钟", "en": " · about {min} min"},
    "guard.task.failed": {"zh": "操作失败：{error}", "en": "Not done: {error}"},
    # the guard's words for where his task is (the console says it from its side)
    "guard.task.status.assigned": {"zh": "待接受", "en": "To accept"},
    "guard.task.status.acknowledged": {"zh": "已接受", "en": "Accepted"},
    "guard.task.status.en_route": {"zh": "出发中", "en": "On the way"},
    "guard.task.status.on_scene": {"zh": "已到达", "en": "Arrived"},
    # the button that moves the task to this status
    "guard.task.step.acknowledged": {"zh": "接受任务", "en": "Accept the task"},
    "guard.task.step.en_route": {"zh": "出发", "en": "Set off"},
    "guard.task.step.on_scene": {"zh": "到达现场", "en": "Arrived on scene"},
    "guard.task.step.cleared": {"zh": "完成", "en": "Done"},
    "guard.rf.title": {"zh": "联防增援", "en": "Reinforcement"},
    "guard.rf.default_note": {"zh": "邻近单位需要支援", "en": "A nearby unit needs help"},
    "guard.rf.distance": {
        "zh": " · 距离约 {m} 米，约 {min} 分钟",
        "en": " · about {m} m, about {min} min",
    },
    "guard.rf.answered": {"zh": "已答复：{answer}", "en": "Answered: {answer}"},
    "guard.report.title": {"zh": "上报线索 / 隐患", "en": "Report a clue / hazard"},
    "guard.report.placeholder": {"zh": "发生了什么？在哪里？", "en": "What happened? Where?"},
    "guard.report.photo": {"zh": "拍照（可选，≤ 5 MB）", "en": "Photo (optional, ≤ 5 MB)"},
    "guard.report.no_photo": {"zh": "未选择照片", "en": "No photo chosen"},
    "guard.report.photo_name": {"zh": "{name}（{kb} KB）", "en": "{name} ({kb} KB)"},
    "guard.report.too_big": {
        "zh": "照片超过 5 MB，请重拍",
        "en": "The photo is over 5 MB; take another",
    },
    "guard.report.submit": {"zh": "提交上报", "en": "Send report"},
    "guard.report.sent": {"zh": "已上报，谢谢！", "en": "Reported, thank you!"},
    "guard.report.failed": {"zh": "上报失败：{error}", "en": "Could not report: {error}"},
    "guard.gps.waiting": {"zh": "定位：等待中", "en": "Position: waiting"},
    "guard.gps.sent": {"zh": "定位：已上报 {time}", "en": "Position: sent {time}"},
    "guard.gps.rejected": {
        "zh": "定位：未被采用（精度不足）",
        "en": "Position: not used (not accurate enough)",
    },
    "guard.gps.failed": {"zh": "定位：上报失败，稍后重试", "en": "Position: not sent, retrying"},
    "guard.gps.unsupported": {"zh": "定位：本机不支持", "en": "Position: not supported here"},
    "guard.gps.denied": {
        "zh": "定位：未授权，请允许定位",
        "en": "Position: not allowed; allow location",
    },
    "guard.gps.unavailable": {"zh": "定位：暂不可用", "en": "Position: unavailable"},
    "guard.zone": {"zh": "{zone}区", "en": "zone {zone}"},
    "guard.locale": {"zh": "zh-CN", "en": "en-GB"},
}

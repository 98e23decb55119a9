"""The dispatch console in Chromium: one whole call with the guard's phone page beside it.

The dispatcher clicks the map, sees the nearest guards, sends the first; the
guard's /guard page gets the task, accepts, sets off, arrives (a fix within
ARRIVAL_RADIUS_M) and clears; the wall shows the incident until it is closed.
Screenshots of each step go to tests/artifacts/dispatch_*.png.
"""

from __future__ import annotations

import time
from urllib.parse import quote

import pytest
import requests
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By

from shouwang.auth.guards import demo_pin

pytestmark = pytest.mark.browser

PHONE = (390, 844)
DESK = (1920, 1080)
CONSOLE_READY = (
    "const m = document.getElementById('dsp-map');"
    "const gd = m && m.querySelector('.js-plotly-plot');"
    "return !!(gd && gd._fullLayout && gd._fullLayout.map && gd._fullLayout.map._subplot"
    " && window.shouwangDispatch && window.shouwangDispatch.mapBound"
    " && window.shouwangDispatch.synced);"
)
PIXEL_OF = (
    "const gd = document.getElementById('dsp-map').querySelector('.js-plotly-plot');"
    "const map = gd._fullLayout.map._subplot.map;"
    "const p = map.project([arguments[0], arguments[1]]);"
    "const r = map.getCanvas().getBoundingClientRect();"
    "return [p.x, p.y, r.width, r.height];"
)


def post_fix(base_url: str, device: str, lon: float, lat: float) -> None:
    body = requests.post(
        f"{base_url}/api/v1/positions",
        json=[{"device_id": device, "lon": lon, "lat": lat, "ts": time.time(), "accuracy_m": 5}],
        timeout=10,
    ).json()
    assert body["accepted"] == 1, body


def on_duty(ctx, base_url: str, rows) -> None:
    for r in rows.itertuples():
        ctx.store.marks.clear(r.guard_id)
        ctx.store.set_duty_override(r.guard_id, True)
        post_fix(base_url, str(r.device_id), float(r.post_lon), float(r.post_lat))


def open_console(browser, url: str, wait_for, name: str = "张警官") -> None:
    browser.get(f"{url}/dispatch")
    assert wait_for(lambda: browser.execute_script(CONSOLE_READY), 30), "console not ready"
    actor = browser.find_element(By.ID, "dsp-actor")
    actor.clear()
    actor.send_keys(name)


def click_map_at(browser, lon: float, lat: float) -> None:
    """A real mouse click on the map canvas where (lon, lat) is drawn."""
    x, y, w, h = browser.execute_script(PIXEL_OF, lon, lat)
    canvas = browser.find_element(By.CSS_SELECTOR, "#dsp-map .maplibregl-canvas")
    ActionChains(browser).move_to_element_with_offset(canvas, int(x - w / 2), int(y - h / 2)).click(
    ).perform()  # fmt: skip


def text(browser, element_id: str) -> str:
    """The visible text of an element (read in one go: live panels are re-rendered)."""
    return browser.execute_script(
        "const e = document.getElementById(arguments[0]); return e ? e.innerText : '';",
        element_id,
    )


def assignment_states(browser) -> list[str]:
    """The status of each assignment row of the selected incident, as the console shows it."""
    return browser.execute_script(
        "return [...document.querySelectorAll('#dsp-detail [data-assignment]')]"
        ".map(r => r.getAttribute('data-status'));"
    )


def choose_kind(browser, label: str) -> None:
    for el in browser.find_elements(By.CSS_SELECTOR, "#dsp-kind label"):
        if el.text.strip() == label:
            el.click()
            return
    raise AssertionError(f"no kind {label}")


def sign_in_guard(browser, url: str, wait_for, guard) -> None:
    browser.execute_cdp_cmd(
        "Browser.grantPermissions", {"origin": url, "permissions": ["geolocation"]}
    )
    browser.execute_cdp_cmd(
        "Emulation.setGeolocationOverride",
        {"latitude": float(guard.post_lat), "longitude": float(guard.post_lon), "accuracy": 5},
    )
    browser.get(f"{url}/guard")
    assert wait_for(lambda: browser.find_element(By.ID, "signin-view").is_displayed(), 10)
    browser.find_element(By.ID, "device-id").send_keys(str(guard.device_id))
    browser.find_element(By.ID, "pin").send_keys(demo_pin(str(guard.phone)))
    browser.find_element(By.ID, "signin-btn").click()
    assert wait_for(lambda: browser.find_element(By.ID, "main-view").is_displayed(), 10)
    assert wait_for(
        lambda: browser.find_element(By.ID, "net").get_attribute("data-state") == "on", 15
    )


def test_one_call_from_map_click_to_clear_with_the_guards_page(
    ctx, live_server, browser, wait_for, screenshot, console_errors
):
    url = live_server.url
    g = ctx.dataset.guards.set_index("guard_id", drop=False)
    me = g.loc["G024"]
    others = g.loc[["G001", "G030", "G050"]]  # further away: the list has more than one
    on_duty(ctx, url, others)
    ctx.store.marks.clear("G024")
    ctx.store.set_duty_override("G024", True)
    post_fix(url, str(me.device_id), float(me.post_lon), float(me.post_lat))
    where = (float(me.post_lon) + 0.0006, float(me.post_lat) + 0.0002)  # ~60 m from his post

    # The guard's phone.
    browser.set_window_size(*PHONE)
    sign_in_guard(browser, url, wait_for, me)
    guard_tab = browser.current_window_handle

    # The dispatcher's console in another window.
    browser.switch_to.new_window("window")
    console_tab = browser.current_window_handle
    browser.set_window_size(*DESK)
    open_console(browser, url, wait_for)
    screenshot("dispatch_1_console")
    click_map_at(browser, *where)
    assert wait_for(lambda: "G024" in text(browser, "dsp-pick"), 15), "no candidates listed"
    first = browser.find_element(By.CSS_SELECTOR, "#dsp-pick label").text
    assert "G024" in first  # the nearest is first, and ticked
    assert wait_for(lambda: "新地点" in text(browser, "dsp-cands-target"), 10)
    top_route = (
        "const gd = document.getElementById('dsp-map').querySelector('.js-plotly-plot');"
        "return gd.data[2].lon.length;"
    )
    # The first choice's walking route is drawn (yellow).
    assert wait_for(lambda: browser.execute_script(top_route) >= 2, 10), browser.execute_script(
        "const gd = document.getElementById('dsp-map').querySelector('.js-plotly-plot');"
        "return gd.data.map(t => [t.name, (t.lon || []).length]);"
    )
    choose_kind(browser, "入室盗窃")
    browser.find_element(By.ID, "dsp-description").send_keys("居民报称单元门被撬")
    screenshot("dispatch_2_candidates")
    browser.find_element(By.ID, "dsp-send").click()
    assert wait_for(lambda: "已派出" in text(browser, "dsp-message"), 15), text(
        browser, "dsp-message"
    )
    assert wait_for(lambda: assignment_states(browser) == ["assigned"], 10)
    incident_id = ctx.dispatch.store.redis.hget(ctx.store.key("dispatched"), "G024")
    assert incident_id
    # Ranked again for the recorded incident: the guard just sent is not offered twice.
    assert wait_for(lambda: incident_id in text(browser, "dsp-cands-target"), 10)
    assert wait_for(lambda: "G024" not in text(browser, "dsp-pick"), 10)

    # The wall shows the incident, pulsing while nobody is on scene.
    browser.switch_to.new_window("window")
    wall_tab = browser.current_window_handle
    browser.set_window_size(*DESK)
    browser.get(f"{url}/wall")
    wall_has = (
        "const w = window.shouwangWall; const f = w && w.incidents;"
        "return !!(f && f.incidents.some(i => i.id === arguments[0]));"
    )
    assert wait_for(lambda: browser.execute_script(wall_has, incident_id), 20)
    drawn = (
        "const gd = document.getElementById('wall-map').querySelector('.js-plotly-plot');"
        "if (!gd || !gd.data) return [];"
        "const cfg = JSON.parse(document.querySelector('[data-shouwang-wall]')"
        ".getAttribute('data-shouwang-wall'));"
        "return (gd.data[cfg.incidentTrace + 1].customdata || []).map(c => c[0]);"
    )
    assert wait_for(lambda: incident_id in (browser.execute_script(drawn) or []), 30)
    screenshot("dispatch_3_wall_incident")

    # The guard gets the task and accepts it, then sets off.
    browser.switch_to.window(guard_tab)
    assert wait_for(lambda: browser.find_element(By.ID, "assignment-card").is_displayed(), 15)
    assert wait_for(lambda: "入室盗窃" in text(browser, "assignment-kind"), 10)
    screenshot("dispatch_4_guard_task")
    browser.find_element(By.ID, "chain-btn").click()
    assert wait_for(lambda: "已接受" in text(browser, "assignment-meta"), 15)
    browser.find_element(By.ID, "chain-btn").click()
    assert wait_for(lambda: "出发中" in text(browser, "assignment-meta"), 15)
    # He walks there: his phone's next positions (every 10 s) are at the incident.
    browser.execute_cdp_cmd(
        "Emulation.setGeolocationOverride",
        {"latitude": where[1], "longitude": where[0] + 0.0001, "accuracy": 5},
    )

    browser.switch_to.window(console_tab)
    # (his phone may already have reported him there: then he is on scene already)
    assert wait_for(lambda: assignment_states(browser) in (["en_route"], ["on_scene"]), 10)
    # He arrives: a position within 30 m of the incident sets him on scene by itself.
    assert wait_for(lambda: assignment_states(browser) == ["on_scene"], 30)
    arrived = [e for e in ctx.dispatch.get(incident_id)["timeline"] if e["kind"] == "on_scene"]
    assert arrived[0]["detail"]["arrival"] == "auto"
    screenshot("dispatch_5_on_scene")

    browser.switch_to.window(guard_tab)
    assert wait_for(lambda: browser.find_element(By.ID, "chain-btn").text == "完成", 15)
    browser.find_element(By.ID, "chain-btn").click()
    assert wait_for(lambda: not browser.find_element(By.ID, "assignment-card").is_displayed(), 15)

    browser.switch_to.window(console_tab)
    assert wait_for(lambda: "已办结" in text(browser, "dsp-detail"), 10)
    assert assignment_states(browser) == ["cleared"]
    assert wait_for(lambda: "暂无进行中的警情" in text(browser, "dsp-list-empty"), 10)
    screenshot("dispatch_6_cleared")
    inc = ctx.dispatch.get(incident_id)
    assert inc["status"] == "closed" and inc["created_by"] == "张警官"
    kinds = [e["kind"] for e in inc["timeline"]]
    for step in ("created", "assigned", "acknowledged", "en_route", "on_scene", "cleared"):
        assert step in kinds

    browser.switch_to.window(wall_tab)
    assert wait_for(lambda: not browser.execute_script(wall_has, incident_id), 10)
    assert wait_for(lambda: incident_id not in (browser.execute_script(drawn) or []), 10)
    assert console_errors() == []


def test_the_app_restarts_in_the_middle_of_an_incident_and_it_is_cleared_after(
    ctx, settings, redis_handle, clean_engine, pilot, clock, live_server, browser, wait_for,
    screenshot,
):  # fmt: skip
    """Stop the server (and its jobs) mid-incident, build a new context on the same Redis and
    SQL, serve it on the same port: the open console continues and the incident is cleared."""
    from shouwang.runtime.app import build_context, create_app
    from tests.browser.conftest import LiveServer

    url = live_server.url
    g = ctx.dataset.guards.set_index("guard_id", drop=False)
    me = g.loc["G040"]
    on_duty(ctx, url, g.loc[["G040"]])
    api = f"{url}/api/v1"
    ACTOR = {"X-Actor": quote("张警官")}
    where = {"lon": float(me.post_lon) + 0.0004, "lat": float(me.post_lat)}
    made = requests.post(f"{api}/incidents", json={"kind": "vandalism", "priority": 2, **where},
                         headers=ACTOR, timeout=10).json()  # fmt: skip
    iid = made["incident_id"]
    sent = requests.post(f"{api}/incidents/{iid}/assign", json={"guard_ids": ["G040"]},
                         headers=ACTOR, timeout=10).json()  # fmt: skip
    aid = sent["assignments"][0]["assignment_id"]
    assert requests.post(f"{api}/assignments/{aid}/transition", json={"to": "acknowledged"},
                         timeout=10).status_code == 200  # fmt: skip

    browser.set_window_size(*DESK)
    open_console(browser, url, wait_for)
    browser.find_element(By.CSS_SELECTOR, f"#dsp-incidents input[value='{iid}']").click()
    assert wait_for(lambda: assignment_states(browser) == ["acknowledged"], 15)

    live_server.stop()  # the process dies: its jobs stop, Redis and SQL stay
    ctx.supervisor.stop()
    again = build_context(settings, clock=clock, redis_handle=redis_handle, engine=clean_engine,
                          dataset=pilot)  # fmt: skip
    server = LiveServer(create_app(again), again.socketio, port=live_server.port)
    again.start_background()
    server.start()
    try:
        assert again.dispatch.get(iid)["assignments"][0]["status"] == "acknowledged"
        assert again.store.redis.hget(again.store.key("dispatched"), "G040") == iid
        # The same console page carries on with the new process.
        assert wait_for(lambda: assignment_states(browser) == ["acknowledged"], 15)
        for step, status in (("到场", "on_scene"), ("处置完毕", "cleared")):
            xpath = f"//div[@id='dsp-detail']//button[text()='{step}']"
            assert wait_for(lambda: browser.find_elements(By.XPATH, xpath), 15), step  # noqa: B023
            browser.find_element(By.XPATH, xpath).click()
            assert wait_for(lambda: assignment_states(browser) == [status], 15), step  # noqa: B023
        assert wait_for(lambda: "已办结" in text(browser, "dsp-detail"), 15)
        screenshot("dispatch_7_after_restart")
        inc = again.dispatch.get(iid)
        assert inc["status"] == "closed"
        assert [a["status"] for a in inc["assignments"]] == ["cleared"]
        cleared = [e for e in inc["timeline"] if e["kind"] == "cleared"]
        assert cleared and cleared[0]["actor"] == "张警官"
    finally:
        server.stop()
        again.close()

"""The guard's phone page in headless Chromium at phone size: sign in, roll call by Socket.IO, SOS."""

from __future__ import annotations

import pytest
import requests
from selenium.webdriver.common.by import By

from shouwang.auth.guards import demo_pin

pytestmark = pytest.mark.browser

PHONE = (390, 844)


def _visible(browser, element_id: str) -> bool:
    return browser.find_element(By.ID, element_id).is_displayed()


def test_guard_signs_in_answers_a_roll_call_and_raises_sos(
    ctx, live_server, browser, wait_for, screenshot, console_errors
):
    g = ctx.dataset.guards
    me = g.loc[g["guard_id"] == "G024"].iloc[0]
    ctx.store.marks.clear("G024")  # whatever earlier tests left in the shared SQL
    ctx.store.set_duty_override("G024", True)
    browser.set_window_size(*PHONE)
    browser.execute_cdp_cmd(
        "Browser.grantPermissions", {"origin": live_server.url, "permissions": ["geolocation"]}
    )
    browser.execute_cdp_cmd(
        "Emulation.setGeolocationOverride",
        {"latitude": float(me.post_lat), "longitude": float(me.post_lon), "accuracy": 5},
    )
    browser.get(f"{live_server.url}/guard")
    assert wait_for(lambda: _visible(browser, "signin-view"), 10)
    width = browser.execute_script("return document.documentElement.scrollWidth")
    assert width <= PHONE[0]  # nothing wider than the phone
    screenshot("guard_page_signin")

    browser.find_element(By.ID, "device-id").send_keys(str(me.device_id))
    browser.find_element(By.ID, "pin").send_keys("0000" if demo_pin(me.phone) != "0000" else "1111")
    browser.find_element(By.ID, "signin-btn").click()
    error = wait_for(lambda: browser.find_element(By.ID, "signin-error").text, 10)
    assert error and "不正确" in error
    pin = browser.find_element(By.ID, "pin")
    pin.clear()
    pin.send_keys(demo_pin(str(me.phone)))
    browser.find_element(By.ID, "signin-btn").click()
    assert wait_for(lambda: _visible(browser, "main-view"), 10)
    assert wait_for(lambda: "何霞芳" in browser.find_element(By.ID, "who").text, 10)
    # Positions from the phone's geolocation reach the live store; the live channel is up.
    assert wait_for(lambda: "已上报" in browser.find_element(By.ID, "gps").text, 20)
    assert wait_for(
        lambda: browser.find_element(By.ID, "net").get_attribute("data-state") == "on", 15
    )
    states = ctx.store.states().set_index("guard_id")
    assert states.loc["G024", "status"] == "on_post"

    started = requests.post(
        f"{live_server.url}/api/v1/rollcalls", json={"zone_id": "C"}, timeout=10
    ).json()
    rid = started["rollcall_id"]
    assert wait_for(lambda: _visible(browser, "rollcall-card"), 10)  # pushed by Socket.IO
    screenshot("guard_page_rollcall")
    browser.find_element(By.ID, "rollcall-btn").click()
    result = wait_for(lambda: browser.find_element(By.ID, "rollcall-result").text, 10)
    assert result and "按时在岗" in result
    rollcall = requests.get(f"{live_server.url}/api/v1/rollcalls/{rid}", timeout=10).json()
    mine = [x for x in rollcall["guards"] if x["guard_id"] == "G024"]
    assert mine[0]["outcome"] == "on_time"
    assert wait_for(lambda: not _visible(browser, "rollcall-card"), 10)

    called = requests.post(
        f"{live_server.url}/api/v1/reinforcements",
        json={"incident_id": "I-BROWSER", "lon": float(me.post_lon) + 0.0005,
              "lat": float(me.post_lat), "radius_m": 300, "note": "邻家院发生纠纷"},
        timeout=10,
    ).json()  # fmt: skip
    assert "G024" in [x["guard_id"] for x in called["guards"]]
    card = wait_for(lambda: browser.find_elements(By.CSS_SELECTOR, ".card.reinforce"), 10)
    assert card and "邻家院发生纠纷" in card[0].text
    screenshot("guard_page_reinforcement")
    card[0].find_element(By.CSS_SELECTOR, "button[data-answer=coming]").click()

    def answered():
        url = f"{live_server.url}/api/v1/reinforcements/{called['reinforcement_id']}"
        guards = requests.get(url, timeout=10).json()["guards"]
        return [x for x in guards if x["guard_id"] == "G024" and x["answer"] == "coming"]

    assert wait_for(answered, 10)

    browser.find_element(By.ID, "sos-btn").click()  # one tap, no menu

    def alarmed():
        alarms = requests.get(f"{live_server.url}/api/v1/alarms", timeout=10).json()["alarms"]
        return [a for a in alarms if a["guard_id"] == "G024"]

    assert wait_for(alarmed, 10)
    assert wait_for(lambda: "求助已发出" in browser.find_element(By.ID, "sos-status").text, 10)
    screenshot("guard_page_sos")
    errors = [e for e in console_errors() if "favicon" not in e and "401" not in e]
    assert errors == []

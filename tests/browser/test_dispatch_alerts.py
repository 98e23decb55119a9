"""The dispatch console's alerts in Chromium, with short timers (settings of this module):
an unacknowledged assignment times out and the next guard is offered; an SOS sent by a
phone (OsmAnd) reaches the wall and is owned by the first dispatcher; a roll call with
one guard missing. Screenshots: tests/artifacts/dispatch_alert_*.png.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest
import requests
from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException
from selenium.webdriver.common.by import By

from shouwang.auth.guards import demo_pin
from tests.browser.test_dispatch_console import (
    DESK,
    assignment_states,
    choose_kind,
    on_duty,
    open_console,
    post_fix,
    text,
)

pytestmark = pytest.mark.browser

ACK_TIMEOUT_S = 6.0
SOS_ESCALATE_S = 4.0


def click(browser, wait_for, css: str) -> None:
    """Click an element of a live panel (it may be re-rendered between find and click)."""

    def attempt():
        try:
            browser.find_element(By.CSS_SELECTOR, css).click()
            return True
        except (StaleElementReferenceException, NoSuchElementException):
            return False

    assert wait_for(attempt, 10, step_s=0.2), f"could not click {css}"


def pick_option(browser, wait_for, dropdown_id: str, search: str | None, label: str) -> None:
    """Choose in a Dash 4 dropdown: open it, type in its search box, click the option."""
    browser.find_element(By.ID, dropdown_id).click()
    content = ".dash-dropdown-content"
    assert wait_for(lambda: browser.find_elements(By.CSS_SELECTOR, content), 5)
    if search:
        browser.find_element(By.CSS_SELECTOR, f"{content} input").send_keys(search)
    xpath = f"//*[contains(@class, 'dash-dropdown-content')]//*[contains(text(), '{label}')]"
    option = wait_for(lambda: browser.find_elements(By.XPATH, xpath), 5)
    assert option, f"no option {label} in {dropdown_id}"
    option[0].click()


@pytest.fixture
def settings(settings):
    return settings.replace(
        ACK_TIMEOUT_S=ACK_TIMEOUT_S, SOS_ESCALATE_S=SOS_ESCALATE_S, ROLL_CALL_MINUTES=0.15
    )


def test_an_unacknowledged_assignment_escalates_and_the_next_guard_is_offered(
    ctx, live_server, browser, wait_for, screenshot, console_errors
):
    url = live_server.url
    g = ctx.dataset.guards.set_index("guard_id", drop=False)
    on_duty(ctx, url, g.loc[["G001", "G002", "G003"]])
    browser.set_window_size(*DESK)
    open_console(browser, url, wait_for)
    # The place from the searchable list this time: the gate of U01.
    pick_option(browser, wait_for, "dsp-place", "U01-G1", "U01-G1")
    assert wait_for(lambda: "U01" in text(browser, "dsp-point-text"), 10)
    assert wait_for(lambda: "G001" in text(browser, "dsp-pick"), 15)
    choose_kind(browser, "纠纷")
    browser.find_element(By.ID, "dsp-send").click()
    assert wait_for(lambda: assignment_states(browser) == ["assigned"], 15)
    # Nobody answers: red, a sound, and the next guard offered with one click.
    assert wait_for(lambda: assignment_states(browser) == ["timed_out"], ACK_TIMEOUT_S + 10)
    assert wait_for(lambda: browser.find_elements(By.CSS_SELECTOR, "#dsp-detail .offer"), 10)
    assert browser.find_element(By.CSS_SELECTOR, "#dsp-detail .a-timed_out")
    assert wait_for(lambda: browser.execute_script("return window.shouwangDispatch.beeps"), 5)
    screenshot("dispatch_alert_1_timeout_offer")
    click(browser, wait_for, "#dsp-detail .offer button")
    assert wait_for(lambda: "已派出" in text(browser, "dsp-message"), 10)
    assert wait_for(lambda: len(browser.find_elements(
        By.CSS_SELECTOR, "#dsp-detail [data-assignment]")) == 2, 10)  # fmt: skip
    rows = browser.find_elements(By.CSS_SELECTOR, "#dsp-detail [data-assignment]")
    assert [r.get_attribute("data-status") for r in rows] == ["timed_out", "assigned"]
    assert not browser.find_elements(By.CSS_SELECTOR, "#dsp-detail .offer")
    screenshot("dispatch_alert_2_offer_sent")
    assert console_errors() == []


def test_an_sos_from_a_phone_reaches_the_wall_and_the_first_dispatcher_owns_it(
    ctx, live_server, browser, wait_for, screenshot, console_errors
):
    url = live_server.url
    g = ctx.dataset.guards.set_index("guard_id", drop=False)
    me = g.loc["G010"]
    on_duty(ctx, url, g.loc[["G010"]])
    browser.set_window_size(*DESK)
    browser.get(f"{url}/wall")
    assert wait_for(lambda: browser.execute_script(
        "return !!(window.shouwangWall && window.shouwangWall.graph)"), 20)  # fmt: skip
    # Traccar Client on the guard's phone: an OsmAnd request with alarm=sos.
    resp = requests.get(
        f"{url}/api/v1/ingest/osmand",
        params={"id": str(me.device_id), "lat": f"{me.post_lat:.7f}", "lon": f"{me.post_lon:.7f}",
                "timestamp": str(int(time.time())), "alarm": "sos"},
        timeout=10,
    )  # fmt: skip
    assert resp.status_code == 200, resp.text
    assert wait_for(lambda: me["name"] in text(browser, "wall-sos-banner"), 15)
    escalated = "return !!document.querySelector('#wall-sos-banner .sos-banner.escalated');"
    assert wait_for(lambda: browser.execute_script(escalated), SOS_ESCALATE_S + 8)
    assert wait_for(lambda: browser.execute_script("return window.shouwangWall.beeps"), 5)
    screenshot("dispatch_alert_3_wall_sos")
    wall = browser.current_window_handle
    browser.switch_to.new_window("window")
    first = browser.current_window_handle
    browser.switch_to.window(wall)
    browser.close()  # the pulsing wall is heavy for a software-rendered test browser
    browser.switch_to.window(first)
    browser.set_window_size(*DESK)
    open_console(browser, url, wait_for, "李警官")
    browser.switch_to.new_window("window")
    second = browser.current_window_handle
    browser.set_window_size(*DESK)
    open_console(browser, url, wait_for, "王警官")
    assert wait_for(lambda: browser.find_elements(By.CSS_SELECTOR, "#dsp-sos .sos-item.pulse"), 10)
    screenshot("dispatch_alert_4_sos_console")

    browser.switch_to.window(first)
    click(browser, wait_for, "#dsp-sos button")
    assert wait_for(lambda: "由 李警官 负责" in text(browser, "dsp-sos"), 10)
    browser.switch_to.window(second)
    assert wait_for(lambda: "由 李警官 负责" in text(browser, "dsp-sos"), 10)
    assert not browser.find_elements(By.CSS_SELECTOR, "#dsp-sos button")
    screenshot("dispatch_alert_5_sos_owned")
    browser.get(f"{url}/wall")  # the banner is gone once someone took the SOS
    assert wait_for(lambda: browser.execute_script(
        "return !!(window.shouwangWall && window.shouwangWall.incidents)"), 20)  # fmt: skip
    assert not text(browser, "wall-sos-banner")
    assert console_errors() == []


def test_a_roll_call_with_one_guard_missing(
    ctx, live_server, browser, wait_for, screenshot, console_errors
):
    url = live_server.url
    guards = ctx.dataset.guards
    zone_e = guards[guards["zone_id"] == "E"].sort_values("guard_id")
    called, silent = zone_e.iloc[:3], zone_e.iloc[3:]
    for gid in silent["guard_id"]:
        ctx.store.set_duty_override(gid, False)  # only three on duty in the zone
    on_duty(ctx, url, called)
    browser.set_window_size(*DESK)
    open_console(browser, url, wait_for)
    pick_option(browser, wait_for, "dsp-rc-zone", None, "东区")
    browser.find_element(By.ID, "dsp-rc-start").click()
    assert wait_for(lambda: "应到 3" in text(browser, "dsp-rc-result"), 15), text(
        browser, "dsp-message"
    )
    now = datetime.now(UTC)
    started = ctx.fieldops.rollcalls.in_period(now - timedelta(minutes=1), now)["rollcalls"]
    rollcall_id = started[-1]["rollcall_id"]
    for r in called.iloc[:2].itertuples():  # two answer from their posts, one stays silent
        post_fix(url, str(r.device_id), float(r.post_lon), float(r.post_lat))
        token = requests.post(
            f"{url}/api/v1/guard/signin",
            json={"device_id": str(r.device_id), "pin": demo_pin(str(r.phone))},
            timeout=10,
        ).json()["token"]
        answer = requests.post(
            f"{url}/api/v1/rollcalls/{rollcall_id}/answer",
            headers={"Authorization": f"Bearer {token}"},
            timeout=10,
        ).json()
        assert answer["outcome"] == "on_time", answer
    assert wait_for(lambda: "按时在岗 2" in text(browser, "dsp-rc-summary"), 10)
    # At the deadline the silent one is marked missing.
    assert wait_for(lambda: "未应答 1" in text(browser, "dsp-rc-summary"), 30)
    assert "在岗应答率 67%" in text(browser, "dsp-rc-summary")
    assert wait_for(lambda: "点名已结束" in text(browser, "dsp-rc-result"), 10)
    missing = called.iloc[2].guard_id
    row = browser.execute_script(
        "const r = document.querySelector(arguments[0]); return r ? r.innerText : '';",
        f"#dsp-rc-result tr[data-guard='{missing}']",
    )
    assert "未应答" in row
    screenshot("dispatch_alert_6_rollcall")
    assert console_errors() == []

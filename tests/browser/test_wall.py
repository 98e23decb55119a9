"""The map wall in Chromium: loads cleanly, moves markers live, shows a lost feed.

Marker positions are read from the page itself: the Plotly graph div's
``data`` (what ``assets/wall.js`` restyled), not from the server.
"""

from __future__ import annotations

import time

import pytest
import requests

pytestmark = pytest.mark.browser

FIND_GUARD = """
const gid = arguments[0];
const outer = document.getElementById('wall-map');
const gd = outer && outer.querySelector('.js-plotly-plot');
if (!gd || !gd.data) return null;
for (let k = 0; k < gd.data.length; k++) {
  const cd = gd.data[k].customdata || [];
  for (let i = 0; i < cd.length; i++) {
    if (cd[i] && cd[i][0] === gid) return [gd.data[k].lon[i], gd.data[k].lat[i], k, cd[i][3]];
  }
}
return null;
"""
LIVE_READY = (
    "const w = window.shouwangWall; return !!(w && w.connected && w.haveSnapshot && w.graph);"
)
BANNER_SHOWN = (
    "const b = document.getElementById('wall-banner');"
    "return !!b && getComputedStyle(b).display !== 'none' && b.getBoundingClientRect().height > 0;"
)


@pytest.fixture
def guard(pilot, ctx):
    """A pilot guard put on duty: (guard_id, device_id, post lon, post lat)."""
    r = pilot.guards.sort_values("guard_id").iloc[5]
    ctx.store.set_duty_override(r.guard_id, True)
    return r.guard_id, str(r.device_id), float(r.post_lon), float(r.post_lat)


def post_fix(base_url: str, device: str, lon: float, lat: float, ts: float) -> None:
    body = requests.post(
        f"{base_url}/api/v1/positions",
        json=[{"device_id": device, "lon": lon, "lat": lat, "ts": ts, "accuracy_m": 5}],
        timeout=10,
    ).json()
    assert body["accepted"] == 1, body


def open_wall(browser, live_server, wait_for):
    browser.get(f"{live_server.url}/wall")
    assert wait_for(lambda: browser.execute_script(LIVE_READY), 20), "the live feed never started"


def test_overview_and_wall_load_without_console_errors(
    browser, live_server, wait_for, settled, screenshot, console_errors
):
    browser.get(f"{live_server.url}/")

    def overview() -> bool:  # the navigation, then the overview's counts (a callback)
        body = browser.find_element("tag name", "body").text
        return all(words in body for words in ("值班大屏", "调度台", "覆盖分析", "在岗"))

    assert wait_for(overview, 15), browser.find_element("tag name", "body").text[:400]
    settled()
    screenshot("overview")
    assert console_errors() == []

    open_wall(browser, live_server, wait_for)
    table = browser.execute_script("return document.querySelector('.zone-table').innerText")
    for zone in ("东区", "西区", "南区", "北区", "中心区"):
        assert zone in table
    traces = browser.execute_script(
        "return document.getElementById('wall-map').querySelector('.js-plotly-plot').data.length"
    )
    assert traces == 9  # five statuses, the SOS halo, the incidents' halo, core and centre
    assert wait_for(lambda: browser.find_element("id", "wall-clock").text.strip(), 5)
    settled("wall-map")
    screenshot("wall")
    assert console_errors() == []

    browser.get(f"{live_server.url}/no-such-page")
    assert wait_for(lambda: "没有这个页面" in browser.find_element("tag name", "body").text, 10)
    assert console_errors() == []


def test_a_posted_fix_moves_the_marker_within_two_seconds(
    browser, live_server, guard, wait_for, screenshot, console_errors
):
    gid, device, lon, lat = guard
    post_fix(live_server.url, device, lon, lat, time.time() - 10)
    open_wall(browser, live_server, wait_for)
    start = wait_for(lambda: browser.execute_script(FIND_GUARD, gid), 5)
    assert start and start[0] == pytest.approx(lon, abs=1e-6)

    target = (lon + 0.0004, lat + 0.0002)  # ~45 m: patrolling, off his post
    posted = time.monotonic()
    post_fix(live_server.url, device, *target, time.time())

    def moved():
        where = browser.execute_script(FIND_GUARD, gid)
        return where if where and abs(where[0] - target[0]) < 1e-6 else None

    where = wait_for(moved, 2.0, step_s=0.02)
    latency = time.monotonic() - posted
    assert where, f"marker of {gid} did not move within 2 s"
    assert where[1] == pytest.approx(target[1], abs=1e-6)
    status_trace = browser.execute_script(
        "return window.shouwangWall && JSON.parse(document.querySelector('[data-shouwang-wall]')"
        ".getAttribute('data-shouwang-wall')).traceStatuses"
    )[where[2]]
    assert status_trace == "patrolling"
    print(f"fix → marker moved in {latency * 1000:.0f} ms")
    screenshot("wall_marker_moved")
    assert console_errors() == []


def test_stopping_the_server_shows_the_lost_feed_banner_and_recovers(
    browser, live_server, guard, wait_for, screenshot
):
    gid, device, lon, lat = guard
    open_wall(browser, live_server, wait_for)
    assert not browser.execute_script(BANNER_SHOWN)

    live_server.stop()
    assert wait_for(lambda: browser.execute_script(BANNER_SHOWN), 10), "no banner"
    banner = browser.find_element("id", "wall-banner").text
    assert "实时数据中断" in banner
    screenshot("wall_feed_lost")

    live_server.start()  # same port: the page reconnects by itself
    assert wait_for(lambda: not browser.execute_script(BANNER_SHOWN), 15), "banner stuck"
    assert wait_for(lambda: browser.execute_script(LIVE_READY), 10)
    post_fix(live_server.url, device, lon + 0.0001, lat, time.time())
    moved = wait_for(
        lambda: (w := browser.execute_script(FIND_GUARD, gid)) and abs(w[0] - lon - 0.0001) < 1e-6,
        3,
    )
    assert moved, "no live updates after reconnecting"
    screenshot("wall_feed_back")


def test_language_switch_shows_english(
    browser, live_server, wait_for, settled, screenshot, console_errors
):
    open_wall(browser, live_server, wait_for)
    browser.find_element("id", "lang-button").click()

    def english() -> bool:
        # The header, the zone table and the side band are drawn by different callbacks.
        body = browser.find_element("tag name", "body").text
        return all(words in body for words in ("Joint-defence zones", "Map wall", "East"))

    assert wait_for(english, 15), browser.find_element("tag name", "body").text[:400]
    assert wait_for(lambda: browser.execute_script(LIVE_READY), 10)
    settled("wall-map")
    screenshot("wall_english")
    assert console_errors() == []
    browser.find_element("id", "lang-button").click()  # back to zh for the next visitor

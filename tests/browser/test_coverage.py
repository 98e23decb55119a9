"""The coverage review (/coverage) in Chromium: loads cleanly, reacts to the controls, zooms.

What the page shows is read from the page itself: the table's text and the
Plotly graph div's ``layout`` / ``data`` (what was drawn), not from the server.
"""

from __future__ import annotations

import time

import pytest
from selenium.webdriver.common.keys import Keys

from dashboard.coverage.sources import CoverageSources
from shouwang.records.audit import Actor
from tests.conftest import report_from_posts

pytestmark = pytest.mark.browser

TEXT = "const e = document.getElementById(arguments[0]); return e ? e.innerText : '';"
MAP = """
const outer = document.getElementById('coverage-map');
const gd = outer && outer.querySelector('.js-plotly-plot');
if (!gd || !gd._fullLayout || !gd._fullLayout.map) return null;
const m = gd._fullLayout.map;
return {types: gd.data.map(d => d.type), layers: (gd.layout.map.layers || []).length,
        zoom: m.zoom, lon: m.center.lon, lat: m.center.lat,
        layoutZoom: gd.layout.map.zoom, layoutLon: gd.layout.map.center.lon,
        layoutLat: gd.layout.map.center.lat};
"""


@pytest.fixture
def guards_on_post(ctx):
    """Sixty pilot guards on duty, each reporting live from his post (before the server starts)."""
    g = ctx.dataset.guards.sort_values("guard_id").iloc[::3].iloc[:60]  # spread over the zones
    report_from_posts(ctx.store, g, time.time())
    return g


@pytest.fixture
def dispatched(ctx, guards_on_post):
    """Ten incidents near guards of every zone, each answered by that guard.

    Step times are given explicitly (``at``), as a guard's phone would stamp them.
    """
    actor = Actor("张警官")
    rows = guards_on_post.iloc[::6].iloc[:10]
    t0 = time.time()
    for i, g in enumerate(rows.itertuples()):
        body = {"kind": ("burglary", "bike_theft", "fraud")[i % 3], "lon": float(g.post_lon),
                "lat": float(g.post_lat) + 0.0004, "priority": 2, "description": "测试警情"}  # fmt: skip
        incident, _ = ctx.dispatch.create(actor, body)
        (a,) = ctx.dispatch.assign(actor, incident["incident_id"], [g.guard_id])
        at = t0 + 5
        for to, wait in (("acknowledged", 8 + 4 * i), ("en_route", 5 + 2 * i),
                         ("on_scene", 60 + 25 * i)):  # fmt: skip
            at += wait
            ctx.dispatch.transition(actor, a["assignment_id"], to, at=at)
    return rows


def text(browser, element_id: str) -> str:
    return browser.execute_script(TEXT, element_id)


def open_coverage(browser, live_server, wait_for) -> dict:
    browser.get(f"{live_server.url}/coverage")
    assert wait_for(lambda: "%" in text(browser, "coverage-table"), 30), "no coverage table"
    assert wait_for(lambda: "起" in text(browser, "coverage-top-units"), 30), "no hot units"

    def drawn():
        state = browser.execute_script(MAP)
        return state if state and "densitymap" in state["types"] else None

    state = wait_for(drawn, 30)
    assert state, "the map never got the heat layer"
    return state


def changed(wait_for, read, before: str, timeout_s: float = 20):
    return wait_for(lambda: (lambda now: now if now and now != before else None)(read()), timeout_s)


def test_page_loads_and_reach_controls_change_the_table(
    guards_on_post, browser, live_server, wait_for, settled, screenshot, console_errors
):
    state = open_coverage(browser, live_server, wait_for)
    status = text(browser, "coverage-status")
    assert "实时：计入 60 名在班保安" in status and "直线 300 米" in status
    table = text(browser, "coverage-table")
    for zone in ("东区", "西区", "南区", "北区", "中心区", "全所"):
        assert zone in table
    assert state["types"][-1] == "scattermap"  # the counted guards, over the heat
    settled("coverage-map")  # software WebGL draws slowly: the picture waits for it
    screenshot("coverage")
    assert console_errors() == []

    # the radius: type 600 into the slider's number box
    box = browser.find_element("css selector", "#coverage-radius input[type=number]")
    box.click()
    box.send_keys(Keys.END, Keys.BACKSPACE, Keys.BACKSPACE, Keys.BACKSPACE, Keys.BACKSPACE)
    box.send_keys("600", Keys.TAB)
    wider = changed(wait_for, lambda: text(browser, "coverage-table"), table)
    assert wider, "changing the radius did not change the table"
    assert wait_for(lambda: "直线 600 米" in text(browser, "coverage-status"), 10), text(
        browser, "coverage-status"
    )

    # walking minutes instead of the straight radius
    browser.find_element("css selector", "#coverage-reach input[value='walk']").click()
    walking = changed(wait_for, lambda: text(browser, "coverage-table"), wider)
    assert walking, "switching to walking minutes did not change the table"
    assert wait_for(lambda: "步行 3 分钟" in text(browser, "coverage-status"), 10)
    assert console_errors() == []


def test_clicking_a_hot_unit_zooms_the_map(
    guards_on_post, ctx, browser, live_server, wait_for, settled, screenshot, console_errors
):
    before = open_coverage(browser, live_server, wait_for)
    first = browser.find_element("css selector", "#coverage-top-units .hot-unit")
    unit = browser.execute_script("return arguments[0].closest('li').dataset.unit", first)
    centre, zoom = CoverageSources.from_context(ctx).unit_views[unit]
    first.click()

    def zoomed():
        s = browser.execute_script(MAP)
        return s if s and abs(s["zoom"] - zoom) < 0.01 else None

    after = wait_for(zoomed, 20)
    assert after, f"the map did not zoom to {unit}: {browser.execute_script(MAP)}"
    assert after["zoom"] > before["zoom"] + 1
    assert after["lon"] == pytest.approx(centre["lon"], abs=1e-5)
    assert after["lat"] == pytest.approx(centre["lat"], abs=1e-5)
    assert after["layoutZoom"] == pytest.approx(zoom)
    assert after["layers"] == before["layers"] + 1  # the unit's wall, highlighted
    settled("coverage-map")
    screenshot("coverage-zoom")

    browser.find_element("id", "coverage-reset").click()
    assert wait_for(lambda: abs(browser.execute_script(MAP)["zoom"] - before["zoom"]) < 0.01, 20)

    # hexagons, then the lower part of the panel (cases per zone, response times)
    browser.find_element("css selector", "#coverage-heat-mode input[value='hexagons']").click()
    assert wait_for(lambda: "choroplethmap" in browser.execute_script(MAP)["types"], 20)
    browser.execute_script(  # scroll the side panel only, as the supervisor's wheel would
        "const side = document.querySelector('.coverage-side');"
        "const top = document.getElementById('coverage-heat-status').getBoundingClientRect().top;"
        "side.scrollTop += top - side.getBoundingClientRect().top - 12;"
    )
    settled("coverage-map")
    screenshot("coverage-heat")
    assert console_errors() == []


def test_english_switch(browser, live_server, wait_for, settled, screenshot, console_errors):
    open_coverage(browser, live_server, wait_for)
    browser.find_element("id", "lang-button").click()
    assert wait_for(lambda: "Live: 0 guards" in text(browser, "coverage-status"), 20)
    assert wait_for(lambda: "densitymap" in (browser.execute_script(MAP) or {"types": []})["types"],
                    20)  # fmt: skip
    settled("coverage-map")
    body = browser.find_element("tag name", "body").text
    for words in ("Coverage", "Incident heat", "Response times", "Straight radius"):
        assert words in body
    assert wait_for(
        lambda: "No incident has been dispatched yet" in text(browser, "coverage-response-status"),
        10,
    )
    screenshot("coverage-en")
    assert console_errors() == []


RESPONSE = """
const outer = document.getElementById('coverage-response');
const gd = outer && outer.querySelector('.js-plotly-plot');
return gd && gd.data ? gd.data.map(d => [d.name, d.y]) : null;
"""


def test_response_time_chart(
    dispatched, browser, live_server, wait_for, settled, screenshot, console_errors
):
    open_coverage(browser, live_server, wait_for)
    bars = wait_for(lambda: browser.execute_script(RESPONSE), 20)
    assert bars and len(bars) == 8  # four measures, P50 and P90 each
    assert [b[0] for b in bars[:2]] == ["P50", "P90"]
    assert all(p90 >= p50 for (_, y50), (_, y90) in zip(bars[::2], bars[1::2], strict=True)
               for p50, p90 in zip(y50, y90, strict=True) if p50 is not None)  # fmt: skip
    assert wait_for(lambda: "共 10 次派单" in text(browser, "coverage-response-status"), 10)
    browser.execute_script(
        "const side = document.querySelector('.coverage-side');side.scrollTop = side.scrollHeight;"
    )
    settled()
    screenshot("coverage-response")
    assert console_errors() == []

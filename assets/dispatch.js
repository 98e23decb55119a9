/*
 * Shouwang dispatch console: map clicks, ticking timers, alert sounds.
 *
 * - A click anywhere on the console map (not only on a marker) is handed to
 *   the server through the CLICK store (dash_clientside.set_props), in the
 *   map's drawing CRS: the page turns it into the incident's place.
 * - Timers (span.sw-timer with data-since / data-until, epoch seconds of the
 *   server clock) count every second between two renders of the panels; the
 *   server clock comes with every live tick (window.shouwangDispatch.sync).
 * - Elements with data-beep sound once per key (a timed-out assignment, a new
 *   offer); elements with data-alarm sound every 3 s while shown (an SOS
 *   nobody has taken). Browsers allow sound after the first click on a page.
 *
 * The page hands over element ids in data-shouwang-dispatch
 * (dashboard/dispatch/layout.py). window.shouwangDispatch exposes the state
 * for the browser tests.
 */
(function () {
  "use strict";

  var ui = {
    offsetS: 0, // server clock minus browser clock, seconds
    synced: false,
    clicks: 0,
    beeps: 0,
    beeped: new Set(),
    alarmAt: 0,
    mapBound: null,
  };
  window.shouwangDispatch = ui;

  ui.sync = function (serverNow) {
    if (typeof serverNow === "number") {
      ui.offsetS = serverNow - Date.now() / 1000;
      ui.synced = true;
      tick();
    }
  };

  function config() {
    var el = document.querySelector("[data-shouwang-dispatch]");
    return el ? JSON.parse(el.getAttribute("data-shouwang-dispatch")) : null;
  }

  function durationText(s) {
    s = Math.max(0, Math.floor(s));
    var h = Math.floor(s / 3600);
    var m = Math.floor((s % 3600) / 60);
    var sec = s % 60;
    var mm = h ? String(m).padStart(2, "0") : String(m);
    return (h ? h + ":" : "") + mm + ":" + String(sec).padStart(2, "0");
  }

  function tick() {
    var now = Date.now() / 1000 + ui.offsetS;
    document.querySelectorAll(".dispatch .sw-timer").forEach(function (el) {
      var since = el.getAttribute("data-since");
      var until = el.getAttribute("data-until");
      if (since) el.textContent = durationText(now - parseFloat(since));
      else if (until) {
        var left = parseFloat(until) - now;
        el.textContent = durationText(left);
        el.classList.toggle("late", left <= 0);
        el.classList.toggle("soon", left > 0 && left <= 15);
      }
    });
  }

  // -- sounds --------------------------------------------------------------------------
  function beep(tones) {
    try {
      var Ctx = window.AudioContext || window.webkitAudioContext;
      if (!Ctx) return;
      ui.audio = ui.audio || new Ctx();
      var ac = ui.audio;
      if (ac.state === "suspended") ac.resume();
      tones.forEach(function (freq, k) {
        var osc = ac.createOscillator();
        var gain = ac.createGain();
        osc.frequency.value = freq;
        gain.gain.value = 0.25;
        osc.connect(gain).connect(ac.destination);
        osc.start(ac.currentTime + k * 0.22);
        osc.stop(ac.currentTime + k * 0.22 + 0.16);
      });
      ui.beeps += 1;
    } catch (err) {
      console.warn("shouwang dispatch: no sound", err);
    }
  }

  function sounds() {
    var fresh = false;
    document.querySelectorAll(".dispatch [data-beep]").forEach(function (el) {
      var key = el.getAttribute("data-beep");
      if (!ui.beeped.has(key)) {
        ui.beeped.add(key);
        fresh = true;
      }
    });
    if (fresh) beep([880, 660, 880]);
    var alarm = document.querySelector(".dispatch [data-alarm]");
    if (alarm && Date.now() - ui.alarmAt > 3000) {
      ui.alarmAt = Date.now();
      beep([988, 740]);
    }
  }

  // -- map clicks ------------------------------------------------------------------------
  function bindMap(cfg) {
    var outer = document.getElementById(cfg.mapId);
    var gd = outer && outer.querySelector(".js-plotly-plot");
    var sub = gd && gd._fullLayout && gd._fullLayout.map && gd._fullLayout.map._subplot;
    var map = sub && sub.map;
    if (!map || map === ui.mapBound) return;
    ui.mapBound = map;
    map.on("click", function (e) {
      if (!window.dash_clientside || !window.dash_clientside.set_props) return;
      ui.clicks += 1;
      window.dash_clientside.set_props(cfg.clickId, {
        data: { lon: e.lngLat.lng, lat: e.lngLat.lat, t: Date.now() },
      });
    });
    map.getCanvas().style.cursor = "crosshair";
  }

  function everySecond() {
    var cfg = config();
    if (!cfg) return;
    try {
      bindMap(cfg);
      tick();
      sounds();
    } catch (err) {
      console.error("shouwang dispatch:", err);
    }
  }

  setInterval(everySecond, 1000);
})();

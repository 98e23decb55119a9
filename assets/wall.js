/*
 * Shouwang map wall: the live feed applied to the map in place.
 *
 * Connects to the Socket.IO namespace /live (live/push.py) while a wall page
 * is shown. A "snapshot" message replaces the client's model of every guard;
 * "guards" messages carry only the guards that changed. The model is drawn by
 * Plotly.restyle on the wall figure's guard traces (no figure reload from the
 * server), one restyle in flight at a time: deltas arriving meanwhile are
 * merged into the model and drawn together by the next restyle.
 *
 * The page hands over trace order, labels and element ids in the element
 * carrying data-shouwang-wall (dashboard/wall/figures.py: client_config).
 * window.shouwangWall exposes the state for the browser tests and the push
 * benchmark (set .trace = true to record when each guard was drawn).
 */
(function () {
  "use strict";

  var wall = {
    socket: null,
    connected: false,
    haveSnapshot: false,
    startedAt: Date.now(),
    model: new Map(), // guard id -> {name, unit, zone, lon, lat, st, ts}
    sos: [],
    offsetS: 0, // server clock minus browser clock, seconds
    busy: false,
    dirty: false,
    pulseOn: true,
    pulse: false, // the SOS halo needs its next pulse drawn
    fullAt: 0, // when every trace was last redrawn
    sosDrawn: "",
    changed: new Set(),
    graph: null,
    trace: false, // when true: received[id] and drawn[id] = [lon, lat, Date.now()]
    received: {},
    drawn: {},
    stats: { messages: 0, restyles: 0, lastRestyleMs: 0, errors: 0, firstDrawMs: 0 },
    incidents: null, // open incidents and waiting SOS (dashboard/wall/incidents.py)
    incDirty: false,
    beepAt: 0,
    beeps: 0,
  };
  window.shouwangWall = wall;

  // -- incidents: JSON the wall's Dash callback writes every 2 s into a hidden element
  var feedText = null;

  function readIncidents(cfg) {
    var el = byId(cfg, "incidents");
    var text = el ? el.textContent : "";
    if (!text || text === feedText) return;
    feedText = text;
    wall.incidents = JSON.parse(text);
    wall.incDirty = true;
  }

  function hasWaiting() {
    var f = wall.incidents;
    return !!(f && f.incidents && f.incidents.some(function (i) { return i.waiting; }));
  }

  // The halo, core and centre traces after the SOS halo; null when nothing to draw.
  function incidentUpdate(cfg, gd, redraw) {
    var i0 = cfg.incidentTrace;
    if (i0 === undefined || !gd.data || gd.data.length < i0 + 3 || !wall.incidents) return null;
    if (!(redraw || wall.incDirty)) return null;
    wall.incDirty = false;
    var all = wall.incidents.incidents || [];
    var waiting = all.filter(function (i) { return i.waiting; });
    function col(list, key) { return list.map(function (i) { return i[key]; }); }
    return {
      traces: [i0, i0 + 1, i0 + 2],
      update: {
        lon: [col(waiting, "lon"), col(all, "lon"), col(all, "lon")],
        lat: [col(waiting, "lat"), col(all, "lat"), col(all, "lat")],
        customdata: [[], col(all, "hover"), []],
        "marker.color": [col(waiting, "colour"), col(all, "colour"), "#ffffff"],
        "marker.opacity": [wall.pulseOn ? 0.6 : 0.15, 1, 1],
      },
    };
  }

  // A short two-tone alarm (WebAudio; the browser may need one click on the page first).
  function beep() {
    try {
      var Ctx = window.AudioContext || window.webkitAudioContext;
      if (!Ctx) return;
      wall.audio = wall.audio || new Ctx();
      var ac = wall.audio;
      if (ac.state === "suspended") ac.resume();
      [0, 0.25].forEach(function (at, k) {
        var osc = ac.createOscillator();
        var gain = ac.createGain();
        osc.frequency.value = k ? 660 : 880;
        gain.gain.value = 0.25;
        osc.connect(gain).connect(ac.destination);
        osc.start(ac.currentTime + at);
        osc.stop(ac.currentTime + at + 0.18);
      });
      wall.beeps += 1;
    } catch (err) {
      console.warn("shouwang wall: no sound", err);
    }
  }

  var cachedText = null;
  var cachedConfig = null;

  function config() {
    var el = document.querySelector("[data-shouwang-wall]");
    if (!el) return null;
    var text = el.getAttribute("data-shouwang-wall");
    if (text !== cachedText) {
      cachedText = text;
      cachedConfig = JSON.parse(text);
    }
    return cachedConfig;
  }

  function byId(cfg, key) {
    return document.getElementById(cfg.ids[key]);
  }

  function graphDiv(cfg) {
    var outer = byId(cfg, "map");
    return outer ? outer.querySelector(".js-plotly-plot") : null;
  }

  function ageText(cfg, ageS) {
    if (ageS === null || ageS === undefined || isNaN(ageS)) return cfg.neverReported;
    return (Math.max(ageS, 0) / 60).toFixed(1) + " " + cfg.minUnit;
  }

  function nowServerS() {
    return Date.now() / 1000 + wall.offsetS;
  }

  // -- the feed ---------------------------------------------------------------
  function onSnapshot(msg) {
    wall.stats.messages += 1;
    wall.offsetS = msg.t - Date.now() / 1000;
    wall.model = new Map();
    for (var i = 0; i < msg.ids.length; i++) {
      wall.model.set(msg.ids[i], {
        name: msg.name[i],
        unit: msg.unit[i],
        zone: msg.zone[i],
        lon: msg.lon[i],
        lat: msg.lat[i],
        st: msg.st[i],
        ts: msg.age[i] === null ? null : msg.t - msg.age[i],
      });
      wall.changed.add(msg.ids[i]);
    }
    wall.sos = msg.sos || [];
    wall.haveSnapshot = true;
    wall.fullAt = 0; // guards may have left traces the new model does not touch
    schedule();
  }

  function onGuards(msg) {
    wall.stats.messages += 1;
    if (!wall.haveSnapshot) return; // the snapshot on connect has it all
    wall.offsetS = msg.t - Date.now() / 1000;
    var now = Date.now();
    for (var i = 0; i < msg.ids.length; i++) {
      var g = wall.model.get(msg.ids[i]);
      if (!g) continue; // a roster change brings a new snapshot
      g.lon = msg.lon[i];
      g.lat = msg.lat[i];
      g.st = msg.st[i];
      g.ts = msg.age[i] === null ? null : msg.t - msg.age[i];
      wall.changed.add(msg.ids[i]);
      if (wall.trace) wall.received[msg.ids[i]] = [g.lon, g.lat, now];
    }
    if (msg.sos) wall.sos = msg.sos;
    schedule();
  }

  // -- drawing ------------------------------------------------------------------
  function schedule() {
    wall.dirty = true;
    if (!wall.busy) setTimeout(draw, 0);
  }

  function draw() {
    if (wall.busy || !wall.dirty) return;
    var cfg = config();
    var gd = cfg && graphDiv(cfg);
    if (!gd || !gd.data || !window.Plotly || !wall.haveSnapshot) return; // the 1 s loop retries
    wall.busy = true;
    wall.dirty = false;
    var n = cfg.traceStatuses.length;
    var traceOf = cfg.statusCodes.map(function (s) {
      return cfg.traceStatuses.indexOf(s);
    });
    // Only traces that gained, lost or moved a guard are restyled; all of them when the
    // figure is new (first render, language switch) or every 15 s (minutes in the hover).
    var full = gd !== wall.graph || Date.now() - (wall.fullAt || 0) > 15000;
    var drawnNow = wall.changed;
    wall.changed = new Set();
    var touched = new Set();
    drawnNow.forEach(function (id) {
      var g = wall.model.get(id);
      if (!g) return;
      if (g.trace !== undefined) touched.add(g.trace);
      touched.add(g.lon === null ? -1 : traceOf[g.st]);
    });
    var pulsed = wall.pulse;
    if (pulsed) touched.add(n);
    wall.pulse = false;

    var lon = [], lat = [], custom = [], k;
    for (k = 0; k <= n; k++) {
      lon.push([]);
      lat.push([]);
      custom.push([]);
    }
    var now = nowServerS();
    wall.model.forEach(function (g, id) {
      if (g.lon === null || g.lat === null) {
        g.trace = undefined;
        return;
      }
      var t = traceOf[g.st];
      g.trace = t;
      lon[t].push(g.lon);
      lat[t].push(g.lat);
      custom[t].push([id, g.name, g.unit, ageText(cfg, g.ts === null ? null : now - g.ts)]);
    });
    wall.sos.forEach(function (id) {
      var g = wall.model.get(id);
      if (g && g.lon !== null) {
        lon[n].push(g.lon);
        lat[n].push(g.lat);
        custom[n].push([id]);
      }
    });
    if (wall.sosDrawn !== wall.sos.join(",")) touched.add(n);
    var traces = [];
    for (k = 0; k <= n; k++) if (full || touched.has(k)) traces.push(k);
    var inc = incidentUpdate(cfg, gd, full || pulsed);
    if (!traces.length && !inc) {
      wall.busy = false;
      return;
    }
    var update = { lon: [], lat: [], customdata: [], name: [], "marker.opacity": [] };
    traces.forEach(function (k) {
      update.lon.push(lon[k]);
      update.lat.push(lat[k]);
      update.customdata.push(custom[k]);
      if (k < n) {
        update.name.push(cfg.labels[cfg.traceStatuses[k]] + " " + lon[k].length);
        update["marker.opacity"].push(gd.data[k].marker.opacity);
      } else {
        update.name.push(gd.data[k].name);
        update["marker.opacity"].push(wall.pulseOn ? 0.75 : 0.25);
      }
    });
    if (inc) {
      // One restyle (one map render) for guards and incidents together.
      update["marker.color"] = traces.map(function (k) {
        return gd.data[k].marker.color;
      });
      inc.traces.forEach(function (k, j) {
        traces.push(k);
        update.lon.push(inc.update.lon[j]);
        update.lat.push(inc.update.lat[j]);
        update.customdata.push(inc.update.customdata[j]);
        update.name.push(gd.data[k].name);
        update["marker.opacity"].push(inc.update["marker.opacity"][j]);
        update["marker.color"].push(inc.update["marker.color"][j]);
      });
    }

    var started = performance.now();
    var sosNow = wall.sos.join(",");
    Promise.resolve(Plotly.restyle(gd, update, traces))
      .then(function () {
        wall.graph = gd;
        if (full) wall.fullAt = Date.now();
        wall.sosDrawn = sosNow;
        wall.stats.restyles += 1;
        wall.failedInARow = 0;
        wall.stats.lastRestyleMs = performance.now() - started;
        // Page load to the first live drawing of every guard (the push bench reads it).
        if (!wall.stats.firstDrawMs) wall.stats.firstDrawMs = performance.now();
        if (wall.trace) {
          var at = Date.now();
          drawnNow.forEach(function (id) {
            var g = wall.model.get(id);
            if (g) wall.drawn[id] = [g.lon, g.lat, at];
          });
        }
        showClientError(cfg, null);
      })
      .catch(function (err) {
        wall.stats.errors += 1;
        if (inc) wall.incDirty = true;
        drawnNow.forEach(function (id) {
          wall.changed.add(id);
        });
        wall.dirty = true;
        // A restyle in flight fails once when Dash swaps the whole figure (the
        // language switch, a page refresh); the retry on the new figure draws
        // it. Only a failure that repeats is a fault worth showing.
        wall.failedInARow = (wall.failedInARow || 0) + 1;
        if (wall.failedInARow > 1) showClientError(cfg, err);
      })
      .then(function () {
        wall.busy = false;
        if (wall.dirty) setTimeout(draw, 0);
      });
  }

  function showClientError(cfg, err) {
    var el = byId(cfg, "client_error");
    if (!el) return;
    if (err) {
      console.error("shouwang wall:", err);
      el.textContent = cfg.clientError + " " + (err && err.message ? err.message : err);
      el.classList.remove("hidden");
    } else if (!el.classList.contains("hidden")) {
      el.classList.add("hidden");
    }
  }

  // -- connection -----------------------------------------------------------------
  function connect() {
    if (!window.io) return;
    wall.socket = window.io("/live", {
      reconnectionDelay: 500,
      reconnectionDelayMax: 3000,
      timeout: 5000,
    });
    wall.socket.on("connect", function () {
      wall.connected = true;
      wall.connectedAt = Date.now();
      banner();
    });
    wall.socket.on("disconnect", function (reason) {
      wall.connected = false;
      wall.haveSnapshot = false;
      wall.disconnectedAt = Date.now();
      banner();
      // A server-side disconnect is not retried by the client library itself.
      if (reason === "io server disconnect") {
        setTimeout(function () {
          if (wall.socket && !wall.socket.connected) wall.socket.connect();
        }, 1000);
      }
    });
    wall.socket.on("connect_error", function () {
      wall.connected = false;
      banner();
    });
    wall.socket.on("snapshot", onSnapshot);
    wall.socket.on("guards", onGuards);
  }

  function banner() {
    var cfg = config();
    if (!cfg) return;
    var el = byId(cfg, "banner");
    if (!el) return;
    // Grace of 3 s after page load so a normal connect does not flash the banner.
    var lost = !wall.connected && (wall.disconnectedAt || Date.now() - wall.startedAt > 3000);
    el.classList.toggle("hidden", !lost);
  }

  function timeText(cfg, date, dateOnly) {
    var opts = dateOnly
      ? { timeZone: cfg.tz, month: "2-digit", day: "2-digit", weekday: "short" }
      : { timeZone: cfg.tz, hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false };
    return new Intl.DateTimeFormat(cfg.lang === "zh" ? "zh-CN" : "en-GB", opts).format(date);
  }

  function everySecond() {
    var cfg = config();
    if (!cfg) {
      if (wall.socket && wall.socket.connected) wall.socket.disconnect(); // left the wall
      return;
    }
    if (!wall.socket) connect();
    else if (!wall.socket.connected && !wall.socket.active) wall.socket.connect();
    var clock = byId(cfg, "clock");
    var today = new Date();
    if (clock) clock.textContent = timeText(cfg, today, false);
    var date = byId(cfg, "date");
    if (date) date.textContent = timeText(cfg, today, true);
    var newest = cfg.newest;
    wall.model.forEach(function (g) {
      if (g.ts !== null && (newest === null || newest === undefined || g.ts > newest)) newest = g.ts;
    });
    var newestEl = byId(cfg, "newest");
    if (newestEl && newest) newestEl.textContent = timeText(cfg, new Date(newest * 1000), false);
    banner();
    // A new figure (first render, language switch) gets the model drawn at once; SOS pulses.
    var gd = graphDiv(cfg);
    var refresh = gd && (gd !== wall.graph || Date.now() - (wall.fullAt || 0) > 15000);
    try {
      readIncidents(cfg);
    } catch (err) {
      console.error("shouwang wall: incidents", err);
    }
    var waiting = hasWaiting();
    if (wall.sos.length || waiting) {
      wall.pulseOn = !wall.pulseOn;
      wall.pulse = true;
    }
    // An SOS no dispatcher has taken yet sounds every few seconds.
    if (wall.incidents && wall.incidents.alarm && Date.now() - wall.beepAt > 2500) {
      wall.beepAt = Date.now();
      beep();
    }
    if (wall.haveSnapshot && (refresh || wall.sos.length || waiting || wall.dirty || wall.incDirty)) {
      schedule();
    }
  }

  setInterval(everySecond, 1000);
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", everySecond);
  } else {
    everySecond();
  }
})();

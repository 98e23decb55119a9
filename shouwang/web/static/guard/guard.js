/* The guard's phone page: sign-in, positions, alerts by Socket.IO, one-tap SOS,
 * roll call, reinforcement answers, the assignment chain button, reports.
 * The server is the truth: every alert makes the page reload /api/v1/guard/me. */
(function () {
  "use strict";

  var TOKEN_KEY = "sw_guard_token";
  var DEVICE_KEY = "sw_guard_device";
  var SEND_EVERY_MS = 10000;
  // The page's strings, from the server's catalogue (the JSON blob in guard.html).
  var STRINGS = JSON.parse(document.getElementById("sw-strings").textContent);
  // The string `key` with its {name} placeholders filled from `vars`.
  function T(key, vars) {
    var text = STRINGS[key] !== undefined ? STRINGS[key] : key;
    return text.replace(/\{(\w+)\}/g, function (m, name) {
      return vars && vars[name] !== undefined ? String(vars[name]) : m;
    });
  }
  // Assignment chain: current status -> the next status (its button: guard.task.step.<next>).
  var CHAIN = { assigned: "acknowledged", acknowledged: "en_route", en_route: "on_scene", on_scene: "cleared" };

  var state = { token: localStorage.getItem(TOKEN_KEY), me: null, pos: null, sentAt: 0,
                socket: null, audio: null, timer: null };

  function $(id) { return document.getElementById(id); }
  function show(id, on) { $(id).hidden = !on; }
  function say(id, text, bad) { var el = $(id); el.textContent = text || ""; el.classList.toggle("bad", !!bad); }

  // -- server calls ---------------------------------------------------------------
  function api(method, path, body, isForm) {
    var headers = {};
    if (state.token) headers.Authorization = "Bearer " + state.token;
    var init = { method: method, headers: headers, credentials: "same-origin" };
    if (body !== undefined) {
      if (isForm) init.body = body;
      else { headers["Content-Type"] = "application/json"; init.body = JSON.stringify(body); }
    }
    return fetch(path, init).then(function (resp) {
      return resp.json().catch(function () { return {}; }).then(function (data) {
        if (resp.status === 401 && path !== "/api/v1/guard/signin") signOut(T("guard.signin.expired"));
        if (!resp.ok) {
          var err = new Error((data.error && data.error.message) || ("HTTP " + resp.status));
          err.status = resp.status; err.body = data; throw err;
        }
        return data;
      });
    });
  }

  // -- alert sound and vibration (no files: a WebAudio beep) --------------------------
  function unlockAudio() {
    var Ctx = window.AudioContext || window.webkitAudioContext;
    if (!state.audio && Ctx) state.audio = new Ctx();
    if (state.audio && state.audio.state === "suspended") state.audio.resume();
  }
  function alarm(times) {
    if (navigator.vibrate) navigator.vibrate([300, 150, 300, 150, 300]);
    var ctx = state.audio;
    if (!ctx) return;
    for (var i = 0; i < (times || 3); i++) {
      var osc = ctx.createOscillator(), gain = ctx.createGain(), t = ctx.currentTime + i * 0.35;
      osc.type = "square"; osc.frequency.value = 880;
      gain.gain.setValueAtTime(0.25, t); gain.gain.setValueAtTime(0, t + 0.2);
      osc.connect(gain); gain.connect(ctx.destination); osc.start(t); osc.stop(t + 0.22);
    }
  }

  // -- positions ------------------------------------------------------------------------
  function fixFrom(pos, alarmKind) {
    var fix = { device_id: localStorage.getItem(DEVICE_KEY), ts: Date.now() / 1000 };
    if (pos) {
      fix.lat = pos.coords.latitude; fix.lon = pos.coords.longitude;
      if (pos.coords.accuracy != null) fix.accuracy_m = pos.coords.accuracy;
      if (pos.coords.speed != null && pos.coords.speed >= 0) fix.speed_mps = pos.coords.speed;
      if (pos.coords.heading != null && pos.coords.heading >= 0) fix.heading_deg = pos.coords.heading;
    } else if (state.me) {
      // No position from the phone: the post, marked inaccurate so it never moves him.
      fix.lat = state.me.guard.post_lat; fix.lon = state.me.guard.post_lon; fix.accuracy_m = 100000;
    }
    if (alarmKind) fix.alarm = alarmKind;
    return fix;
  }
  function sendPosition(force) {
    if (!state.pos || !state.token) return Promise.resolve(null);
    if (!force && Date.now() - state.sentAt < SEND_EVERY_MS) return Promise.resolve(null);
    state.sentAt = Date.now();
    return api("POST", "/api/v1/positions", { fixes: [fixFrom(state.pos)] }).then(function (out) {
      var t = new Date().toLocaleTimeString(T("guard.locale"), { hour12: false });
      say("gps", out.accepted ? T("guard.gps.sent", { time: t }) : T("guard.gps.rejected"));
      return out;
    }).catch(function () { say("gps", T("guard.gps.failed"), true); });
  }
  function watchPosition() {
    if (!navigator.geolocation) { say("gps", T("guard.gps.unsupported"), true); return; }
    navigator.geolocation.watchPosition(function (pos) {
      state.pos = pos; sendPosition(false);
    }, function (err) {
      say("gps", T(err.code === 1 ? "guard.gps.denied" : "guard.gps.unavailable"), true);
    }, { enableHighAccuracy: true, maximumAge: 5000, timeout: 20000 });
  }

  // -- live channel -----------------------------------------------------------------------
  function connect() {
    if (state.socket) state.socket.disconnect();
    if (typeof io !== "function") return;
    var socket = io("/guard", { auth: { token: state.token }, transports: ["websocket", "polling"] });
    state.socket = socket;
    socket.on("connect", function () { $("net").dataset.state = "on"; $("net").textContent = T("guard.net.on"); refresh(); });
    socket.on("disconnect", function () { $("net").dataset.state = "off"; $("net").textContent = T("guard.net.off"); });
    socket.on("connect_error", function (err) {
      $("net").dataset.state = "off"; $("net").textContent = T("guard.net.off");
      if (err && /token|expired/.test(err.message)) signOut(T("guard.signin.expired"));
    });
    socket.on("rollcall", function () { alarm(3); refresh(); });
    socket.on("reinforcement", function () { alarm(4); refresh(); });
    socket.on("assignment_changed", function (ev) { if (ev.to === "assigned") alarm(3); refresh(); });
  }

  // -- what the page shows -------------------------------------------------------------------
  function refresh() {
    if (!state.token) return Promise.resolve();
    return api("GET", "/api/v1/guard/me").then(function (me) { state.me = me; render(); })
      .catch(function () {});
  }
  function render() {
    var me = state.me, g = me.guard;
    $("who").textContent = g.name + " · " + g.unit_id + (g.zone_id ? " · " + T("guard.zone", { zone: g.zone_id }) : "");
    var rc = me.rollcalls[0];
    show("rollcall-card", !!rc);
    if (rc) { $("rollcall-btn").dataset.id = rc.rollcall_id; $("rollcall-card").dataset.deadline = rc.deadline; }
    tick();
    var a = me.assignment;
    show("assignment-card", !!a);
    if (a) {
      $("assignment-kind").textContent = a.kind_zh || a.kind;
      $("assignment-desc").textContent = a.description || "";
      var word = STRINGS["guard.task.status." + a.status] || a.status;
      $("assignment-meta").textContent = T("guard.task.status", { status: word }) +
        (a.eta_s ? T("guard.task.eta", { min: Math.round(a.eta_s / 60) }) : "");
      var next = CHAIN[a.status];
      $("chain-btn").hidden = !next;
      if (next) { $("chain-btn").textContent = T("guard.task.step." + next); $("chain-btn").dataset.to = next; $("chain-btn").dataset.id = a.assignment_id; }
    }
    var box = $("reinforcements");
    box.textContent = "";
    me.reinforcements.forEach(function (r) { box.appendChild(reinforcementCard(r)); });
  }
  function reinforcementCard(r) {
    var card = document.createElement("section");
    card.className = "card reinforce";
    var h = document.createElement("h2"); h.textContent = T("guard.rf.title"); card.appendChild(h);
    var p = document.createElement("p");
    p.textContent = (r.note || T("guard.rf.default_note")) +
      T("guard.rf.distance", { m: Math.round(r.distance_m), min: Math.max(1, Math.round(r.eta_s / 60)) });
    card.appendChild(p);
    if (r.answer) {
      var done = document.createElement("p"); done.className = "notice";
      done.textContent = T("guard.rf.answered", {
        answer: T(r.answer === "coming" ? "reinforcement_answer.coming" : "reinforcement_answer.cannot")
      });
      card.appendChild(done);
    }
    var row = document.createElement("div"); row.className = "row";
    [["coming", T("reinforcement_answer.coming"), "btn go big"],
     ["cannot", T("reinforcement_answer.cannot"), "btn warn big"]].forEach(function (b) {
      var btn = document.createElement("button");
      btn.type = "button"; btn.className = b[2]; btn.textContent = b[1];
      btn.dataset.answer = b[0];
      btn.addEventListener("click", function () {
        api("POST", "/api/v1/reinforcements/" + r.reinforcement_id + "/respond", { answer: b[0] })
          .then(refresh).catch(function (e) { alert(e.message); });
      });
      row.appendChild(btn);
    });
    card.appendChild(row);
    return card;
  }
  function tick() {
    var card = $("rollcall-card");
    if (card.hidden) return;
    var left = Math.round(Number(card.dataset.deadline) - Date.now() / 1000);
    $("rollcall-countdown").textContent = left > 0
      ? Math.floor(left / 60) + ":" + String(left % 60).padStart(2, "0") : T("guard.rc.overdue");
  }

  // -- actions ------------------------------------------------------------------------------
  function answerRollCall() {
    var id = $("rollcall-btn").dataset.id;
    $("rollcall-btn").disabled = true;
    sendPosition(true).then(function () {
      return api("POST", "/api/v1/rollcalls/" + id + "/answer");
    }).then(function (out) {
      var bad = out.outcome !== "on_time";
      say("rollcall-result", T("guard.rc.answered", { outcome: out.outcome_zh }), bad);
      return refresh();
    }).catch(function (e) { say("rollcall-result", T("guard.rc.failed", { error: e.message }), true); })
      .then(function () { $("rollcall-btn").disabled = false; });
  }
  // Moves the guard along the dispatch workflow's assignment chain.
  function advanceAssignment() {
    var btn = $("chain-btn");
    btn.disabled = true;
    var who = state.me ? "guard:" + state.me.guard.guard_id : "guard";
    fetch("/api/v1/assignments/" + btn.dataset.id + "/transition", {
      method: "POST", headers: { "Content-Type": "application/json", "X-Actor": who },
      body: JSON.stringify({ to: btn.dataset.to })
    }).then(function (resp) { if (!resp.ok) throw new Error("HTTP " + resp.status); })
      .catch(function (e) { alert(T("guard.task.failed", { error: e.message })); })
      .then(function () { btn.disabled = false; return refresh(); });
  }
  function sos() {
    var btn = $("sos-btn");
    btn.classList.add("sent");
    var fix = fixFrom(state.pos, "sos");
    api("POST", "/api/v1/positions", { fixes: [fix] }).then(function () {
      say("sos-status", T("guard.sos.sent"));
    }).catch(function () {
      btn.classList.remove("sent");
      say("sos-status", T("guard.sos.failed"), true);
    });
  }
  function report(ev) {
    ev.preventDefault();
    var form = new FormData($("report-form"));
    var photo = $("report-photo").files[0];
    if (!photo) form.delete("photo");
    else if (photo.size > 5 * 1024 * 1024) { say("report-status", T("guard.report.too_big"), true); return; }
    $("report-btn").disabled = true;
    api("POST", "/api/v1/reports", form, true).then(function () {
      say("report-status", T("guard.report.sent"));
      $("report-form").reset();
      $("photo-name").textContent = T("guard.report.no_photo");
    }).catch(function (e) { say("report-status", T("guard.report.failed", { error: e.message }), true); })
      .then(function () { $("report-btn").disabled = false; });
  }

  // -- sign-in ------------------------------------------------------------------------------
  function signIn(ev) {
    ev.preventDefault();
    unlockAudio();
    var device = $("device-id").value.trim(), pin = $("pin").value.trim();
    say("signin-error", "");
    api("POST", "/api/v1/guard/signin", { device_id: device, pin: pin }).then(function (out) {
      state.token = out.token;
      localStorage.setItem(TOKEN_KEY, out.token);
      localStorage.setItem(DEVICE_KEY, device);
      $("pin").value = "";
      start();
    }).catch(function (e) {
      say("signin-error", T(e.status === 429 ? "guard.signin.too_many" : "guard.signin.wrong"), true);
    });
  }
  function signOut(message) {
    state.token = null; state.me = null;
    localStorage.removeItem(TOKEN_KEY);
    if (state.socket) { state.socket.disconnect(); state.socket = null; }
    show("main-view", false); show("signin-view", true);
    $("who").textContent = "";
    if (message) say("signin-error", message, true);
  }
  function start() {
    show("signin-view", false); show("main-view", true);
    refresh().then(function () { connect(); watchPosition(); });
    if (!state.timer) state.timer = setInterval(function () { tick(); sendPosition(false); }, 1000);
  }

  document.addEventListener("DOMContentLoaded", function () {
    $("device-id").value = localStorage.getItem(DEVICE_KEY) || "";
    $("signin-form").addEventListener("submit", signIn);
    $("sos-btn").addEventListener("click", sos);
    $("rollcall-btn").addEventListener("click", answerRollCall);
    $("chain-btn").addEventListener("click", advanceAssignment);
    $("report-form").addEventListener("submit", report);
    $("report-photo").addEventListener("change", function () {
      var f = this.files[0];
      $("photo-name").textContent = f
        ? T("guard.report.photo_name", { name: f.name, kb: Math.round(f.size / 1024) }) : T("guard.report.no_photo");
    });
    $("signout-btn").addEventListener("click", function () { signOut(""); });
    document.body.addEventListener("click", unlockAudio, { once: true });
    if (state.token && localStorage.getItem(DEVICE_KEY)) start(); else signOut("");
  });
})();

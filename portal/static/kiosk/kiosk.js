// Kiosk: faces, optional chips and comment, thank-you; every entry queued in IndexedDB first,
// then sent in batches when the network allows. Nothing a person pressed is ever dropped here.
(function () {
  "use strict";
  var DB_NAME = "guichet-kiosk";
  var BATCH = 200;
  var MAX_BACKOFF_MS = 60000;
  var THANKS_MS = 4000;
  var CONFIG_REFRESH_MS = 10 * 60 * 1000;

  var state = { device: null, token: null, current: null, lastPress: 0, presses: [], idleTimer: null,
    syncTimer: null, syncing: false, backoff: 0, lastConfig: 0, seq: 0, lang: "fr", status: "starting" };
  var $ = function (id) { return document.getElementById(id); };

  // ---- Languages: the page carries every word in French and English (counters/kiosk_words.py).
  var WORDS = JSON.parse(document.getElementById("kiosk-words").textContent);
  function w(key) { return (WORDS[state.lang] || WORDS.fr)[key] || WORDS.fr[key] || ""; }
  // The device's own language (set per device); French before enrolment, as the portal's default.
  function deviceLanguage() { return (state.device && WORDS[state.device.language]) ? state.device.language : "fr"; }
  function applyLanguage(lang) {
    state.lang = WORDS[lang] ? lang : "fr";
    document.documentElement.lang = state.lang;
    document.title = w("title");
    Array.prototype.forEach.call(document.querySelectorAll("[data-word]"), function (el) {
      el.textContent = w(el.getAttribute("data-word"));
    });
    // The switch names the other language in that language.
    var other = state.lang === "en" ? "fr" : "en";
    var sw = $("language-switch");
    sw.textContent = w("switch");
    sw.setAttribute("lang", other);
    if (state.device) renderDevice();
    else { $("question").textContent = w("question"); $("topics-question").textContent = w("topics_question"); }
    if (state.token) updateStatus(state.status);
  }

  // ---- IndexedDB: one store for the device, one for the queue, one for what the server refused.
  var dbPromise = null;
  function db() {
    if (!dbPromise) {
      dbPromise = new Promise(function (resolve, reject) {
        var open = indexedDB.open(DB_NAME, 1);
        open.onupgradeneeded = function () {
          var d = open.result;
          d.createObjectStore("device");
          d.createObjectStore("queue", { keyPath: "id" }).createIndex("seq", "seq");
          d.createObjectStore("rejected", { keyPath: "id" });
        };
        open.onsuccess = function () { resolve(open.result); };
        open.onerror = function () { reject(open.error); };
      });
    }
    return dbPromise;
  }
  function tx(store, mode, work) {
    return db().then(function (d) {
      return new Promise(function (resolve, reject) {
        var t = d.transaction(store, mode);
        var result;
        t.oncomplete = function () { resolve(result); };
        t.onerror = t.onabort = function () { reject(t.error); };
        work(t.objectStore(store), function (value) { result = value; });
      });
    });
  }
  function request(req, set) { req.onsuccess = function () { set(req.result); }; }
  function getDevice() { return tx("device", "readonly", function (s, set) { request(s.get("device"), set); }); }
  function putDevice(value) { return tx("device", "readwrite", function (s) { s.put(value, "device"); }); }
  function enqueue(item) {
    state.seq += 1;
    var record = { id: item.id, seq: Date.now() * 1000 + (state.seq % 1000), item: item };
    return tx("queue", "readwrite", function (s) { s.put(record); });
  }
  function queued(limit) {
    return tx("queue", "readonly", function (s, set) { request(s.index("seq").getAll(null, limit), set); });
  }
  function queueSize() { return tx("queue", "readonly", function (s, set) { request(s.count(), set); }); }
  function settle(records, results) {
    return db().then(function (d) {
      return new Promise(function (resolve, reject) {
        var t = d.transaction(["queue", "rejected"], "readwrite");
        t.oncomplete = resolve;
        t.onerror = t.onabort = function () { reject(t.error); };
        // One result per item sent, in order: matched by position, so even an entry whose id the
        // server could not read leaves the queue.
        results.slice(0, records.length).forEach(function (r, i) {
          var id = records[i].id;
          // Rejected entries will never be accepted: kept aside for staff, out of the way of the rest.
          if (r.status === "rejected") {
            t.objectStore("rejected").put({ id: id, reason: r.reason, message: r.message, at: new Date().toISOString() });
          }
          t.objectStore("queue").delete(id);
        });
      });
    });
  }

  // Half of an emoji (a lone surrogate) is not valid JSON text for the server: the whole batch would be
  // refused. Replaced by U+FFFD, as toWellFormed() does, also for entries queued by older versions.
  function wellFormed(text) {
    if (typeof text !== "string") return text;
    if (text.toWellFormed) return text.toWellFormed();
    var out = "";
    for (var i = 0; i < text.length; i++) {
      var c = text.charCodeAt(i);
      if (c >= 0xD800 && c <= 0xDBFF && (text.charCodeAt(i + 1) & 0xFC00) === 0xDC00) { out += text.slice(i, i + 2); i++; }
      else out += c >= 0xD800 && c <= 0xDFFF ? "\uFFFD" : text.charAt(i);
    }
    return out;
  }
  function outgoing(item) {
    var copy = {};
    Object.keys(item).forEach(function (k) { copy[k] = wellFormed(item[k]); });
    return copy;
  }

  function uuid() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    var b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 15) | 64; b[8] = (b[8] & 63) | 128;
    var h = Array.prototype.map.call(b, function (x) { return (x + 256).toString(16).slice(1); }).join("");
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
  }

  // ---- Screens
  function show(name) {
    ["loading", "enrol", "faces", "details", "thanks"].forEach(function (n) { $("screen-" + n).hidden = n !== name; });
    document.querySelector("main").setAttribute("data-screen", name);
    armIdle(name);
  }
  function setStatus(kind, text) {
    var el = $("status");
    el.setAttribute("data-state", kind);
    el.textContent = text;
  }
  function updateStatus(kind) {
    state.status = kind;
    $("reenrol").hidden = kind !== "unauthorized";
    queueSize().then(function (n) {
      var waiting = n ? " – " + w("waiting").replace("%(n)s", n) : "";
      if (kind === "unauthorized") setStatus(kind, w("unauthorized") + waiting);
      else if (kind === "offline") setStatus(kind, w("offline") + waiting);
      else setStatus(kind, n ? w("sending") + waiting : "");
    });
  }

  function questions() { return (state.device && state.device.question_set) || {}; }

  function renderDevice() {
    var q = questions();
    var lang = state.lang;
    $("question").textContent = q["question_" + lang] || q.question_fr || w("question");
    $("topics-question").textContent = q["topics_question_" + lang] || q.topics_question_fr || w("topics_question");
    $("service-name").textContent = state.device["service_name_" + lang] || state.device.service_name_fr || "";
    // Four faces: no middle one, so people lean one way or the other.
    var four = q.faces === 4;
    document.querySelector(".face-3").hidden = four;
    var chips = $("chips");
    // Switching language in the middle of a visit keeps what the person already tapped.
    var pressed = Array.prototype.filter.call(chips.children, function (c) { return c.getAttribute("aria-pressed") === "true"; })
      .map(function (c) { return c.getAttribute("data-topic"); });
    chips.textContent = "";
    (q.topics || []).forEach(function (topic) {
      var b = document.createElement("button");
      b.type = "button";
      b.className = "chip";
      b.setAttribute("aria-pressed", pressed.indexOf(topic.id) >= 0 ? "true" : "false");
      b.setAttribute("data-topic", topic.id);
      b.textContent = topic[lang] || topic.fr;
      chips.appendChild(b);
    });
    $("comment-field").hidden = q.comment === false;
  }

  // ---- A person's visit: face, then details, then thanks.
  function onFace(event) {
    var button = event.target.closest(".face");
    if (!button || state.current) return;
    var now = Date.now();
    var gap = state.device.min_gap_ms || 0;
    if (now - state.lastPress < gap) return; // too soon after the last press: ignored
    state.lastPress = now;
    var q = questions();
    var windowMs = q.burst_window_ms || 10000;
    state.presses = state.presses.filter(function (t) { return now - t < windowMs; });
    state.presses.push(now);
    var rating = parseInt(button.getAttribute("data-rating"), 10);
    state.current = {
      id: uuid(),
      device_time: new Date().toISOString(),
      rating: rating,
      service: q.service || null,
      topics: [],
      comment: "",
      // Many presses in a short window: kept, but flagged so nobody can quietly stuff the results.
      flagged: state.presses.length >= (q.burst_count || 4),
      question: q.id || "visit"
    };
    if ((q.topics && q.topics.length) || q.comment !== false) {
      Array.prototype.forEach.call($("chips").children, function (c) { c.setAttribute("aria-pressed", "false"); });
      $("comment").value = "";
      show("details");
      var first = $("chips").firstElementChild || $("comment");
      if (first) first.focus();
    } else {
      finish(false);
    }
  }

  function finish(withDetails) {
    var entry = state.current;
    if (!entry) return Promise.resolve();
    state.current = null;
    if (withDetails) {
      entry.topics = Array.prototype.filter.call($("chips").children, function (c) {
        return c.getAttribute("aria-pressed") === "true";
      }).map(function (c) { return c.getAttribute("data-topic"); });
      // By characters, not UTF-16 units: slicing an emoji in two would leave half of it.
      entry.comment = Array.from($("comment").value.trim()).slice(0, 500).join("");
    }
    $("comment").value = "";
    show("thanks");
    return enqueue(entry).then(function () { updateStatus(navigator.onLine ? "online" : "offline"); scheduleSync(200); });
  }

  // The next visitor starts in the device's language, whatever the last one picked.
  function backToFaces() {
    if (state.lang !== deviceLanguage()) applyLanguage(deviceLanguage());
    show("faces");
  }
  function reset() {
    if (state.current) { finish(false).then(backToFaces); return; }
    backToFaces();
  }

  function armIdle(screen) {
    clearTimeout(state.idleTimer);
    if (screen === "thanks") state.idleTimer = setTimeout(reset, THANKS_MS);
    else if (screen === "enrol" && state.token) state.idleTimer = setTimeout(reset, 120000);
    else if (screen === "details") state.idleTimer = setTimeout(reset, ((state.device && state.device.idle_reset_seconds) || 30) * 1000);
  }
  function touch() {
    var screen = document.querySelector("main").getAttribute("data-screen");
    if (screen === "details" || screen === "enrol") armIdle(screen);
  }

  // ---- Sending: batches, per-item answers, exponential backoff with jitter.
  function scheduleSync(delay) {
    clearTimeout(state.syncTimer);
    state.syncTimer = setTimeout(syncNow, delay);
  }
  function retryLater(kind) {
    state.backoff = Math.min(state.backoff ? state.backoff * 2 : 1000, MAX_BACKOFF_MS);
    updateStatus(kind);
    scheduleSync(state.backoff * (0.75 + Math.random() / 2));
  }
  function syncNow() {
    if (state.syncing || !state.token) return Promise.resolve();
    state.syncing = true;
    var step = function () {
      return Promise.all([queued(BATCH), queueSize()]).then(function (found) {
        var records = found[0];
        if (!records.length) { state.backoff = 0; updateStatus("online"); maybeRefreshConfig(); return null; }
        // What is left after this batch: the administration page shows it as this kiosk's queue.
        var left = Math.max(0, found[1] - records.length);
        return fetch("/api/v1/counters/sync", {
          method: "POST",
          cache: "no-store",
          headers: { "Content-Type": "application/json", "Authorization": "Bearer " + state.token },
          body: JSON.stringify({ items: records.map(function (r) { return outgoing(r.item); }), queued: left })
        }).then(function (response) {
          if (response.status === 401) { retryLater("unauthorized"); return null; }
          if (!response.ok) throw new Error("status " + response.status);
          return response.json().then(function (body) { return settle(records, body.results); }).then(function () {
            state.backoff = 0;
            return step();
          });
        });
      });
    };
    return step().catch(function () { retryLater("offline"); }).then(function () { state.syncing = false; });
  }

  function maybeRefreshConfig() {
    if (Date.now() - state.lastConfig < CONFIG_REFRESH_MS) return;
    state.lastConfig = Date.now();
    fetch("/api/v1/counters/device", { cache: "no-store", headers: { "Authorization": "Bearer " + state.token } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (device) {
        if (!device) return;
        state.device = device;
        putDevice({ token: state.token, device: device });
        if (!state.current) renderDevice();
      }).catch(function () {});
  }

  // ---- Enrolment: a one-time code becomes a device token kept on this tablet.
  function onEnrol(event) {
    event.preventDefault();
    var code = $("enrol-code").value.trim();
    $("enrol-error").textContent = "";
    if (!code) { $("enrol-error").textContent = w("enrol_empty"); $("enrol-code").focus(); return; }
    fetch("/api/v1/counters/enrol", {
      method: "POST", cache: "no-store", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ code: code })
    }).then(function (response) {
      if (response.status === 201) return response.json();
      var error = new Error(w(response.status === 401 ? "enrol_refused" : response.status === 429 ? "enrol_too_many" : "enrol_failed"));
      error.fromServer = true;
      throw error;
    }).then(function (body) {
      return putDevice({ token: body.token, device: body.device }).then(function () { start(body.token, body.device); });
    }).catch(function (error) {
      $("enrol-error").textContent = error.fromServer ? error.message : w("enrol_offline");
      $("enrol-code").focus();
    });
  }

  function start(token, device) {
    state.token = token;
    state.device = device;
    state.lastConfig = Date.now();
    applyLanguage(deviceLanguage());
    show("faces");
    updateStatus(navigator.onLine ? "online" : "offline");
    scheduleSync(500);
  }

  function boot() {
    document.querySelector(".faces").addEventListener("click", onFace);
    $("chips").addEventListener("click", function (e) {
      var chip = e.target.closest(".chip");
      if (chip) chip.setAttribute("aria-pressed", chip.getAttribute("aria-pressed") === "true" ? "false" : "true");
    });
    $("send").addEventListener("click", function () { finish(true); });
    $("skip").addEventListener("click", function () { finish(false); });
    $("done").addEventListener("click", backToFaces);
    // A visitor may read the screen in the other language; it goes back to the device's after the visit.
    $("language-switch").addEventListener("click", function () { applyLanguage(state.lang === "en" ? "fr" : "en"); });
    $("enrol-form").addEventListener("submit", onEnrol);
    // Staff only: after a revocation, a new code brings this kiosk back; its queue is kept meanwhile.
    $("reenrol").addEventListener("click", function () {
      $("enrol-cancel").hidden = false;
      show("enrol");
      $("enrol-code").focus();
    });
    $("enrol-cancel").addEventListener("click", backToFaces);
    ["pointerdown", "keydown", "input"].forEach(function (t) { document.addEventListener(t, touch, true); });
    window.addEventListener("online", function () { state.backoff = 0; scheduleSync(0); });
    window.addEventListener("offline", function () { updateStatus("offline"); });
    // A slow heartbeat as well: navigator.onLine is not always right.
    setInterval(function () { if (!state.syncing && !state.backoff) scheduleSync(0); }, 30000);
    if ("serviceWorker" in navigator) {
      navigator.serviceWorker.register("/kiosk/sw.js", { scope: "/kiosk" }).catch(function () {});
    }
    // The administration page's QR code opens /kiosk#code=XXXX-XXXX: enrol with it at once. The code
    // travels in the fragment, which no server or proxy logs, and leaves the address bar here.
    var linked = /(?:^#|&)code=([A-Za-z0-9-]{4,20})/.exec(location.hash);
    if (linked) history.replaceState(null, "", location.pathname + location.search);
    getDevice().then(function (saved) {
      if (linked) {
        $("enrol-code").value = linked[1];
        $("enrol-cancel").hidden = !(saved && saved.token);
        if (saved && saved.token) { state.token = saved.token; state.device = saved.device; }
        show("enrol");
        onEnrol({ preventDefault: function () {} });
      } else if (saved && saved.token) start(saved.token, saved.device);
      else { show("enrol"); $("enrol-code").focus(); }
    }).catch(function () { show("enrol"); });
    // For staff diagnosing a kiosk from the browser console, and for the end-to-end tests.
    window.guichetKiosk = {
      queueSize: queueSize,
      syncNow: function () { state.backoff = 0; return syncNow(); },
      rejected: function () { return tx("rejected", "readonly", function (s, set) { request(s.getAll(), set); }); },
      record: function (rating) {
        return enqueue({ id: uuid(), device_time: new Date().toISOString(), rating: rating, service: questions().service || null,
          topics: [], comment: "", flagged: false, question: questions().id || "visit" });
      }
    };
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", boot);
  else boot();
})();

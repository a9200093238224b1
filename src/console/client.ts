// The console's one client script, served as /console/static/console.js (the CSP allows
// scripts from 'self' only: nothing inline). Plain ES2020, no build step, no framework.
// Every page works without it; with it, the inbox and threads refresh themselves, the
// thread timeline follows the SSE stream, an eval's report follows its progress, answers are
// sent in place, deadlines count down.
export const CONSOLE_JS = String.raw`"use strict";
(function () {
  var live = document.getElementById("live");
  function say(text) { if (live) { live.textContent = ""; live.textContent = text; } }
  function html(text) { var t = document.createElement("template"); t.innerHTML = text; return t.content; }
  function get(url) {
    return fetch(url, { headers: { accept: "text/html" }, credentials: "same-origin" }).then(function (r) {
      if (r.status === 401) { location.reload(); throw new Error("signed out"); }
      if (!r.ok) throw new Error(url + ": " + r.status);
      return r.text();
    });
  }

  // Deadlines count down once a second.
  function left(ms) {
    if (ms <= 0) return "expired";
    var s = Math.floor(ms / 1000), d = Math.floor(s / 86400), h = Math.floor(s % 86400 / 3600), m = Math.floor(s % 3600 / 60);
    return "in " + (d ? d + "d " : "") + (d || h ? h + "h " : "") + m + "m " + (s % 60) + "s";
  }
  function tick() {
    document.querySelectorAll("[data-countdown]").forEach(function (el) {
      el.textContent = "(" + left(Date.parse(el.getAttribute("data-countdown")) - Date.now()) + ")";
    });
  }
  tick();
  setInterval(tick, 1000);

  // Answer forms are sent in place; the entry goes away once the answer is recorded.
  document.addEventListener("submit", function (e) {
    var form = e.target;
    if (!(form instanceof HTMLFormElement) || form.getAttribute("data-async") !== "respond") return;
    e.preventDefault();
    var data = new FormData(form);
    if (e.submitter && e.submitter.name) data.set(e.submitter.name, e.submitter.value);
    var status = form.querySelector(".form-status");
    var buttons = form.querySelectorAll("button");
    buttons.forEach(function (b) { b.disabled = true; });
    fetch(form.action, { method: "POST", body: data, headers: { accept: "application/json" }, credentials: "same-origin" })
      .then(function (r) { return r.json().then(function (body) { return { ok: r.ok, body: body }; }); })
      .then(function (res) {
        if (!res.ok) throw new Error(res.body && res.body.error ? res.body.error.message : "The answer was not recorded.");
        var entry = form.closest("[data-request]");
        if (entry) entry.remove();
        say("Answer recorded.");
        emptyState();
      })
      .catch(function (err) {
        if (status) status.textContent = err.message;
        buttons.forEach(function (b) { b.disabled = false; });
      });
  });

  // The inbox: new requests appear and answered ones leave, without a reload.
  var inbox = document.getElementById("inbox");
  function emptyState() {
    var empty = document.getElementById("inbox-empty");
    if (inbox && empty) empty.hidden = inbox.children.length > 0;
  }
  if (inbox) {
    var refreshInbox = function () {
      get(inbox.getAttribute("data-live")).then(function (text) {
        var fresh = html(text), seen = {}, added = 0;
        fresh.querySelectorAll("[data-request]").forEach(function (li) {
          var id = li.getAttribute("data-request");
          seen[id] = true;
          if (!inbox.querySelector('[data-request="' + CSS.escape(id) + '"]')) { inbox.appendChild(li); added++; }
        });
        inbox.querySelectorAll("[data-request]").forEach(function (li) {
          if (!seen[li.getAttribute("data-request")] && !li.contains(document.activeElement)) li.remove();
        });
        if (added) say(added + " new request" + (added > 1 ? "s" : ""));
        emptyState();
        tick();
      }).catch(function () {});
    };
    setInterval(refreshInbox, 2000);
  }

  // The threads list refreshes its rows (the filters stay as they are).
  var threads = document.getElementById("threads");
  if (threads) {
    setInterval(function () {
      get(location.href).then(function (text) {
        var body = html(text).querySelector("#threads tbody");
        var mine = threads.querySelector("tbody");
        if (body && mine && !threads.contains(document.activeElement)) mine.replaceWith(body);
      }).catch(function () {});
    }, Number(threads.getAttribute("data-refresh")) || 5000);
  }

  // An eval's report refreshes while the eval runs (progress, summary, cases), then stops.
  var report = document.getElementById("eval");
  if (report) {
    var pollEval = function () {
      if (report.getAttribute("data-status") !== "running") return;
      get(report.getAttribute("data-live")).then(function (text) {
        var fresh = html(text).firstElementChild;
        if (fresh && !report.contains(document.activeElement)) {
          report.replaceWith(fresh);
          report = fresh;
          if (fresh.getAttribute("data-status") !== "running") say("Eval " + fresh.getAttribute("data-status"));
        }
      }).catch(function () {}).then(function () { setTimeout(pollEval, 1500); });
    };
    setTimeout(pollEval, 1500);
  }

  // A thread's timeline follows its SSE stream; the server renders every new item.
  var timeline = document.getElementById("timeline");
  if (timeline && window.EventSource) {
    var id = timeline.getAttribute("data-thread");
    var last = Number(timeline.getAttribute("data-last-seq")) || 0;
    var busy = false, again = false, ended = false;
    var refresh = function () {
      if (busy) { again = true; return; }
      busy = true;
      get("/console/threads/" + encodeURIComponent(id) + "/timeline?after=" + last).then(function (text) {
        var items = html(text);
        items.querySelectorAll("li[data-seq]").forEach(function (li) {
          var seq = Number(li.getAttribute("data-seq"));
          if (seq > last) { timeline.appendChild(li); last = seq; }
        });
        timeline.setAttribute("data-last-seq", String(last));
        return get("/console/threads/" + encodeURIComponent(id) + "/header");
      }).then(function (text) {
        var header = document.getElementById("thread-header");
        var typing = header && header.contains(document.activeElement) && /^(TEXTAREA|INPUT)$/.test(document.activeElement.tagName);
        if (header && !typing) {
          var fresh = html(text).firstElementChild;
          if (fresh) { header.replaceWith(fresh); say("Status: " + fresh.getAttribute("data-status").replace(/_/g, " ")); }
        }
        tick();
      }).catch(function () {}).then(function () {
        busy = false;
        if (again) { again = false; refresh(); }
      });
    };
    var stream = new EventSource("/console/threads/" + encodeURIComponent(id) + "/stream?after=" + last);
    var onEvent = function (e) {
      if (e.type === "thread_finished" || e.type === "thread_failed" || e.type === "thread_cancelled") { ended = true; stream.close(); }
      refresh();
    };
    (timeline.getAttribute("data-event-types") || "").split(",").forEach(function (type) {
      if (type) stream.addEventListener(type, onEvent);
    });
    stream.onerror = function () { if (ended) stream.close(); };
  }
})();
`;

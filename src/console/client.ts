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
  // The same steps as the server's ago() (pages/timeline.tsx).
  function ago(ms) {
    var s = Math.max(0, Math.round(ms / 1000));
    if (s < 60) return s + " s ago";
    if (s < 3600) return Math.floor(s / 60) + " min ago";
    if (s < 86400) return Math.floor(s / 3600) + " h ago";
    return Math.floor(s / 86400) + " d ago";
  }
  function tick() {
    document.querySelectorAll("[data-countdown]").forEach(function (el) {
      el.textContent = "(" + left(Date.parse(el.getAttribute("data-countdown")) - Date.now()) + ")";
    });
    document.querySelectorAll("[data-ago]").forEach(function (el) {
      el.textContent = ago(Date.now() - Date.parse(el.getAttribute("data-ago")));
    });
  }
  tick();
  setInterval(tick, 1000);

  // Answer forms are sent in place; the entry goes away once the answer is recorded.
  document.addEventListener("submit", function (e) {
    var form = e.target;
    if (!(form instanceof HTMLFormElement) || form.getAttribute("data-async") !== "respond") return;
    e.preventDefault();
    var confirmText = e.submitter && e.submitter.getAttribute("data-confirm");
    if (confirmText && !window.confirm(confirmText)) return;
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
        if (entry) {
          // Focus stays in the list: on the next request, or the previous one at the end.
          var cards = requests(), at = cards.indexOf(entry);
          var next = cards[at + 1] || cards[at - 1];
          entry.remove();
          if (next) next.focus();
        }
        say("Answer recorded.");
        emptyState();
      })
      .catch(function (err) {
        if (status) status.textContent = err.message;
        buttons.forEach(function (b) { b.disabled = false; });
      });
  });

  // Keyboard: j/k move between request cards, a approves the focused one, r rejects it
  // (after a confirm). Keys typed into a field are left alone.
  function requests() { return Array.prototype.slice.call(document.querySelectorAll("li[data-request]")); }
  document.addEventListener("keydown", function (e) {
    if (e.ctrlKey || e.metaKey || e.altKey || e.defaultPrevented) return;
    var t = e.target;
    if (t instanceof HTMLElement && (/^(INPUT|TEXTAREA|SELECT)$/.test(t.tagName) || t.isContentEditable)) return;
    var cards = requests();
    if (!cards.length) return;
    var current = document.activeElement && document.activeElement.closest ? document.activeElement.closest("li[data-request]") : null;
    var at = cards.indexOf(current);
    if (e.key === "j" || e.key === "k") {
      e.preventDefault();
      var to = e.key === "j" ? (at < 0 ? 0 : Math.min(at + 1, cards.length - 1)) : (at < 0 ? 0 : Math.max(at - 1, 0));
      cards[to].focus();
      cards[to].scrollIntoView({ block: "nearest" });
    } else if ((e.key === "a" || e.key === "r") && current) {
      var button = current.querySelector(e.key === "a" ? "button.approve" : "button.reject");
      if (button && !button.disabled) { e.preventDefault(); button.click(); }
    }
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
  if (timeline && timeline.getAttribute("data-live") && window.EventSource) {
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

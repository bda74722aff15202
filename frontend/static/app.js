// tuongtac — progressive enhancement only. Every form and link works without
// this file; it adds character counters, copy and print buttons, the console's
// keyboard shortcuts and answer drafts kept in localStorage.
(function () {
  "use strict";

  var lang = document.documentElement.lang || "vi";

  function fmt(n) {
    try { return n.toLocaleString(lang === "en" ? "en-GB" : "vi-VN"); } catch (e) { return String(n); }
  }

  function fill(template, n) {
    return (template || "").replace("{n}", fmt(n));
  }

  // Elements that only make sense with JavaScript start hidden.
  function showJSOnly() {
    document.querySelectorAll(".js-only[hidden]").forEach(function (el) { el.hidden = false; });
  }

  // Character counters on text boxes with a maxlength and data-count. The
  // visible counter updates as one types; a hidden live region announces the
  // count when typing pauses, so screen readers are not flooded.
  function counters() {
    document.querySelectorAll("textarea[data-count][maxlength]").forEach(function (box) {
      var out = document.getElementById(box.id + "-count");
      if (!out) return;
      var max = parseInt(box.getAttribute("maxlength"), 10);
      var live = document.createElement("p");
      live.className = "visually-hidden";
      live.setAttribute("aria-live", "polite");
      out.parentNode.insertBefore(live, out.nextSibling);
      var timer;
      function update(announce) {
        var left = max - box.value.length;
        var text = left >= 0 ? fill(out.dataset.left, left) : fill(out.dataset.over, -left);
        out.textContent = text;
        out.classList.toggle("count-over", left < 0);
        out.classList.toggle("count-near", left >= 0 && left < max / 10);
        if (announce) {
          clearTimeout(timer);
          timer = setTimeout(function () { live.textContent = text; }, 1000);
        }
      }
      box.addEventListener("input", function () { update(true); });
      update(false);
    });
  }

  function copyButtons() {
    document.querySelectorAll("[data-copy]").forEach(function (btn) {
      btn.addEventListener("click", function () {
        var src = document.querySelector(btn.dataset.copy);
        if (!src || !navigator.clipboard) return;
        navigator.clipboard.writeText(src.textContent.trim()).then(function () {
          btn.textContent = btn.dataset.copied;
        });
      });
    });
    document.querySelectorAll("input[data-select-all]").forEach(function (input) {
      input.addEventListener("focus", function () { input.select(); });
    });
    document.querySelectorAll("[data-print]").forEach(function (btn) {
      btn.addEventListener("click", function () { window.print(); });
    });
  }

  // Move focus to the error summary or the flash message, so keyboard and
  // screen-reader users land on what just happened.
  function focusMessage() {
    var el = document.querySelector("[data-focus]");
    if (el) el.focus();
  }

  // Drafts: whatever is typed into a box with data-draft-key is kept in
  // localStorage, so a session that times out mid-answer loses nothing. The
  // draft is restored on load and dropped once the server confirms the action
  // (the page after the redirect carries data-done).
  function store() {
    try {
      var k = "__tt_probe__";
      window.localStorage.setItem(k, k);
      window.localStorage.removeItem(k);
      return window.localStorage;
    } catch (e) {
      return null;
    }
  }

  function drafts() {
    var ls = store();
    if (!ls) return;
    // Drafts are keyed by officer, thread and the thread's last change: a
    // draft typed before the thread moved on (returned, re-answered) is
    // dropped, never restored over newer text from the server.
    var page = document.querySelector("[data-draft-prefix]");
    if (page) {
      var prefix = page.dataset.draftPrefix, base = page.dataset.draftBase;
      var stale = [];
      for (var i = 0; i < ls.length; i++) {
        var k = ls.key(i);
        if (k && k.indexOf(prefix) === 0 && k.indexOf(prefix + base + ":") !== 0) stale.push(k);
      }
      stale.forEach(function (k) { ls.removeItem(k); });
      if (page.dataset.done) ls.removeItem(prefix + base + ":" + page.dataset.done);
    }
    // Signing out (a shared computer) forgets every draft.
    var logout = document.querySelector("form[data-logout]");
    if (logout) logout.addEventListener("submit", function () {
      var mine = [];
      for (var i = 0; i < ls.length; i++) {
        var k = ls.key(i);
        if (k && k.indexOf("tt:draft:") === 0) mine.push(k);
      }
      mine.forEach(function (k) { ls.removeItem(k); });
    });
    document.querySelectorAll("textarea[data-draft-key]").forEach(function (box) {
      var key = box.dataset.draftKey;
      var status = document.querySelector('[data-draft-status="' + key + '"]');
      var saved = ls.getItem(key);
      if (saved && saved !== box.value) {
        box.value = saved;
        box.dispatchEvent(new Event("input"));
        if (status) status.textContent = status.dataset.restored;
      }
      var timer;
      box.addEventListener("input", function () {
        clearTimeout(timer);
        timer = setTimeout(function () {
          if (box.value.trim() === "") {
            ls.removeItem(key);
            return;
          }
          try { ls.setItem(key, box.value); } catch (e) { return; }
          if (status) {
            var now = new Date();
            var hm = ("0" + now.getHours()).slice(-2) + ":" + ("0" + now.getMinutes()).slice(-2);
            status.textContent = fill(status.dataset.saved, 0).replace("{t}", hm);
          }
        }, 400);
      });
    });
  }

  // Console keyboard shortcuts; never while typing in a field.
  function shortcuts() {
    if (!document.body.classList.contains("console")) return;
    var help = document.getElementById("shortcuts");
    var toggle = document.querySelector("[data-shortcuts-toggle]");
    function showHelp(show) {
      if (!help) return;
      help.hidden = !show;
      if (toggle) toggle.setAttribute("aria-expanded", show ? "true" : "false");
      if (show) help.scrollIntoView({ block: "nearest" });
    }
    if (toggle) toggle.addEventListener("click", function () { showHelp(help.hidden); });

    function typing(el) {
      if (!el) return false;
      var tag = el.tagName;
      return tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || el.isContentEditable;
    }

    function moveRow(step) {
      var rows = Array.prototype.slice.call(document.querySelectorAll("a[data-row-link]"));
      if (!rows.length) return;
      var i = rows.indexOf(document.activeElement);
      i = i < 0 ? (step > 0 ? 0 : rows.length - 1) : Math.min(rows.length - 1, Math.max(0, i + step));
      rows[i].focus();
    }

    document.addEventListener("keydown", function (e) {
      if (e.ctrlKey || e.metaKey || e.altKey || e.defaultPrevented) return;
      if (e.key === "Escape") { showHelp(false); return; }
      if (typing(e.target)) return;
      var el;
      switch (e.key) {
        case "?":
          showHelp(help && help.hidden);
          break;
        case "/":
          el = document.querySelector("[data-shortcut-focus]");
          if (el) el.focus();
          break;
        case "a":
          el = document.querySelector("textarea[data-shortcut-answer]");
          if (el) el.focus();
          break;
        case "c":
          el = document.querySelector('form[data-shortcut="c"]');
          if (el) {
            if (el.requestSubmit) el.requestSubmit(); else el.submit();
          }
          break;
        case "j":
          moveRow(1);
          break;
        case "k":
          moveRow(-1);
          break;
        default:
          return;
      }
      e.preventDefault();
    });
  }

  // Suggestions while typing in a search box: published titles from
  // /api/v1/threads/suggest, as links. Without JavaScript the box is a
  // plain search form.
  function suggestions() {
    document.querySelectorAll("input[data-suggest]").forEach(function (box) {
      var list = document.getElementById(box.getAttribute("aria-controls"));
      if (!list || !window.fetch) return;
      var timer, last = "";
      function clear() { list.innerHTML = ""; list.hidden = true; }
      box.addEventListener("input", function () {
        clearTimeout(timer);
        var q = box.value.trim();
        if (q.length < 2) { clear(); return; }
        timer = setTimeout(function () {
          if (q === last) return;
          last = q;
          fetch("/api/v1/threads/suggest?limit=6&q=" + encodeURIComponent(q))
            .then(function (r) { return r.ok ? r.json() : { items: [] }; })
            .then(function (d) {
              if (box.value.trim() !== q) return;
              list.innerHTML = "";
              (d.items || []).forEach(function (it) {
                var li = document.createElement("li");
                var a = document.createElement("a");
                a.href = "/threads/" + encodeURIComponent(it.id);
                a.textContent = it.title; // plain text: never inserted as HTML
                li.appendChild(a);
                list.appendChild(li);
              });
              list.hidden = !list.children.length;
            })
            .catch(clear);
        }, 150);
      });
      box.addEventListener("keydown", function (e) { if (e.key === "Escape") clear(); });
    });
  }

  // Live console: the queue page listens on the officers' socket and lists
  // new threads and transitions in its agencies as they happen. The table
  // itself changes on the next load; without JavaScript, reloading shows all.
  function liveConsole() {
    var box = document.querySelector("[data-live-console]");
    if (!box || !window.WebSocket) return;
    var list = box.querySelector("ul");
    var proto = location.protocol === "https:" ? "wss:" : "ws:";
    var ws;
    function connect(delay) {
      setTimeout(function () {
        ws = new WebSocket(proto + "//" + location.host + "/ws/console");
        ws.onmessage = function (e) {
          var f;
          try { f = JSON.parse(e.data); } catch (err) { return; }
          if (!f || f.type !== "thread") return;
          var li = document.createElement("li");
          var a = document.createElement("a");
          a.href = "/console/threads/" + encodeURIComponent(f.thread_id);
          a.textContent = f.title; // text, never HTML
          var label = box.getAttribute("data-action-" + f.action) || f.action;
          li.appendChild(a);
          li.appendChild(document.createTextNode(" — " + label));
          list.insertBefore(li, list.firstChild);
          while (list.children.length > 20) list.removeChild(list.lastChild);
          box.hidden = false;
        };
        ws.onclose = function () { connect(Math.min((delay || 1000) * 2, 30000)); };
      }, delay || 0);
    }
    connect(0);
  }

  function init() {
    liveConsole();
    suggestions();
    showJSOnly();
    counters();
    copyButtons();
    drafts();
    shortcuts();
    focusMessage();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();

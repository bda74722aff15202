// tuongtac live chat — the citizen's chat ([data-chat]) and the officer's
// panel ([data-console]). The wire protocol is chat/PROTOCOL.md. Nothing
// typed is lost: unsent messages and the draft live in localStorage until
// the server echoes them back (matched by the client id), and a dropped
// connection resumes with ?after=<last seq>.
(function () {
  "use strict";

  function wsURL(path) {
    var proto = location.protocol === "https:" ? "wss:" : "ws:";
    return proto + "//" + location.host + path;
  }

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text != null) e.textContent = text;
    return e;
  }

  function clock(at) {
    try {
      return new Date(at).toLocaleTimeString(document.documentElement.lang === "en" ? "en-GB" : "vi-VN", { hour: "2-digit", minute: "2-digit" });
    } catch (e) { return ""; }
  }

  function newID() {
    var a = new Uint8Array(12);
    (window.crypto || window.msCrypto).getRandomValues(a);
    return Array.prototype.map.call(a, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }

  function load(key, def) {
    try { var v = localStorage.getItem(key); return v ? JSON.parse(v) : def; } catch (e) { return def; }
  }
  function save(key, v) {
    try { if (v == null) localStorage.removeItem(key); else localStorage.setItem(key, JSON.stringify(v)); } catch (e) { /* private mode */ }
  }

  // A socket that reconnects with backoff; open() gives the URL each time.
  function Socket(url, onFrame, onState) {
    var ws, delay = 500, stopped = false;
    function connect() {
      onState("connecting");
      ws = new WebSocket(url());
      ws.onopen = function () { delay = 500; onState("open"); };
      ws.onmessage = function (ev) {
        var f;
        try { f = JSON.parse(ev.data); } catch (e) { return; }
        onFrame(f);
      };
      ws.onclose = function (ev) {
        onState("closed", ev.code, ev.reason);
        // Refusals that a retry cannot fix end here.
        if (stopped || [4000, 4001, 4003, 4004].indexOf(ev.code) >= 0) return;
        setTimeout(connect, delay);
        delay = Math.min(delay * 2, 15000);
      };
    }
    connect();
    return {
      send: function (f) {
        if (ws && ws.readyState === 1) { ws.send(JSON.stringify(f)); return true; }
        return false;
      },
      stop: function () { stopped = true; if (ws) ws.close(); }
    };
  }

  // The citizen's chat.
  function citizen(root) {
    var T = root.dataset, agency = T.agency, key = "tt-chat-" + agency;
    var state = load(key, null) || {}; // {chat_id, token, last, outbox: [{id, body}]}
    state.outbox = state.outbox || [];
    state.last = state.last || 0;
    var seen = {}, closed = false, online = 1;
    var log = root.querySelector("[data-log]"), status = root.querySelector("[data-status]");
    var body = root.querySelector("[data-body]"), typing = root.querySelector("[data-typing]");
    var offline = root.querySelector("[data-offline]"), consent = root.querySelector("[data-consent]");
    var typingTimer, lastTyping = 0;
    root.hidden = false;
    body.value = load(key + "-draft", "") || "";

    function persist() { save(key, state); }
    function line(from, text, at, pending) {
      var li = el("li", "chat-msg chat-" + from + (pending ? " chat-pending" : ""));
      li.appendChild(el("span", "chat-who", from === "citizen" ? T.tYou : T.tAgency));
      if (at) li.appendChild(el("time", "chat-at", clock(at)));
      li.appendChild(el("p", "chat-body", text));
      log.appendChild(li);
      li.scrollIntoView({ block: "nearest" });
      return li;
    }
    function note(text) { log.appendChild(el("li", "chat-note", text)); }
    function showOutbox() {
      log.querySelectorAll(".chat-pending").forEach(function (n) { n.remove(); });
      state.outbox.forEach(function (m) { line("citizen", m.body, null, true).title = T.tUnsent; });
    }
    function flush() {
      state.outbox.forEach(function (m) { sock.send({ type: "message", body: m.body, id: m.id }); });
    }
    function setOnline(n) {
      online = n;
      offline.hidden = closed || n > 0 || root.dataset.joined === "1";
    }
    function url() {
      if (state.chat_id) {
        return wsURL("/ws/chat?chat_id=" + encodeURIComponent(state.chat_id) + "&token=" + encodeURIComponent(state.token) + "&after=" + state.last);
      }
      return wsURL("/ws/chat?agency=" + encodeURIComponent(agency));
    }
    function onFrame(f) {
      switch (f.type) {
        case "welcome":
          state.chat_id = f.chat_id; state.token = f.token; persist();
          root.querySelector("[data-transcript-form]").action = "/chat/" + f.chat_id + "/transcript";
          root.querySelector("[data-transcript-form] input[name=token]").value = f.token;
          status.textContent = T.tConnected;
          setOnline(f.online);
          if (f.state === "closed") closed = true;
          // Resend what did not make it; the server stores each id once.
          setTimeout(flush, 0);
          break;
        case "message":
          if (seen[f.seq]) return;
          seen[f.seq] = true;
          state.last = Math.max(state.last, f.seq);
          if (f.id) state.outbox = state.outbox.filter(function (m) { return m.id !== f.id; });
          persist();
          showOutbox();
          line(f.from, f.body, f.at);
          typing.hidden = true;
          break;
        case "typing":
          typing.hidden = false;
          clearTimeout(typingTimer);
          typingTimer = setTimeout(function () { typing.hidden = true; }, 4000);
          break;
        case "joined":
          if (root.dataset.joined !== "1") note(T.tJoined);
          root.dataset.joined = "1"; setOnline(online);
          break;
        case "consent":
          consent.checked = !!f.value;
          break;
        case "closed":
          if (!closed) note(T.tClosed);
          closed = true; setOnline(online);
          root.querySelector("[data-compose]").hidden = true;
          break;
        case "presence":
          setOnline(f.online);
          break;
        case "error":
          note(f.message);
          break;
      }
    }
    var sock = Socket(url, onFrame, function (s, code) {
      if (s === "connecting") status.textContent = state.chat_id ? T.tReconnecting : T.tConnecting;
      if (s === "closed" && code === 4004) { save(key, null); status.textContent = T.tFailed; }
    });

    root.querySelector("[data-compose]").addEventListener("submit", function (ev) {
      ev.preventDefault();
      var text = body.value.trim();
      if (!text) return;
      var m = { id: newID(), body: text };
      state.outbox.push(m); persist();
      body.value = ""; save(key + "-draft", null);
      showOutbox();
      sock.send({ type: "message", body: m.body, id: m.id });
    });
    body.addEventListener("input", function () {
      save(key + "-draft", body.value);
      var now = Date.now();
      if (now - lastTyping > 2000) { lastTyping = now; sock.send({ type: "typing" }); }
    });
    body.addEventListener("keydown", function (ev) {
      if (ev.key === "Enter" && !ev.shiftKey) { ev.preventDefault(); root.querySelector("[data-compose]").requestSubmit(); }
    });
    root.querySelector("[data-end]").addEventListener("click", function () { sock.send({ type: "close" }); });
    consent.addEventListener("change", function () { sock.send({ type: "consent", value: consent.checked }); });

    // Leave the chat as a question: the server makes it a thread with all
    // the citizen wrote, and the draft still in the box.
    root.querySelector("[data-show-question]").addEventListener("click", function () {
      root.querySelector("[data-question]").hidden = false;
      root.querySelector("#q-title").focus();
    });
    root.querySelector("[data-question-form]").addEventListener("submit", function (ev) {
      ev.preventDefault();
      var form = ev.target, err = root.querySelector("[data-question-error]");
      var draft = state.outbox.map(function (m) { return m.body; }).concat([body.value]).join("\n\n");
      fetch("/api/v1/chats/" + state.chat_id + "/question", {
        method: "POST", headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ token: state.token, title: form.title.value, name: form.name.value, email: form.email.value, consent: form.consent.checked, draft: draft, lang: document.documentElement.lang })
      }).then(function (r) { return r.json().then(function (j) { return { ok: r.ok, j: j }; }); }).then(function (res) {
        if (!res.ok) {
          var e = res.j.error || {};
          err.textContent = Object.keys(e.fields || {}).map(function (k) { return e.fields[k]; }).join(" ") || e.message || T.tFailed;
          err.hidden = false;
          return;
        }
        state.outbox = []; persist(); save(key + "-draft", null); body.value = "";
        var done = root.querySelector("[data-question-done]");
        done.textContent = T.tQuestionOk + " " + res.j.tracking_code;
        done.hidden = false; form.hidden = true; err.hidden = true;
        save(key, null); // the next visit starts a new chat
      }).catch(function () { err.textContent = T.tFailed; err.hidden = false; });
    });
    root.querySelector("[data-mail-form]").addEventListener("submit", function (ev) {
      ev.preventDefault();
      var out = root.querySelector("[data-mail-status]");
      fetch("/api/v1/chats/" + state.chat_id + "/transcript/email", {
        method: "POST", headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ token: state.token, email: ev.target.email.value, lang: document.documentElement.lang })
      }).then(function (r) { return r.json().then(function (j) { out.textContent = r.ok ? T.tMailOk : ((j.error && (j.error.fields && j.error.fields.email || j.error.message)) || T.tFailed); }); })
        .catch(function () { out.textContent = T.tFailed; });
    });
  }

  // The officer's panel: waiting chats, several conversations, presence.
  function console_(root) {
    var T = root.dataset, csrf = T.csrf;
    var status = root.querySelector("[data-status]"), waiting = root.querySelector("[data-waiting]");
    var panels = root.querySelector("[data-panels]"), onlineList = root.querySelector("[data-online]");
    var chats = {}; // chat_id -> {panel, log, last, seen, outbox}
    root.hidden = false;

    function waitingItem(f) {
      if (waiting.querySelector("[data-id='" + f.chat_id + "']") || chats[f.chat_id]) return;
      var li = el("li", "chat-waiting-item");
      li.dataset.id = f.chat_id;
      li.appendChild(el("span", "", f.agency + " · " + clock(f.at)));
      var b = el("button", "button button-secondary", T.tAccept);
      b.type = "button";
      b.addEventListener("click", function () { sock.send({ type: "accept", chat_id: f.chat_id }); });
      li.appendChild(b);
      waiting.appendChild(li);
      updateEmpty();
    }
    function dropWaiting(id) {
      var li = waiting.querySelector("[data-id='" + id + "']");
      if (li) li.remove();
      updateEmpty();
    }
    function updateEmpty() { root.querySelector("[data-waiting-empty]").hidden = waiting.children.length > 0; }

    function panel(id, agency) {
      if (chats[id]) return chats[id];
      var p = el("article", "chat-panel");
      p.appendChild(el("h3", "", agency + " · " + id.slice(-6)));
      var log = el("ol", "chat-log");
      log.setAttribute("aria-live", "polite");
      p.appendChild(log);
      var typing = el("p", "chat-typing muted", T.tTyping);
      typing.hidden = true;
      p.appendChild(typing);
      var consent = el("p", "tag", T.tConsent);
      consent.hidden = true;
      p.appendChild(consent);
      var form = el("form", "chat-compose");
      var label = el("label", "visually-hidden", T.tMessage);
      label.htmlFor = "m-" + id;
      var box = el("textarea");
      box.id = "m-" + id; box.rows = 2;
      box.value = load("tt-console-draft-" + id, "") || "";
      var send = el("button", "button", T.tSend);
      send.type = "submit";
      var close = el("button", "button button-secondary", T.tClose);
      close.type = "button";
      form.appendChild(label); form.appendChild(box); form.appendChild(send); form.appendChild(close);
      p.appendChild(form);
      panels.appendChild(p);
      var c = { panel: p, log: log, typing: typing, consent: consent, form: form, last: 0, seen: {}, outbox: load("tt-console-outbox-" + id, []) || [], agency: agency, lastTyping: 0 };
      chats[id] = c;
      form.addEventListener("submit", function (ev) {
        ev.preventDefault();
        var text = box.value.trim();
        if (!text) return;
        var m = { id: newID(), body: text };
        c.outbox.push(m); save("tt-console-outbox-" + id, c.outbox);
        box.value = ""; save("tt-console-draft-" + id, null);
        sock.send({ type: "message", chat_id: id, body: text, id: m.id });
      });
      box.addEventListener("input", function () {
        save("tt-console-draft-" + id, box.value);
        var now = Date.now();
        if (now - c.lastTyping > 2000) { c.lastTyping = now; sock.send({ type: "typing", chat_id: id }); }
      });
      close.addEventListener("click", function () { sock.send({ type: "close", chat_id: id }); });
      dropWaiting(id);
      return c;
    }
    function publishForm(id) {
      var c = chats[id];
      if (!c || c.publishing || !c.consented || !c.closed) return;
      c.publishing = true;
      fetch("/api/v1/moderation/chats/" + id, { headers: { "X-CSRF-Token": csrf } }).then(function (r) { return r.json(); }).then(function (d) {
        if (!d.can || !d.can.publish) return;
        var f = el("form", "chat-publish");
        f.appendChild(el("h4", "", T.tPublish));
        [["title", T.tTitle, ""], ["question", T.tQuestion, d.draft.question], ["answer", T.tAnswer, d.draft.answer]].forEach(function (x) {
          var l = el("label", "", x[1]);
          var inp = x[0] === "title" ? el("input") : el("textarea");
          inp.name = x[0]; inp.value = x[2]; inp.id = "p-" + x[0] + "-" + id; l.htmlFor = inp.id;
          f.appendChild(l); f.appendChild(inp);
        });
        var out = el("p", "field-error");
        var b = el("button", "button", T.tPublish);
        b.type = "submit";
        f.appendChild(out); f.appendChild(b);
        f.addEventListener("submit", function (ev) {
          ev.preventDefault();
          fetch("/api/v1/moderation/chats/" + id + "/publish", {
            method: "POST", headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
            body: JSON.stringify({ title: f.title.value, question: f.question.value, answer: f.answer.value })
          }).then(function (r) { return r.json().then(function (j) { return { ok: r.ok, j: j }; }); }).then(function (res) {
            if (res.ok) { f.replaceWith(el("p", "flash", T.tPublished)); return; }
            var e = res.j.error || {};
            out.textContent = Object.keys(e.fields || {}).map(function (k) { return k + ": " + e.fields[k]; }).join(" ") || e.message || T.tFailed;
          });
        });
        c.panel.appendChild(f);
      });
    }

    function onFrame(f) {
      var c = f.chat_id && chats[f.chat_id];
      switch (f.type) {
        case "chat_waiting": waitingItem(f); break;
        case "chat_taken": case "chat_closed": dropWaiting(f.chat_id); break;
        case "chat_active":
          c = panel(f.chat_id, f.agency);
          sock.send({ type: "resume", chat_id: f.chat_id, after: c.last });
          break;
        case "accepted": panel(f.chat_id, f.agency); break;
        case "message":
          if (!c || c.seen[f.seq]) return;
          c.seen[f.seq] = true;
          c.last = Math.max(c.last, f.seq);
          if (f.id) { c.outbox = c.outbox.filter(function (m) { return m.id !== f.id; }); save("tt-console-outbox-" + f.chat_id, c.outbox); }
          var li = el("li", "chat-msg chat-" + f.from);
          li.appendChild(el("span", "chat-who", f.from === "agency" ? T.tYou : T.tCitizen));
          li.appendChild(el("time", "chat-at", clock(f.at)));
          li.appendChild(el("p", "chat-body", f.body));
          c.log.appendChild(li);
          c.typing.hidden = true;
          break;
        case "typing":
          if (!c) return;
          c.typing.hidden = false;
          clearTimeout(c.typingTimer);
          c.typingTimer = setTimeout(function () { c.typing.hidden = true; }, 4000);
          break;
        case "consent":
          if (!c) return;
          c.consented = !!f.value; c.consent.hidden = !f.value;
          publishForm(f.chat_id);
          break;
        case "closed":
          if (!c) return;
          if (!c.closed) c.log.appendChild(el("li", "chat-note", T.tClosed));
          c.closed = true; c.form.hidden = true;
          publishForm(f.chat_id);
          break;
        case "presence":
          if (!f.officers) return;
          onlineList.textContent = "";
          f.officers.forEach(function (o) { onlineList.appendChild(el("li", "", o.name)); });
          break;
        case "error":
          status.textContent = f.message;
          if (f.code === "taken") dropWaiting(f.chat_id);
          break;
      }
    }
    var sock = Socket(function () { return wsURL("/ws/console"); }, onFrame, function (s) {
      status.textContent = s === "open" ? T.tConnected : s === "connecting" ? T.tConnecting : T.tReconnecting;
      if (s === "open") {
        // Resend what did not make it, once each chat is rejoined.
        setTimeout(function () {
          Object.keys(chats).forEach(function (id) {
            chats[id].outbox.forEach(function (m) { sock.send({ type: "message", chat_id: id, body: m.body, id: m.id }); });
          });
        }, 1000);
      }
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var c = document.querySelector("[data-chat]");
    if (c && window.WebSocket) citizen(c);
    var o = document.querySelector("[data-console]");
    if (o && window.WebSocket) console_(o);
  });
})();

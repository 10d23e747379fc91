// The web-chat page: no framework, no third-party code. Every piece of text
// that came from a person goes into the page through textContent, never as
// markup. The visitor cookie is HttpOnly: this script never sees it.
"use strict";
(() => {
  const $ = (id) => document.getElementById(id);
  const log = $("log"), form = $("compose"), text = $("text"), send = $("send");
  const error = $("error"), status = $("status"), prechat = $("prechat");
  let known = null;          // has this visitor written before? (from the server)
  const shown = new Map();   // message id → its list item
  const pending = new Map(); // our message_id → the item shown while sending

  const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

  // A random v4 UUID; crypto.randomUUID needs a secure context, this does not.
  function uuid() {
    const b = new Uint8Array(16);
    crypto.getRandomValues(b);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    const h = Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
  }

  function clock(iso) {
    const d = new Date(iso);
    return isNaN(d) ? "" : d.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
  }

  function bubble(direction, who, body, when) {
    const li = document.createElement("li");
    li.className = direction;
    const meta = document.createElement("span");
    meta.className = "meta";
    meta.textContent = who + (when ? " · " + when : "");
    const p = document.createElement("span");
    p.className = "body";
    p.textContent = body;
    li.append(meta, p);
    return li;
  }

  function scrollDown() {
    if (log.lastElementChild) log.lastElementChild.scrollIntoView({ block: "end" });
  }

  function addMessage(m) {
    if (shown.has(m.id)) return;
    const who = m.direction === "in" ? "You" : (m.author || "Agent");
    const li = bubble(m.direction, who, m.text, clock(m.sent_at));
    li.dataset.id = String(m.id);
    const mine = m.client_id && pending.get(m.client_id);
    if (mine) {
      mine.replaceWith(li);
      pending.delete(m.client_id);
    } else {
      log.append(li);
    }
    shown.set(m.id, li);
    scrollDown();
  }

  function setKnown(k) {
    known = k;
    prechat.hidden = k; // the pre-chat form only before a visitor's first message
  }

  const events = new EventSource("/chat/events");
  events.addEventListener("open", () => { status.textContent = "Connected"; });
  events.addEventListener("error", () => { status.textContent = "Reconnecting…"; });
  events.addEventListener("state", (e) => setKnown(JSON.parse(e.data).known));
  events.addEventListener("message", (e) => addMessage(JSON.parse(e.data)));

  // post sends one message, retrying with the same message_id (the server
  // ignores a repeat) on network errors, 429 and 5xx.
  async function post(msg) {
    for (let attempt = 0; attempt < 5; attempt++) {
      let r;
      try {
        r = await fetch("/chat/messages", {
          method: "POST", credentials: "same-origin",
          headers: { "Content-Type": "application/json" },
          body: JSON.stringify(msg),
        });
      } catch (_) {
        await sleep(500 * 2 ** attempt);
        continue;
      }
      if (r.ok) return { ok: true };
      const reason = (await r.text()).trim();
      if (r.status === 429 || r.status >= 500) {
        const after = Number(r.headers.get("Retry-After")) || 1;
        await sleep(Math.max(1000 * after, 500 * 2 ** attempt));
        continue;
      }
      return { ok: false, reason: reason || `Not sent (${r.status}).` };
    }
    return { ok: false, reason: "Not sent: check your connection and try again." };
  }

  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const body = text.value.trim();
    if (!body) {
      error.textContent = "Write a message first.";
      text.focus();
      return;
    }
    const msg = { message_id: uuid(), text: body, started_by: "visitor" };
    try {
      const tz = Intl.DateTimeFormat().resolvedOptions().timeZone;
      if (tz) msg.timezone = tz;
    } catch (_) { /* no Intl: no time zone */ }
    if (navigator.language) msg.language = navigator.language;
    if (!known) {
      const pc = {};
      for (const f of ["name", "email", "phone"]) {
        const v = $("pc-" + f).value.trim();
        if (v) pc[f] = v;
      }
      if (Object.keys(pc).length) msg.prechat = pc;
    }
    error.textContent = "";
    send.disabled = true;
    const li = bubble("in", "You", body, "sending…");
    li.classList.add("pending");
    log.append(li);
    pending.set(msg.message_id, li);
    scrollDown();
    const res = await post(msg);
    send.disabled = false;
    if (res.ok) {
      text.value = "";
      setKnown(true);
      text.focus();
      return;
    }
    li.remove();
    pending.delete(msg.message_id);
    error.textContent = res.reason;
  });

  // Enter sends, Shift+Enter starts a new line.
  text.addEventListener("keydown", (e) => {
    if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      form.requestSubmit();
    }
  });
})();

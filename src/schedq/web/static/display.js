// The lobby display: polls the public display feed every 1.5 s with If-None-Match
// (an unchanged screen costs a 304), highlights each new call and can chime.
"use strict";

(() => {
  const { api, poll, el, setText, message, clock } = schedq;
  const siteId = document.body.dataset.siteId;
  const params = new URLSearchParams(window.location.search);
  const MAX_CALLED = 6;
  const MAX_RECENT = 8;
  const FRESH_MS = 10000;

  let etag = null;
  let lastCallAt = null; // the newest call or recall already shown: only later ones flash and chime
  const callNodes = new Map(); // ticket code -> <li>, kept across polls so animations are not restarted

  // The chime: browsers block sound until someone interacts, so it needs ?chime=1 and a touch, or the button.
  let chimeOn = params.get("chime") === "1";
  let audio = null;
  const chimeButton = document.getElementById("chime");

  function audioContext() {
    const Context = window.AudioContext || window.webkitAudioContext;
    if (!Context) return null;
    if (!audio) audio = new Context();
    if (audio.state === "suspended") audio.resume().catch(() => {});
    return audio;
  }

  function playChime() {
    const context = audioContext();
    if (!context) return;
    const start = context.currentTime + 0.05;
    [659.25, 880].forEach((frequency, i) => {
      const at = start + i * 0.4;
      const tone = context.createOscillator();
      const gain = context.createGain();
      tone.type = "sine";
      tone.frequency.value = frequency;
      gain.gain.setValueAtTime(0.0001, at);
      gain.gain.exponentialRampToValueAtTime(0.35, at + 0.03);
      gain.gain.exponentialRampToValueAtTime(0.0001, at + 0.9);
      tone.connect(gain).connect(context.destination);
      tone.start(at);
      tone.stop(at + 1);
    });
  }

  function showChimeState() {
    chimeButton.setAttribute("aria-pressed", String(chimeOn));
    chimeButton.textContent = chimeOn ? "Sound on · Sonido encendido" : "Sound off · Sonido apagado";
  }

  chimeButton.addEventListener("click", () => {
    chimeOn = !chimeOn;
    showChimeState();
    if (chimeOn) playChime(); // inside the click, so the browser lets sound start
  });
  if (chimeOn) document.addEventListener("pointerdown", () => audioContext(), { once: true });
  showChimeState();

  function flash(node) {
    node.classList.remove("fresh");
    void node.offsetWidth; // restart the animation
    node.classList.add("fresh");
    clearTimeout(node.freshTimer);
    node.freshTimer = setTimeout(() => node.classList.remove("fresh"), FRESH_MS);
  }

  function callNode(call) {
    return el("li", { class: "call", "data-code": call.code },
      el("span", { class: "code" }, call.code),
      el("span", { class: "arrow", "aria-hidden": "true" }, "→"),
      el("span", { class: "call-station" },
        el("span", { class: "go" }, el("span", { lang: "en" }, "Go to"), " · ", el("span", { lang: "es" }, "Pase a")),
        el("span", { class: "station-name" }, call.station)));
  }

  function renderCalled(feed, freshCodes) {
    const list = document.getElementById("now-called");
    const shown = feed.now_called.slice(0, MAX_CALLED);
    const wanted = new Set(shown.map((c) => c.code));
    for (const [code, node] of callNodes) {
      if (!wanted.has(code)) { node.remove(); callNodes.delete(code); }
    }
    shown.forEach((call, i) => {
      let node = callNodes.get(call.code);
      if (!node || node.dataset.station !== call.station) {
        const fresh = callNode(call);
        fresh.dataset.station = call.station;
        if (node) node.replaceWith(fresh);
        node = fresh;
        callNodes.set(call.code, node);
      }
      if (list.children[i] !== node) list.insertBefore(node, list.children[i] || null);
      if (freshCodes.has(call.code)) flash(node);
    });
    document.getElementById("now-empty").hidden = shown.length > 0;
  }

  function renderRecent(feed) {
    const list = document.getElementById("recent");
    const items = feed.recent_calls.slice(0, MAX_RECENT).map((call) =>
      el("li", {},
        el("span", { class: "code" }, call.code),
        el("span", { class: "station-name" }, call.station),
        el("time", { datetime: call.at }, clock(call.at, feed.timezone))));
    list.replaceChildren(...items);
    if (!items.length) list.append(el("li", { class: "muted" }, el("span", { lang: "en" }, "No calls yet today"), " · ", el("span", { lang: "es" }, "Aún no hay llamadas hoy")));
  }

  function renderWait(feed) {
    // The site's status (open, midday break, opens at…) for people not in line; while walk-ins
    // cannot join, it replaces the wait, so nobody reads a range they cannot have.
    const status = feed.status;
    setText("status-en", status ? status.message.en : "");
    setText("status-es", status ? status.message.es : "");
    const joining = !status || status.walk_ins_accepted;
    const estimate = feed.estimate;
    document.getElementById("wait-en").hidden = !joining;
    document.getElementById("wait-es").hidden = !joining;
    setText("wait-en", !joining ? "" : estimate ? message(estimate, "en") : "No wait estimate right now.");
    setText("wait-es", !joining ? "" : estimate ? message(estimate, "es") : "Sin estimación de espera por ahora.");
    setText("waiting", `${feed.waiting} waiting · ${feed.waiting} en espera`);
    const open = feed.stations_open;
    setText("stations-open", open.length
      ? `Open · Abiertas: ${open.join(", ")}`
      : "No station is open · Ninguna estación abierta");
  }

  let primed = false; // calls already on screen when the page opens neither flash nor chime

  function newCalls(feed) {
    const calls = feed.recent_calls;
    const after = lastCallAt === null ? null : new Date(lastCallAt);
    const fresh = primed ? calls.filter((c) => after === null || new Date(c.at) > after) : [];
    if (calls.length && (after === null || new Date(calls[0].at) > after)) lastCallAt = calls[0].at;
    primed = true;
    return new Set(fresh.map((c) => c.code));
  }

  function render(feed) {
    const fresh = newCalls(feed);
    renderCalled(feed, fresh);
    renderRecent(feed);
    renderWait(feed);
    if (fresh.size && chimeOn) playChime();
    document.body.dataset.loaded = "true";
  }

  poll(async () => {
    const answer = await api(`/sites/${siteId}/display`, { etag });
    if (answer.status === 304) return;
    etag = answer.etag;
    render(answer.data);
  }, {
    intervalMs: 1500,
    onError: (error) => setText("wait-en", schedq.describeError(error)),
  });
})();

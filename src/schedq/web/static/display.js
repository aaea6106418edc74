// The lobby display: polls the public display feed every 1.5 s with If-None-Match
// (an unchanged screen costs a 304) and highlights each new call. Every line is said in each of the
// site's display languages, one line each, from the words the page carries; as the site's
// `display_announce` says, each call is chimed, and spoken in each display language ("A042, Station 3").
// A screen in kiosk mode (README: "The lobby display") sounds without a touch; any other browser
// holds sound back until someone touches the screen once, and the screen says so.
"use strict";

(() => {
  const { api, poll, el, setText, clock } = schedq;
  const siteId = document.body.dataset.siteId;
  const languages = document.body.dataset.languages.split(" ");
  const words = JSON.parse(document.getElementById("words").textContent);
  const MAX_CALLED = 6;
  const MAX_RECENT = 8;
  const FRESH_MS = 10000;
  const CHIME_MS = 1100; // speech starts once the chime has rung

  let etag = null;
  let lastCallAt = null; // the newest call or recall already shown: only later ones flash and sound
  const callNodes = new Map(); // ticket code -> <li>, kept across polls so animations are not restarted

  /** `words[language][key]` with its `{placeholders}` filled in. */
  function say(language, key, values = {}) {
    return words[language][key].replace(/\{(\w+)\}/g, (whole, name) => (name in values ? String(values[name]) : whole));
  }

  /** One line per display language, alike in size, weight and colour (the `say` class). */
  function lines(key, values) {
    return languages.map((language) => el("span", { class: "say", lang: language, "data-say": key }, say(language, key, values)));
  }

  /** Fill `container` with one line per language, each from `text(language)`; ids are `<id>-<language>`. */
  function fillLines(container, key, text) {
    const wanted = languages.map((language) => text(language));
    const current = [...container.children].map((node) => node.textContent);
    if (current.length === wanted.length && current.every((t, i) => t === wanted[i])) return;
    container.replaceChildren(...languages.map((language, i) =>
      el("span", { class: "say", lang: language, "data-say": key, id: `${container.id}-${language}` }, wanted[i])));
  }

  // Sound ----------------------------------------------------------------------------------

  let announce = document.body.dataset.announce; // "off", "chime" or "chime_and_speech"
  let audio = null;
  const soundBlocked = document.getElementById("sound-blocked");

  function showSoundState() {
    soundBlocked.hidden = announce === "off" || !audio || audio.state === "running";
  }

  function wake() {
    if (audio && audio.state !== "running") audio.resume().then(showSoundState, showSoundState);
  }

  function setAnnounce(value) {
    announce = value;
    if (announce !== "off" && !audio) {
      const Context = window.AudioContext || window.webkitAudioContext;
      if (Context) {
        audio = new Context();
        audio.addEventListener("statechange", showSoundState);
      }
    }
    wake();
    showSoundState();
  }

  // A browser not in kiosk mode lets sound start only after a touch (or a key).
  document.addEventListener("pointerdown", wake);
  document.addEventListener("keydown", wake);

  function playChime() {
    if (!audio) return;
    schedq.chime(audio, [659.25, 880], { peak: 0.35, seconds: 0.9 });
  }

  function voiceFor(language) {
    return window.speechSynthesis.getVoices().find((voice) => voice.lang.toLowerCase().split(/[-_]/)[0] === language) || null;
  }

  /** Each call, oldest first, said in each display language, in the voice of that language when there is one. */
  function speak(calls) {
    if (!("speechSynthesis" in window)) return;
    for (const call of calls) {
      for (const language of languages) {
        const utterance = new SpeechSynthesisUtterance(say(language, "announce", { code: call.code, station: (call.station_names || {})[language] || call.station }));
        utterance.lang = language;
        const voice = voiceFor(language);
        if (voice) utterance.voice = voice;
        window.speechSynthesis.speak(utterance);
      }
    }
  }

  function announceCalls(fresh) {
    if (!fresh.length || announce === "off") return;
    playChime();
    if (announce === "chime_and_speech") {
      const calls = [...fresh].reverse();
      setTimeout(() => speak(calls), CHIME_MS);
    }
  }

  setAnnounce(announce);

  // The screen ------------------------------------------------------------------------------

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
        el("span", { class: "go" }, lines("goTo")),
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
      el("li", { class: "recent-call" },
        el("span", { class: "code" }, call.code),
        el("span", { class: "station-name" }, call.station),
        el("time", { datetime: call.at }, clock(call.at, feed.timezone))));
    list.replaceChildren(...items);
    if (!items.length) list.append(el("li", { class: "none" }, lines("noCalls")));
  }

  function statusWords(status, language) {
    if (!status || !status.message) return "";
    return status.message[language] || status.message.en || "";
  }

  function renderWait(feed) {
    // The site's status (open, midday break, opens at…) for people not in line; while walk-ins
    // cannot join, it replaces the wait, so nobody reads a range they cannot have.
    const status = feed.status;
    fillLines(document.getElementById("status"), "status", (language) => statusWords(status, language));
    const joining = !status || status.walk_ins_accepted;
    const estimate = feed.estimate;
    const wait = document.getElementById("wait");
    wait.hidden = !joining;
    fillLines(wait, "wait", (language) => {
      if (!joining) return "";
      if (!estimate) return say(language, "noEstimate");
      return (estimate.message && (estimate.message[language] || estimate.message.en)) || "";
    });
    fillLines(document.getElementById("waiting"), "waiting", (language) => say(language, "waiting", { count: feed.waiting }));
    const open = feed.stations_open;
    fillLines(document.getElementById("stations-open"), "stationsOpen", (language) => (open.length
      ? say(language, "stationsOpen", { stations: open.join(", ") })
      : say(language, "noStationOpen")));
  }

  let primed = false; // calls already on screen when the page opens neither flash nor sound

  function newCalls(feed) {
    const calls = feed.recent_calls;
    const after = lastCallAt === null ? null : new Date(lastCallAt);
    const fresh = primed ? calls.filter((c) => after === null || new Date(c.at) > after) : [];
    if (calls.length && (after === null || new Date(calls[0].at) > after)) lastCallAt = calls[0].at;
    primed = true;
    return fresh;
  }

  function render(feed) {
    // The site changed its display languages: the page is drawn in them afresh, with no touch.
    if (feed.display_languages && feed.display_languages.join(" ") !== languages.join(" ")) {
      window.location.reload();
      return;
    }
    if (feed.display_announce && feed.display_announce !== announce) setAnnounce(feed.display_announce);
    const fresh = newCalls(feed);
    renderCalled(feed, new Set(fresh.map((c) => c.code)));
    renderRecent(feed);
    renderWait(feed);
    announceCalls(fresh);
    document.body.dataset.loaded = "true";
  }

  poll(async () => {
    const answer = await api(`/sites/${siteId}/display`, { etag });
    if (answer.status === 304) return;
    etag = answer.etag;
    render(answer.data);
  }, {
    intervalMs: 1500,
    onError: (error) => setText("wait", schedq.describeError(error)),
  });
})();

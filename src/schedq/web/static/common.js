// What the three pages share: calling the JSON API, polling it with back-off,
// the "reconnecting…" notice, building DOM from text (never HTML), and wait words.
"use strict";

const schedq = (() => {
  const API = "/api/v1";

  class ApiError extends Error {
    constructor(status, body) {
      super((body && body.message) || `HTTP ${status}`);
      this.status = status;
      this.body = body || {};
    }
  }

  /**
   * A JSON call, in the page's language (`Accept-Language` from `<html lang>`: the API names services and
   * stations in it). Resolves {status, etag, data}; 304 gives data null. Throws ApiError or TypeError (network).
   */
  async function api(path, { method = "GET", headers = {}, body, etag } = {}) {
    const sent = { Accept: "application/json", "Accept-Language": language(), ...headers };
    if (body !== undefined) sent["Content-Type"] = "application/json";
    if (etag) sent["If-None-Match"] = etag;
    const response = await fetch(API + path, {
      method,
      headers: sent,
      body: body === undefined ? undefined : JSON.stringify(body),
      cache: "no-store",
      credentials: "same-origin",
    });
    if (response.status === 304) return { status: 304, etag, data: null };
    const raw = await response.text();
    let data = null;
    if (raw) {
      try { data = JSON.parse(raw); } catch { data = null; }
    }
    if (!response.ok) throw new ApiError(response.status, data);
    return { status: response.status, etag: response.headers.get("ETag"), data };
  }

  /** True when the error means "the server could not be reached or is restarting". */
  function isConnectionError(error) {
    return !(error instanceof ApiError) || error.status >= 500 || error.status === 0;
  }

  // The connection notice -----------------------------------------------------------

  /** The words this file says, in every language (web/i18n.py `COMMON_WORDS`, a JSON island on every page). */
  const commonWords = (() => {
    const island = document.getElementById("common-words");
    if (!island) return {};
    try { return JSON.parse(island.textContent); } catch { return {}; }
  })();

  /** A common word in `lang` (English when that language lacks it), its `{name}` placeholders filled. */
  function commonSay(key, values = {}, lang = language()) {
    const text = (commonWords[lang] || {})[key] || (commonWords.en || {})[key] || key;
    return text.replace(/\{(\w+)\}/g, (whole, name) => (name in values ? String(values[name]) : whole));
  }

  /** An API error in the page's words: its message, the fields it names, and what is allowed instead. */
  function describeError(error) {
    if (!(error instanceof ApiError)) return commonSay("unreachable");
    const parts = [error.body.message || commonSay("failed", { status: error.status })];
    const fields = error.body.errors;
    if (fields) {
      for (const where of Object.values(fields)) {
        for (const [field, messages] of Object.entries(where)) {
          parts.push(`${field}: ${[].concat(messages).join(" ")}`);
        }
      }
    }
    const allowed = error.body.allowed_actions;
    if (Array.isArray(allowed)) {
      parts.push(allowed.length
        ? commonSay("allowedNow", { actions: allowed.map((a) => commonSay(`act.${a}`)).join(", ") })
        : commonSay("noneAllowed"));
    }
    return parts.join(" ");
  }

  const notice = {
    element: null,
    lost(retryMs) {
      this.element = this.element || document.getElementById("connection");
      if (!this.element) return;
      this.seconds = Math.max(1, Math.round(retryMs / 1000));
      this.show();
      clearInterval(this.ticking);
      this.ticking = setInterval(() => {
        this.seconds = Math.max(1, this.seconds - 1);
        this.show();
      }, 1000);
      this.element.hidden = false;
      document.body.classList.add("offline");
    },
    /** "Reconnecting… trying again in 3 s" in the page's language (English when it has none). */
    show() {
      this.element.textContent = commonSay("reconnecting", { seconds: this.seconds });
    },
    ok() {
      clearInterval(this.ticking);
      this.element = this.element || document.getElementById("connection");
      if (this.element) this.element.hidden = true;
      document.body.classList.remove("offline");
    },
  };

  /**
   * Run `task` every `intervalMs`. When the server cannot be reached, wait 1 s, 2 s, 4 s…
   * (at most `maxBackoffMs`) and show "Reconnecting…" until it answers again; no reload needed.
   * Errors the server answered with (4xx) go to `onError` and do not slow polling down.
   */
  function poll(task, { intervalMs, maxBackoffMs = 5000, onError = () => {} }) {
    let failures = 0;
    let timer = null;
    let running = false;
    let stopped = false;

    async function run() {
      timer = null;
      running = true;
      try {
        await task();
        failures = 0;
        notice.ok();
      } catch (error) {
        if (isConnectionError(error)) {
          failures += 1;
        } else {
          failures = 0;
          notice.ok();
          onError(error);
        }
      }
      running = false;
      if (stopped) return;
      const delay = failures ? Math.min(1000 * 2 ** (failures - 1), maxBackoffMs) : intervalMs;
      if (failures) notice.lost(delay);
      timer = setTimeout(run, delay);
    }

    run();
    window.addEventListener("online", () => poller.now());
    document.addEventListener("visibilitychange", () => { if (!document.hidden) poller.now(); });

    const poller = {
      /** Poll at once (after an action, or when the page comes back into view). */
      now() {
        if (stopped || running) return;
        if (timer) clearTimeout(timer);
        run();
      },
      stop() {
        stopped = true;
        if (timer) clearTimeout(timer);
      },
    };
    return poller;
  }

  // DOM from text ---------------------------------------------------------------------

  /** el("p", {class: "x", lang: "es"}, "text", child…): attributes set as attributes, children as text nodes. */
  function el(tag, attributes = {}, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attributes)) {
      if (value === null || value === undefined || value === false) continue;
      if (name === "class") node.className = value;
      else node.setAttribute(name, value === true ? "" : String(value));
    }
    for (const child of children.flat()) {
      if (child === null || child === undefined || child === false) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  /** Set an element's text (never HTML); returns whether it changed. */
  function setText(idOrNode, text) {
    const node = typeof idOrNode === "string" ? document.getElementById(idOrNode) : idOrNode;
    if (!node) return false;
    const value = text === null || text === undefined ? "" : String(text);
    if (node.textContent === value) return false;
    node.textContent = value;
    return true;
  }

  /**
   * Make `container`'s children show `items` in order, rebuilding only the ones whose signature
   * changed: buttons under a pointer or keyboard are not swapped out on every poll.
   */
  function reconcile(container, items, keyOf, signatureOf, build) {
    const existing = new Map([...container.children].map((node) => [node.schedqKey, node]));
    items.forEach((item, i) => {
      const key = String(keyOf(item));
      const signature = signatureOf(item);
      let node = existing.get(key);
      if (!node || node.schedqSignature !== signature) {
        const built = build(item);
        built.schedqKey = key;
        built.schedqSignature = signature;
        if (node) node.replaceWith(built);
        node = built;
      }
      existing.delete(key);
      if (container.children[i] !== node) container.insertBefore(node, container.children[i] || null);
    });
    for (const node of existing.values()) node.remove();
  }

  // Waits in words --------------------------------------------------------------------

  /** The estimate's range as whole minutes, or null when it has none. */
  function range(estimate) {
    if (!estimate || estimate.p10_minutes === null || estimate.p90_minutes === null) return null;
    if (estimate.p10_minutes === undefined || estimate.p90_minutes === undefined) return null;
    const low = Math.max(0, Math.floor(estimate.p10_minutes));
    const high = Math.max(low, Math.ceil(estimate.p90_minutes));
    return { low, high };
  }

  /** "12–20 min" for tables; "—" when there is no range. */
  function rangeShort(estimate) {
    const r = range(estimate);
    if (!r) return "—";
    return r.high <= 1 ? commonSay("anyMoment") : commonSay("minutesRange", r);
  }

  /** What the range means, in plain words, in `lang` ("en", "es"…). */
  function explain(estimate, lang) {
    if (!estimate) return "";
    if (estimate.no_station_can_serve) return commonSay("explainNoStation", {}, lang);
    const r = range(estimate);
    const parts = [];
    if (r && r.high > 1) parts.push(commonSay("explainRange", r, lang));
    if (estimate.runs_past_close) parts.push(commonSay("explainPastClose", {}, lang));
    return parts.join(" ");
  }

  /** The estimate's own message in `lang`, falling back to English. */
  function message(estimate, lang) {
    if (!estimate || !estimate.message) return "";
    return estimate.message[lang] || estimate.message.en || "";
  }

  /** "09:41" in the site's timezone. */
  function clock(isoText, timeZone) {
    if (!isoText) return "";
    const options = { hour: "2-digit", minute: "2-digit", hour12: false };
    if (timeZone) options.timeZone = timeZone;
    try {
      return new Intl.DateTimeFormat("en-GB", options).format(new Date(isoText));
    } catch {
      return isoText.slice(11, 16);
    }
  }

  // The page's words, in its language (web/i18n.py) ------------------------------------

  /** The words the server handed over as a JSON island (`<script type="application/json" id="words">`). */
  const words = (() => {
    const island = document.getElementById("words");
    if (!island) return {};
    try { return JSON.parse(island.textContent); } catch { return {}; }
  })();

  /** The page's word for `key`, its `{name}` placeholders filled from `values`. */
  function say(key, values = {}) {
    const text = Object.prototype.hasOwnProperty.call(words, key) ? words[key] : key;
    return text.replace(/\{(\w+)\}/g, (whole, name) => (name in values ? String(values[name]) : whole));
  }

  /** The page's language, from `<html lang>`. */
  function language() {
    return document.documentElement.lang || "en";
  }

  /**
   * A chime on `audio` (a Web Audio context): `frequencies` one after another, 0.4 s apart, each rising
   * to `peak` and fading over `seconds`. The ticket page and the lobby display both sound a call with it.
   */
  function chime(audio, frequencies, { peak, seconds }) {
    const start = audio.currentTime + 0.05;
    frequencies.forEach((hertz, i) => {
      const at = start + i * 0.4;
      const tone = audio.createOscillator();
      const gain = audio.createGain();
      tone.type = "sine";
      tone.frequency.value = hertz;
      gain.gain.setValueAtTime(0.0001, at);
      gain.gain.exponentialRampToValueAtTime(peak, at + 0.03);
      gain.gain.exponentialRampToValueAtTime(0.0001, at + seconds);
      tone.connect(gain).connect(audio.destination);
      tone.start(at);
      tone.stop(at + seconds + 0.05);
    });
  }

  return {
    api, ApiError, poll, describeError, isConnectionError, el, setText, reconcile, range, rangeShort, explain,
    message, clock, say, language, chime,
  };
})();

// The patient's ticket page, phone first: polls the ticket every 2.5 s with the
// ticket token from the page address, shows one range, and lets the patient leave.
// The token rides in the address's fragment (#token=…), which browsers never send, so
// it reaches no server or proxy log; an older link's ?token= is moved there at once.
// Times come from the server's clock (the answer's `as_of`), shown in the site's time.
"use strict";

(() => {
  const { api, poll, setText, message, say, ApiError } = schedq;
  const ticketId = document.body.dataset.ticketId;
  const timeZone = document.body.dataset.timezone;
  const fromQuery = new URLSearchParams(window.location.search).get("token");
  const token = new URLSearchParams(window.location.hash.slice(1)).get("token") || fromQuery || "";
  if (fromQuery) {
    window.history.replaceState(null, "", `${window.location.pathname}#token=${encodeURIComponent(token)}`);
  }
  const patient = { "X-Patient-Token": token };
  const lang = schedq.language();

  // The language switch reloads the page in the other language: keep the token's fragment on the way.
  for (const link of document.querySelectorAll(".languages a")) {
    link.href = `${link.getAttribute("href")}${window.location.hash}`;
  }

  let ticket = null;
  let services = null;
  let rated = false;  // this page sent the rating (the status says so too, a moment later)
  let ratingKey = null;  // one Idempotency-Key per rating sent: a retry after a lost answer rates once
  let poller = null;
  const $ = (id) => document.getElementById(id);

  /** "08:41:05" on the site's clock, from an instant the server wrote in the site's time. */
  function siteTime(isoText) {
    if (!isoText) return "";
    const options = { hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false };
    if (timeZone) options.timeZone = timeZone;
    try {
      return new Intl.DateTimeFormat("en-GB", options).format(new Date(isoText));
    } catch {
      return isoText.slice(11, 19);
    }
  }

  const DETAIL = {
    called: "detailCalled", done: "detailDone", no_show: "detailNoShow", left: "detailLeft",
    cancelled: "detailCancelled",
  };

  /** Where the patient stands in line, in words. */
  function place(t) {
    if (!t.position) return "";
    if (t.position === 1) return say("next");
    if (t.position === 2) return say("second");
    return say("position", { position: t.position, ahead: t.ahead ?? t.position - 1 });
  }

  /** True when the estimate is a range of minutes (not "any moment", not "no station can do this"). */
  function isRange(estimate) {
    return Boolean(estimate) && !estimate.no_station_can_serve
      && typeof estimate.p90_minutes === "number" && estimate.p90_minutes > 5;
  }

  // Called: a sound, a vibration and a notification, where the page is open ----------------------
  // Browsers play sound and vibrate only after the patient has touched the page, so the button that asks
  // for notifications also readies the sound. Phones that cannot show a page's own notification (Chrome
  // on Android) show it through a small service worker (ticket_sw.js), registered from the same press.
  const canNotify = "Notification" in window;
  let audio = null;
  let worker = null;
  let lastCalledAt;  // the call this page last saw; undefined until the first answer

  $("alert-on").addEventListener("click", async () => {
    try {
      audio = audio || new AudioContext();
      await audio.resume();
    } catch { audio = null; }
    if (canNotify && Notification.permission === "default") {
      try { await Notification.requestPermission(); } catch { /* asked and not answered: left off */ }
    }
    if (canNotify && Notification.permission === "granted" && "serviceWorker" in navigator) {
      try { worker = await navigator.serviceWorker.register(document.body.dataset.worker); } catch { worker = null; }
    }
    $("alert-on").hidden = true;
    const state = !canNotify ? "alertNoNotifications" : Notification.permission === "granted" ? "alertOn" : "alertBlocked";
    setText("alert-state", say(state));
  });

  function chime() {
    try {
      audio = audio || new AudioContext();
      schedq.chime(audio, [880, 660, 880], { peak: 0.5, seconds: 0.35 });
    } catch { /* no sound in this browser: the page and the vibration still tell */ }
  }

  function notify(t) {
    if (!canNotify || Notification.permission !== "granted") return;
    const title = say("calledTitle", { code: t.code });
    const options = {
      body: t.station ? say("calledBody", { station: t.station }) : say("calledNoStation"),
      tag: `schedq-ticket-${ticketId}`, renotify: true, requireInteraction: true, lang,
      data: { url: window.location.href },
    };
    try {
      new Notification(title, options);
    } catch {
      if (worker) worker.showNotification(title, options).catch(() => {});
    }
  }

  /** A call (or a call again) this page has not told of yet: sound, vibration, notification. */
  function alertOnCall(t) {
    const calledAt = t.status === "called" ? t.called_at : null;
    const fresh = lastCalledAt !== undefined && calledAt && calledAt !== lastCalledAt;
    lastCalledAt = calledAt;
    if (!fresh) return;
    if (navigator.vibrate) navigator.vibrate([400, 200, 400, 200, 400]);
    chime();
    notify(t);
  }

  function render(t) {
    alertOnCall(t);
    ticket = t;
    document.body.dataset.status = t.status;
    setText("code", t.code);
    setText("service-name", t.service_name);

    const waiting = t.status === "waiting";
    const away = waiting && !t.present;
    setText("status-title", say(away ? "away" : t.status));
    setText("status-detail", waiting ? place(t) : (DETAIL[t.status] ? say(DETAIL[t.status]) : ""));
    const station = $("station");
    const atStation = (t.status === "called" || t.status === "in_service") && t.station;
    station.hidden = !atStation;
    setText(station, atStation ? say(t.status === "called" ? "goTo" : "at", { station: t.station }) : "");
    // While the site is not open (a midday break, before opening, closed), say so in its own words.
    const siteStatus = t.site_status;
    const closedNow = Boolean(siteStatus) && siteStatus.state !== "open";
    $("site-status").hidden = !closedNow;
    setText("site-status", closedNow ? siteStatus.message[lang] || siteStatus.message.en : "");
    $("status-card").classList.toggle("called", t.status === "called");

    // One range, from the one estimate: the server's words, then what they mean (no second set of figures).
    $("wait-card").hidden = !waiting;
    setText("wait-message", waiting ? message(t.estimate, lang) : "");
    setText("wait-explain", waiting && isRange(t.estimate) ? say("rangeHelp") : "");

    $("alert-card").hidden = !waiting;
    $("present-card").hidden = !away;
    // Saved from home: when to be here, as the server works it out (README: "Save my spot"), told on its clock.
    const arrive = away && t.arrive_by ? t.arrive_by : null;
    $("arrive-by").hidden = !arrive;
    if (arrive) {
      const soon = t.as_of && new Date(arrive) - new Date(t.as_of) < 60_000;
      setText("arrive-by", soon ? say("comeNow") : say("arriveBy", { time: schedq.clock(arrive, timeZone) }));
    }
    $("leave-card").hidden = !waiting;

    // Preparation (fasting, water…) only before the visit: a patient on the way, not one already in the building.
    const service = services && services.find((s) => s.code === t.service);
    const prepare = Boolean(away && service && service.preparation);
    $("prep-card").hidden = !prepare;
    if (prepare) setText("prep", service.preparation);

    // A finished visit: a 1–5 rating with a comment, once (POST /tickets/{id}/feedback).
    $("rate-card").hidden = !(t.status === "done" && (!t.feedback_given || rated));
    $("rate-form").hidden = rated;
    $("rate-thanks").hidden = !rated;

    setText("updated", t.as_of ? say("updated", { time: siteTime(t.as_of) }) : "");
    document.body.dataset.loaded = "true";
  }

  function showError(error) {
    if (error instanceof ApiError && (error.status === 401 || error.status === 404)) {
      // Not this ticket's token: nothing of the ticket to show, only how to reach the site.
      if (poller) poller.stop();
      for (const node of document.querySelectorAll("#main > :not(#site-name):not(#bad-link)")) node.hidden = true;
      $("bad-link").hidden = false;
      document.body.dataset.loaded = "true";
      return;
    }
    const reason = error instanceof ApiError ? (error.body.message || `HTTP ${error.status}`) : null;
    setText("error", reason ? say("refused", { reason }) : say("offline"));
  }

  async function act(path) {
    setText("error", "");
    try {
      const answer = await api(`/tickets/${ticketId}/${path}`, { method: "POST", headers: patient });
      render(answer.data);
    } catch (error) {
      showError(error);
    }
    poller.now();
  }

  $("leave").addEventListener("click", () => {
    $("leave").hidden = true;
    $("leave-confirm").hidden = false;
    $("leave-no").focus();
  });
  $("leave-no").addEventListener("click", () => {
    $("leave-confirm").hidden = true;
    $("leave").hidden = false;
    $("leave").focus();
  });
  $("leave-yes").addEventListener("click", async () => {
    await act("leave");
    $("leave-confirm").hidden = true;
    $("leave").hidden = false;
  });
  $("present").addEventListener("click", () => act("present"));

  function randomKey() {
    const bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  }

  $("rate-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    setText("error", "");
    const chosen = $("rate-form").querySelector("input[name=rating]:checked");
    if (!chosen) {
      setText("error", say("pickRating"));
      $("rating-1").focus();
      return;
    }
    const comment = $("comment").value.trim();
    const body = { rating: Number(chosen.value), comment: comment || null };
    ratingKey = ratingKey || randomKey();
    $("rate-send").disabled = true;
    try {
      await api(`/tickets/${ticketId}/feedback`, {
        method: "POST", headers: { ...patient, "Idempotency-Key": ratingKey }, body,
      });
      rated = true;
    } catch (error) {
      // 409: this visit's rating is in already (sent from another tab, or before a reload).
      if (error instanceof ApiError && error.status === 409) rated = true;
      else showError(error);
    }
    $("rate-send").disabled = false;
    if (rated) {
      render(ticket);
      $("rate-thanks").focus();
    }
  });

  async function loadServices() {
    try {
      services = (await api("/services")).data;
      if (ticket) render(ticket);
    } catch { /* the ticket still shows; the next poll will not retry this extra */ }
  }

  let loadedServices = false;
  let etag = null;
  poller = poll(async () => {
    // Unchanged since the last answer: a 304, and the page keeps what it shows.
    const answer = await api(`/tickets/${ticketId}`, { headers: patient, etag });
    if (answer.status !== 304) etag = answer.etag;
    render(answer.status === 304 ? ticket : answer.data);
    setText("error", "");
    if (!loadedServices) {
      loadedServices = true;
      loadServices();
    }
  }, { intervalMs: 2500, onError: showError });
})();

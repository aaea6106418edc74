// The patient's ticket page, phone first: polls the ticket every 2.5 s with the
// ticket token from the page address, explains the range, and lets the patient leave.
// The token rides in the address's fragment (#token=…), which browsers never send, so
// it reaches no server or proxy log; an older link's ?token= is moved there at once.
"use strict";

(() => {
  const { api, poll, setText, message, explain, describeError, ApiError } = schedq;
  const ticketId = document.body.dataset.ticketId;
  const fromQuery = new URLSearchParams(window.location.search).get("token");
  const token = new URLSearchParams(window.location.hash.slice(1)).get("token") || fromQuery || "";
  if (fromQuery) {
    window.history.replaceState(null, "", `${window.location.pathname}#token=${encodeURIComponent(token)}`);
  }
  const patient = { "X-Patient-Token": token };

  const STRINGS = {
    en: {
      switchTo: "Español", ticket: "Your ticket", loading: "Loading your ticket…", yourWait: "Your wait",
      onYourWay: "We are keeping your place", presentHelp: "When you arrive at the site, tell us you are here so we can call you.",
      imHere: "I'm here", prepare: "Before your visit", leaveTitle: "Can't stay?",
      leaveHelp: "If you leave the line, your place goes to the next patient.", leave: "Leave the line",
      leaveSure: "Leave the line for good? You would need a new ticket to come back.",
      leaveYes: "Yes, leave the line", leaveNo: "No, keep my place",
      title: {
        waiting: "You are in line", away: "Your place is kept", called: "It's your turn", in_service: "You are being seen",
        done: "Your visit is complete", no_show: "We called you but could not find you", left: "You left the line",
        cancelled: "Your ticket was cancelled",
      },
      detail: {
        called: "Please go there now.", in_service: "", done: "Thank you for coming. You can close this page.",
        no_show: "Please speak to the front desk: staff can put you back in your place.",
        left: "Your place went to the next patient. Take a new ticket if you come back.",
        cancelled: "Please speak to the front desk if this is a mistake.",
      },
      goTo: (station) => `Go to ${station}`,
      at: (station) => `At ${station}`,
      position: (p, ahead) => (p === 1 ? "You are next in line." : `You are number ${p} in line: ${ahead} ahead of you.`),
      arriveBy: (time) => `Arrive by ${time}: your turn could come from then. If you are later, you keep your place.`,
      comeNow: "Come as soon as you can: your turn could come any time now. You keep your place until you arrive.",
      badLink: "This ticket link is not valid. Check the link you were given, or ask at the front desk.",
      updated: (time) => `Updated at ${time}. This page updates by itself.`,
      callUs: (site) => `Rather call? ${site}:`,
    },
    es: {
      switchTo: "English", ticket: "Su turno", loading: "Cargando su turno…", yourWait: "Su espera",
      onYourWay: "Guardamos su lugar", presentHelp: "Cuando llegue, avísenos que está aquí para que podamos llamarlo.",
      imHere: "Ya llegué", prepare: "Antes de su visita", leaveTitle: "¿No puede quedarse?",
      leaveHelp: "Si deja la fila, su lugar pasa al siguiente paciente.", leave: "Dejar la fila",
      leaveSure: "¿Dejar la fila definitivamente? Necesitaría un turno nuevo para volver.",
      leaveYes: "Sí, dejar la fila", leaveNo: "No, mantener mi lugar",
      title: {
        waiting: "Está en la fila", away: "Guardamos su lugar", called: "Es su turno", in_service: "Lo están atendiendo",
        done: "Su visita terminó", no_show: "Lo llamamos pero no lo encontramos", left: "Dejó la fila",
        cancelled: "Su turno fue cancelado",
      },
      detail: {
        called: "Vaya allí ahora, por favor.", in_service: "", done: "Gracias por venir. Puede cerrar esta página.",
        no_show: "Hable con recepción: el personal puede devolverle su lugar.",
        left: "Su lugar pasó al siguiente paciente. Tome un turno nuevo si regresa.",
        cancelled: "Hable con recepción si se trata de un error.",
      },
      goTo: (station) => `Pase a ${station}`,
      at: (station) => `En ${station}`,
      position: (p, ahead) => (p === 1 ? "Usted es el siguiente." : `Usted es el número ${p} en la fila: ${ahead} antes que usted.`),
      arriveBy: (time) => `Llegue antes de las ${time}: su turno podría llegar desde entonces. Si llega más tarde, conserva su lugar.`,
      comeNow: "Venga en cuanto pueda: su turno podría llegar en cualquier momento. Conserva su lugar hasta que llegue.",
      badLink: "Este enlace de turno no es válido. Revise el enlace que recibió o pregunte en recepción.",
      updated: (time) => `Actualizado a las ${time}. Esta página se actualiza sola.`,
      callUs: (site) => `¿Prefiere llamar? ${site}:`,
    },
  };

  // The server renders <html lang> in the language the patient chose on any page (the schedq_lang
  // cookie) or else their browser's; the switch here keeps the choice in that cookie (README: Languages).
  let lang = document.documentElement.lang === "es" ? "es" : "en";
  let site = null;
  let ticket = null;
  let services = null;
  let poller = null;

  const $ = (id) => document.getElementById(id);

  function translateStatic() {
    const words = STRINGS[lang];
    document.documentElement.lang = lang;
    for (const node of document.querySelectorAll("[data-i18n]")) {
      const text = words[node.dataset.i18n];
      if (typeof text === "string") node.textContent = text;
    }
    const other = lang === "en" ? "es" : "en";
    $("lang-switch").textContent = words.switchTo;
    $("lang-switch").lang = other;
    showPhone();
  }

  /** The site's phone, for people who would rather call. */
  function showPhone() {
    if (!site || !site.phone) return;
    setText("call-words", STRINGS[lang].callUs(site.name));
    $("call-link").href = `tel:${site.phone}`;
    setText("call-link", site.phone_display);
    $("call-us").hidden = false;
  }

  $("lang-switch").addEventListener("click", () => {
    lang = lang === "en" ? "es" : "en";
    document.cookie = `schedq_lang=${lang}; path=/; max-age=31536000; samesite=lax`;
    translateStatic();
    if (ticket) render(ticket);
  });

  function render(t) {
    const words = STRINGS[lang];
    const previous = ticket && ticket.status;
    ticket = t;
    document.body.dataset.status = t.status;
    setText("code", t.code);
    setText("service-name", t.service_name);

    const waiting = t.status === "waiting";
    const away = waiting && !t.present;
    setText("status-title", words.title[away ? "away" : t.status] || t.status);
    setText("status-detail", waiting
      ? (t.position ? words.position(t.position, t.ahead ?? t.position - 1) : "")
      : words.detail[t.status] || "");
    const station = $("station");
    const atStation = (t.status === "called" || t.status === "in_service") && t.station;
    station.hidden = !atStation;
    setText(station, atStation ? (t.status === "called" ? words.goTo(t.station) : words.at(t.station)) : "");
    // While the site is not open (a midday break, before opening, closed), say so in its own words.
    const siteStatus = t.site_status;
    const closedNow = Boolean(siteStatus) && siteStatus.state !== "open";
    $("site-status").hidden = !closedNow;
    setText("site-status", closedNow ? siteStatus.message[lang] || siteStatus.message.en : "");
    $("status-card").classList.toggle("called", t.status === "called");
    if (t.status === "called" && previous && previous !== "called" && navigator.vibrate) navigator.vibrate([300, 150, 300]);

    $("wait-card").hidden = !waiting;
    if (waiting) {
      setText("wait-message", message(t.estimate, lang));
      setText("wait-explain", explain(t.estimate, lang));
    }
    $("present-card").hidden = !away;
    // Saved from home: when to be here (README: "Save my spot"), from the live estimate.
    const arrive = away ? schedq.arriveBy(t) : null;
    $("arrive-by").hidden = !arrive;
    if (arrive) {
      const from = new Date(t.estimate_as_of || t.joined_at);
      const zone = t.site_status ? t.site_status.timezone : undefined;
      setText("arrive-by", arrive.at - from < 60_000
        ? words.comeNow
        : words.arriveBy(schedq.clock(arrive.at.toISOString(), zone)));
    }
    $("leave-card").hidden = !waiting;

    const service = services && services.find((s) => s.code === t.service);
    const prepare = service && service.preparation && ["waiting", "called"].includes(t.status);
    $("prep-card").hidden = !prepare;
    if (prepare) setText("prep", service.preparation);

    setText("updated", words.updated(new Date().toLocaleTimeString(lang === "es" ? "es" : "en-US", { hour: "2-digit", minute: "2-digit", second: "2-digit" })));
    document.body.dataset.loaded = "true";
  }

  function showError(error) {
    if (error instanceof ApiError && (error.status === 401 || error.status === 404)) {
      setText("status-title", STRINGS[lang].badLink);
      setText("error", "");
      if (poller) poller.stop();
      document.body.dataset.loaded = "true";
      return;
    }
    setText("error", describeError(error));
  }

  async function loadOnce(siteId) {
    try {
      const [siteAnswer, catalogue] = await Promise.all([api(`/sites/${siteId}`), api("/services")]);
      site = siteAnswer.data;
      setText("site-name", site.name);
      showPhone();
      services = catalogue.data;
      if (ticket) render(ticket);
    } catch { /* the ticket still shows; the next poll will not retry these extras */ }
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

  translateStatic();
  let loadedExtras = false;
  let etag = null;
  poller = poll(async () => {
    // Unchanged since the last answer: a 304, and the page keeps what it shows.
    const answer = await api(`/tickets/${ticketId}`, { headers: patient, etag });
    if (answer.status !== 304) etag = answer.etag;
    render(answer.status === 304 ? ticket : answer.data);
    setText("error", "");
    if (!loadedExtras) {
      loadedExtras = true;
      loadOnce(ticket.site_id);
    }
  }, { intervalMs: 2500, onError: showError });
})();

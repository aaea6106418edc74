// The staff console: signs in with a staff API token kept in sessionStorage, polls the
// site's queue every 2 s, and runs station and ticket actions, showing the API's words on errors.
// Words come translated from the page (the "words" JSON island); times count on the server's clock
// (the queue read's `as_of`). README: "The pages", "The queue" (undo).
"use strict";

(() => {
  const { api, poll, el, setText, reconcile, rangeShort, describeError, message, say, language, ApiError } = schedq;
  const siteId = document.body.dataset.siteId;
  const STORE = `schedq.staff.token.${siteId}`;
  const MINE = `schedq.staff.station.${siteId}`;
  const UNDO_MS = 10_000; // POST /tickets/{id}/undo is taken for 10 s after a no-show or cancel
  const $ = (id) => document.getElementById(id);

  let token = null;
  try { token = window.sessionStorage.getItem(STORE); } catch { token = null; }
  let poller = null;
  let latest = null; // the last queue read
  let skewMs = 0; // server clock minus this browser's clock, from the last read
  let undoable = null; // { id, code, action, until } in server time
  let seq = 0; // orders reads and action answers: a read begun before an answer is older than it
  const learned = new Map(); // ticket id -> { ticket, seq }: action answers newer than the last read

  const serverNow = () => Date.now() + skewMs;
  const statusWords = (status) => say(`st.${status}`);

  function authorised(extra = {}) {
    return { Authorization: `Bearer ${token}`, ...extra };
  }

  function tell(text, kind = "ok") {
    const node = $("message");
    node.textContent = text;
    node.className = `message ${kind}`;
  }

  /** "4:07" (or "1:02:07") from a span of milliseconds. */
  function span(ms) {
    const total = Math.max(0, Math.floor(ms / 1000));
    const h = Math.floor(total / 3600);
    const m = Math.floor((total % 3600) / 60);
    const s = String(total % 60).padStart(2, "0");
    return h ? `${h}:${String(m).padStart(2, "0")}:${s}` : `${m}:${s}`;
  }

  /** A timer counting from `isoText` on the server's clock; the ticker keeps it current. */
  function timer(key, isoText) {
    const node = el("span", { class: "timer", "data-since": Date.parse(isoText), "data-words": key });
    node.textContent = say(key, { time: span(serverNow() - Date.parse(isoText)) });
    return node;
  }

  function tick() {
    for (const node of document.querySelectorAll("[data-since]")) {
      setText(node, say(node.dataset.words, { time: span(serverNow() - Number(node.dataset.since)) }));
    }
    showUndo();
  }

  // Signing in and out ---------------------------------------------------------------

  function showSignIn(problemText = "") {
    $("signin-card").hidden = false;
    $("console").hidden = true;
    $("sign-out").hidden = true;
    setText("signin-error", problemText);
    document.body.dataset.loaded = "true";
  }

  function signOut(problemText = "") {
    token = null;
    try { window.sessionStorage.removeItem(STORE); } catch { /* nothing kept */ }
    if (poller) poller.stop();
    poller = null;
    closeDeliveries();
    showSignIn(problemText);
  }

  $("signin").addEventListener("submit", async (event) => {
    event.preventDefault();
    const typed = $("token").value.trim();
    if (!typed) return;
    token = typed;
    try {
      const answer = await api(`/sites/${siteId}/queue`, { headers: authorised() });
      try { window.sessionStorage.setItem(STORE, token); } catch { /* kept in memory only */ }
      $("token").value = "";
      start(answer.data);
    } catch (error) {
      token = null;
      setText("signin-error", describeError(error));
    }
  });

  $("sign-out").addEventListener("click", () => signOut(say("signedOut")));

  async function loadServices() {
    try {
      const answer = await api("/services", { headers: { "Accept-Language": language() } });
      const options = answer.data.filter((s) => s.walk_in_allowed).map((s) => el("option", { value: s.code }, `${s.name} (${s.code})`));
      $("walk-in-service").replaceChildren(...options);
    } catch { /* the next sign-in retries */ }
  }

  function start(first) {
    $("signin-card").hidden = true;
    $("console").hidden = false;
    $("sign-out").hidden = false;
    tell("");
    if (first) render(first);
    loadServices();
    poller = poll(async () => {
      const began = ++seq;
      const [line, events] = await Promise.all([
        api(`/sites/${siteId}/queue`, { headers: authorised() }),
        api(`/sites/${siteId}/events`, { headers: authorised() }),
      ]);
      render(line.data, began);
      renderNoShows(events.data);
      if (shown) await loadDeliveries();
    }, {
      intervalMs: 2000,
      onError: (error) => {
        if (error instanceof ApiError && (error.status === 401 || error.status === 403)) signOut(describeError(error));
        else tell(describeError(error), "error");
      },
    });
  }

  // Actions --------------------------------------------------------------------------

  async function act(path, { body, done } = {}) {
    tell(say("working"), "busy");
    let answer = null;
    try {
      answer = await api(path, { method: "POST", headers: authorised(), body });
      learn(answer.data);
      tell(done ? done(answer.data) : say("done"), "ok");
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) return signOut(describeError(error));
      tell(describeError(error), "error");
    }
    if (poller) poller.now();
    return answer ? answer.data : null;
  }

  /** A ticket an action answered with replaces its row in the last read, so a key pressed before the next poll sees it. */
  function learn(t) {
    if (!t || !Array.isArray(t.allowed_actions)) return;
    learned.set(t.id, { ticket: t, seq: ++seq });
    patchLearned(0);
  }

  /** Put tickets answered after the read `readSeq` began over that read's (older) rows. */
  function patchLearned(readSeq) {
    if (!latest) return;
    for (const [id, { ticket, seq: at }] of learned) {
      if (at <= readSeq) { learned.delete(id); continue; }
      latest = { ...latest, tickets: [...latest.tickets.filter((x) => x.id !== id), ticket] };
    }
  }

  const did = (key) => (t) => say(key, { code: t.code, station: t.station || "" });

  function button(text, key, onClick, { label, kind, disabled, describedBy } = {}) {
    const node = el("button", {
      type: "button", class: kind || null, "data-focus": key, "aria-label": label || null,
      disabled: disabled || null, "aria-describedby": describedBy || null,
    }, text);
    node.addEventListener("click", onClick);
    return node;
  }

  // Undo: for 10 s after a no-show or cancel, on the server's clock --------------------------

  async function endTicket(t, action) {
    const path = action === "no_show" ? `/tickets/${t.id}/no-show` : `/tickets/${t.id}/cancel`;
    const body = action === "cancel" ? { reason: say("cancelledByStaff") } : undefined;
    const key = action === "no_show" ? "undoNoShow" : "undoCancel";
    const ended = await act(path, { body, done: (x) => say(key, { code: x.code }) });
    if (!ended) return;
    const at = ended.ended_at ? Date.parse(ended.ended_at) : serverNow();
    undoable = { id: ended.id, code: ended.code, action, until: at + UNDO_MS, words: say(key, { code: ended.code }) };
    showUndo();
  }

  function showUndo() {
    const bar = $("undo-bar");
    const left = undoable ? undoable.until - serverNow() : 0;
    if (!undoable || left <= 0) {
      bar.hidden = true;
      undoable = null;
      return;
    }
    setText("undo-text", undoable.words);
    setText("undo", say("undoButton", { seconds: Math.ceil(left / 1000) }));
    $("undo").setAttribute("aria-label", say("undoCode", { code: undoable.code }));
    bar.hidden = false;
  }

  async function undo() {
    if (!undoable) return tell(say("keyNothingToUndo"), "error");
    const { id } = undoable;
    undoable = null;
    showUndo();
    await act(`/tickets/${id}/undo`, {
      done: (t) => (t.status === "called" ? say("undoneCalled", { code: t.code, station: t.station }) : say("undoneWaiting", { code: t.code })),
    });
  }

  $("undo").addEventListener("click", undo);

  // Your station and the keys ----------------------------------------------------------------

  function isFree(s) {
    return s.state === "open" && !s.ticket_code;
  }

  /** The station picker: what was chosen in this tab if it still exists, else a free station. */
  function renderMyStation(stations) {
    const select = $("my-station");
    let chosen = select.value;
    if (!chosen) { try { chosen = window.sessionStorage.getItem(MINE) || ""; } catch { chosen = ""; } }
    if (!stations.some((s) => String(s.id) === chosen)) {
      const pick = stations.find(isFree) || stations.find((s) => s.state === "open") || stations[0];
      chosen = pick ? String(pick.id) : "";
    }
    const signature = JSON.stringify(stations.map((s) => [s.id, s.name, s.state, !!s.ticket_code]));
    if (select.schedqSignature !== signature) {
      select.replaceChildren(...stations.map((s) => el("option", { value: s.id },
        `${s.name} · ${s.ticket_code ? `${s.ticket_code} ${statusWords(s.ticket_status)}` : say(`state.${s.state}`)}`)));
      select.schedqSignature = signature;
    }
    select.value = chosen;
  }

  $("my-station").addEventListener("change", () => {
    try { window.sessionStorage.setItem(MINE, $("my-station").value); } catch { /* this tab only */ }
  });

  function mine() {
    if (!latest) return null;
    return latest.stations.find((s) => String(s.id) === $("my-station").value) || null;
  }

  function patientAt(station) {
    if (!latest || !station) return null;
    return latest.tickets.find((t) => t.station_id === station.id && (t.status === "called" || t.status === "in_service")) || null;
  }

  document.addEventListener("keydown", (event) => {
    if (!$("shortcuts-on").checked || $("console").hidden) return;
    if (event.ctrlKey || event.metaKey || event.altKey || event.repeat) return;
    const target = event.target;
    if (target && (target.isContentEditable || ["INPUT", "SELECT", "TEXTAREA"].includes(target.tagName))) return;
    const key = event.key.toLowerCase();
    if (!["c", "s", "d", "u"].includes(key)) return;
    event.preventDefault();
    if (key === "u") { undo(); return; }
    const station = mine();
    if (!station) { tell(say("keyNoStation"), "error"); return; }
    const patient = patientAt(station);
    if (key === "c") {
      const why = whyNoCall(station);
      if (why) tell(why, "error");
      else act(`/stations/${station.id}/call-next`, { done: (t) => say("calledTo", { code: t.code, station: t.station }) });
    } else if (key === "s") {
      if (patient && patient.status === "called") act(`/tickets/${patient.id}/start`, { done: did("didStarted") });
      else tell(say("keyNobodyCalled", { station: station.name }), "error");
    } else if (key === "d") {
      if (patient && patient.status === "in_service") act(`/tickets/${patient.id}/complete`, { done: did("didCompleted") });
      else tell(say("keyNobodyInService", { station: station.name }), "error");
    }
  });

  // Rendering (focus survives the rebuild each poll) ---------------------------------------

  /** Why Call next cannot be pressed at `station` now, or "" when it can. */
  function whyNoCall(station) {
    if (station.state !== "open") return say("whyClosed", { station: station.name, state: say(`state.${station.state}`) });
    if (station.ticket_code) return say("whyBusy", { code: station.ticket_code, station: station.name });
    if (!station.callable_now) return say("whyNobody", { station: station.name });
    return "";
  }

  function patientCard(t) {
    const path = `/tickets/${t.id}`;
    const controls = [];
    if (t.status === "called") {
      controls.push(button(say("start"), `p${t.id}-start`, () => act(`${path}/start`, { done: did("didStarted") }),
        { label: say("codeAction", { action: say("start"), code: t.code }), kind: "primary" }));
      controls.push(button(say("recall"), `p${t.id}-recall`, () => act(`${path}/recall`, { done: did("didRecalled") }),
        { label: say("codeAction", { action: say("recall"), code: t.code }) }));
      controls.push(button(say("noShow"), `p${t.id}-no_show`, () => endTicket(t, "no_show"),
        { label: say("codeAction", { action: say("noShow"), code: t.code }), kind: "danger" }));
    } else {
      controls.push(button(say("complete"), `p${t.id}-complete`, () => act(`${path}/complete`, { done: did("didCompleted") }),
        { label: say("codeAction", { action: say("complete"), code: t.code }), kind: "primary" }));
    }
    const since = t.status === "called" ? timer("calledFor", t.called_at) : timer("inServiceFor", t.started_at || t.called_at);
    return el("div", { class: `patient-card status-${t.status}`, "data-code": t.code },
      el("p", { class: "patient-head" }, el("span", { class: "code" }, t.code), " ",
        el("bdi", {}, t.contact_name || ""), " ", el("span", { class: "muted" }, t.service_name)),
      el("p", { class: "patient-time" }, since),
      el("div", { class: "controls" }, controls));
  }

  function stationCard(station, patient) {
    const base = `/stations/${station.id}`;
    const controls = [];
    if (station.state === "open") {
      const why = whyNoCall(station);
      const reasonId = `s${station.id}-why`;
      controls.push(button(say("callNext"), `s${station.id}-next`,
        () => act(`${base}/call-next`, { done: (t) => say("calledTo", { code: t.code, station: t.station }) }),
        { label: say("callNextTo", { station: station.name }), kind: "primary", disabled: !!why, describedBy: why ? reasonId : null }));
      controls.push(button(say("pause"), `s${station.id}-pause`, () => act(`${base}/pause`, { done: (s) => say("stationPaused", { station: s.name }) }),
        { label: say("pauseStation", { station: station.name }) }));
    } else {
      controls.push(button(say("open"), `s${station.id}-open`, () => act(`${base}/open`, { done: (s) => say("stationOpen", { station: s.name }) }),
        { label: say("openStation", { station: station.name }), kind: "primary" }));
    }
    if (station.state !== "closed") {
      controls.push(button(say("close"), `s${station.id}-close`, () => act(`${base}/close`, { done: (s) => say("stationClosed", { station: s.name }) }),
        { label: say("closeStation", { station: station.name }) }));
    }
    const why = whyNoCall(station);
    return el("article", { class: `station state-${station.state}`, "data-station": station.name },
      el("h3", {}, station.name, " ", el("span", { class: "badge" }, say(`state.${station.state}`))),
      el("p", { class: "small" }, say("does", { services: station.services.join(", ") })),
      patient ? patientCard(patient) : el("p", { class: "current" }, say("noPatient")),
      el("div", { class: "controls" }, controls),
      station.state === "open" && why ? el("p", { class: "reason small", id: `s${station.id}-why` }, why) : null);
  }

  function ticketActions(t, stations) {
    const controls = [];
    const path = `/tickets/${t.id}`;
    const allowed = new Set(t.allowed_actions || []);
    if (allowed.has("call") && t.present) {
      const free = stations.filter((s) => isFree(s) && s.services.includes(t.service));
      if (free.length) {
        const my = $("my-station").value;
        const select = el("select", { "data-focus": `t${t.id}-station`, "aria-label": say("stationToCall", { code: t.code }) },
          free.map((s) => el("option", { value: s.id, selected: String(s.id) === my || null }, s.name)));
        controls.push(select);
        controls.push(button(say("call"), `t${t.id}-call`, () => act(`${path}/call`, { body: { station_id: Number(select.value) }, done: did("didCalled") }),
          { label: say("callCode", { code: t.code }) }));
      } else {
        controls.push(el("span", { class: "reason small" }, say("noFreeStation", { service: t.service })));
      }
    }
    // Start, call again, no-show and complete are on the patient's card at their station.
    if (allowed.has("requeue")) {
      controls.push(button(say("requeue"), `t${t.id}-requeue`, () => act(`${path}/requeue`, { done: did("didRequeued") }),
        { label: say("requeueCode", { code: t.code }) }));
    }
    if (allowed.has("mark_present") && !t.present) {
      controls.push(button(say("markHere"), `t${t.id}-present`, () => act(`${path}/present`, { done: did("didHere") }), { label: say("markHereCode", { code: t.code }) }));
    }
    if (allowed.has("set_priority")) {
      const next = !t.priority;
      controls.push(button(next ? say("givePriority") : say("clearPriority"), `t${t.id}-priority`,
        () => act(`${path}/priority`, { body: { priority: next }, done: did(next ? "didPrioritySet" : "didPriorityCleared") }),
        { label: next ? say("givePriorityTo", { code: t.code }) : say("clearPriorityOf", { code: t.code }) }));
    }
    controls.push(button(say("messages"), `t${t.id}-messages`, () => openDeliveries(t), { label: say("messagesAbout", { code: t.code }) }));
    if (allowed.has("cancel")) {
      controls.push(button(say("cancel"), `t${t.id}-cancel`, () => endTicket(t, "cancel"),
        { label: say("cancelCode", { code: t.code }), kind: "danger" }));
    }
    return controls;
  }

  function localTime(isoText) {
    return isoText ? isoText.slice(11, 16) : "";
  }

  function ticketRow(t, stations) {
    const patient = t.contact_name || (t.appointment_reference ? say("appt", { reference: t.appointment_reference }) : "—");
    const status = [statusWords(t.status)];
    if (t.status === "waiting" && !t.present) status.push(say("notHereYet"));
    const range = el("span", { title: message(t.estimate, language()) || null }, rangeShort(t.estimate));
    let since = null;
    if (t.status === "called" && t.called_at) since = timer("calledFor", t.called_at);
    if (t.status === "in_service") since = timer("inServiceFor", t.started_at || t.called_at);
    return el("tr", { class: `status-${t.status}${t.priority ? " priority" : ""}`, "data-code": t.code },
      el("td", {}, t.position ?? "—"),
      el("th", { scope: "row" }, el("span", { class: "code" }, t.code), t.priority ? el("span", { class: "badge priority" }, say("priority")) : null,
        el("span", { class: "small muted block" }, say(`kind.${t.kind}`))),
      el("td", {}, el("bdi", {}, patient)), // isolated: a name stored with bidi controls cannot reorder the row
      el("td", {}, t.service_name),
      el("td", {}, status.join(", "), since ? el("span", { class: "block small" }, since) : null),
      el("td", {}, range),
      el("td", {}, localTime(t.joined_at)),
      el("td", {}, t.station || "—"),
      el("td", {}, el("div", { class: "actions" }, ticketActions(t, stations))));
  }

  function ticketSignature(t, stations) {
    const { estimate, promised, actual_wait_minutes: waited, ...rest } = t;
    const free = stations.filter((s) => isFree(s) && s.services.includes(t.service)).map((s) => s.id);
    return JSON.stringify([rest, rangeShort(estimate), message(estimate, language()), free, $("my-station").value]);
  }

  function render(q, readSeq = 0) {
    const focused = document.activeElement && document.activeElement.dataset ? document.activeElement.dataset.focus : null;
    latest = q;
    patchLearned(readSeq);
    if (q.as_of) skewMs = Date.parse(q.as_of) - Date.now();

    renderMyStation(q.stations);
    reconcile($("stations"), q.stations, (s) => s.id, (s) => JSON.stringify([s, patientAt(s)]), (s) => stationCard(s, patientAt(s)));
    reconcile($("queue-rows"), q.tickets, (t) => t.id, (t) => ticketSignature(t, q.stations), (t) => ticketRow(t, q.stations));
    $("queue-empty").hidden = q.tickets.length > 0;
    setText("queue-count", say("waitingCount", { count: q.waiting }));
    setText("headline", q.estimate ? say("headline", { words: message(q.estimate, language()) }) : "");

    if (focused && !document.activeElement.dataset.focus) {
      const again = document.querySelector(`[data-focus="${CSS.escape(focused)}"]`);
      if (again && !again.disabled) again.focus();
    }
    tick();
    document.body.dataset.loaded = "true";
  }

  /** Tickets whose latest event today made them a no-show (they leave the queue, but can be requeued). */
  function renderNoShows(events) {
    const last = new Map();
    for (const event of events) {
      if (event.ticket_id !== null && event.to_status) last.set(event.ticket_id, event);
    }
    const noShows = [...last.values()].filter((e) => e.to_status === "no_show").reverse().slice(0, 10);
    reconcile($("no-shows"), noShows, (e) => e.ticket_id, (e) => `${e.id}`, (e) =>
      el("li", { "data-code": e.ticket_code },
        el("span", { class: "code" }, e.ticket_code),
        el("span", {}, `${say("noShowAt", { time: localTime(e.at) })}${e.station ? `, ${e.station}` : ""} `),
        button(say("requeue"), `n${e.ticket_id}-requeue`, () => act(`/tickets/${e.ticket_id}/requeue`, { done: (t) => say("didRequeued", { code: t.code }) }),
          { label: say("requeueCode", { code: e.ticket_code }) })));
    if (!noShows.length) $("no-shows").replaceChildren(el("li", { class: "muted" }, say("none")));
  }

  // A ticket's messages (README: Notifications): state, tries, and resending --------------

  let shown = null; // the ticket whose messages the panel shows: { id, code }

  /** The state in words; a pending delivery that has been tried already is a failure waiting for its retry. */
  function deliveryState(d) {
    if (d.status === "pending" && d.attempts > 0) return ["failed", say("d.failed")];
    return [d.status, say(`d.${d.status}`)];
  }

  function resendable(d) {
    return d.status === "sent" || d.status === "dead" || (d.status === "pending" && d.attempts > 0);
  }

  function describeDelivery(d) {
    return say("delivery", { event: d.event, channel: say(`ch.${d.channel}`), recipient: d.recipient });
  }

  function deliveryRow(d) {
    const [state, words] = deliveryState(d);
    const tries = d.tries.length
      ? d.tries.map((t) => `${t.number}: ${t.outcome || say("inFlight")}`).join(", ")
      : say("noneYet");
    const action = resendable(d)
      ? button(say("resend"), `d${d.id}-resend`, () => resend(d), { label: say("resendWhat", { what: describeDelivery(d) }) })
      : null;
    return el("tr", { "data-delivery": d.id, "data-state": state },
      el("th", { scope: "row" }, d.event),
      el("td", {}, say(`ch.${d.channel}`)),
      el("td", {}, el("bdi", {}, d.recipient)),
      el("td", {}, el("span", { class: `state-${state}` }, words)),
      el("td", {}, `${d.attempts} (${tries})`),
      el("td", {}, d.last_error ? el("bdi", {}, d.last_error) : "—"),
      el("td", {}, el("div", { class: "actions" }, action)));
  }

  function deliveriesSaid(text, kind) {
    const node = $("deliveries-result");
    node.textContent = text;
    node.className = `message ${kind}`;
  }

  async function loadDeliveries() {
    const ticket = shown;
    if (!ticket) return;
    const answer = await api(`/tickets/${ticket.id}/deliveries`, { headers: authorised() });
    if (shown !== ticket) return; // another ticket was chosen meanwhile
    const focused = document.activeElement && document.activeElement.dataset ? document.activeElement.dataset.focus : null;
    reconcile($("deliveries-rows"), answer.data, (d) => d.id, (d) => JSON.stringify(d), deliveryRow);
    $("deliveries-empty").hidden = answer.data.length > 0;
    if (focused && !document.activeElement.dataset.focus) {
      const again = document.querySelector(`[data-focus="${CSS.escape(focused)}"]`);
      if (again) again.focus();
    }
  }

  async function openDeliveries(t) {
    shown = { id: t.id, code: t.code };
    setText("deliveries-code", t.code);
    $("deliveries-rows").replaceChildren();
    $("deliveries-empty").hidden = true;
    deliveriesSaid(say("loading"), "busy");
    $("deliveries-panel").hidden = false;
    $("deliveries-title").focus();
    try {
      await loadDeliveries();
      deliveriesSaid("", "ok");
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) return signOut(describeError(error));
      deliveriesSaid(describeError(error), "error");
    }
  }

  function closeDeliveries() {
    const was = shown;
    shown = null;
    $("deliveries-panel").hidden = true;
    $("deliveries-rows").replaceChildren();
    if (was) {
      const back = document.querySelector(`[data-focus="t${was.id}-messages"]`);
      if (back) back.focus();
    }
  }

  async function resend(d) {
    deliveriesSaid(say("working"), "busy");
    try {
      const answer = await api(`/deliveries/${d.id}/resend`, { method: "POST", headers: authorised() });
      deliveriesSaid(say("resent", { what: describeDelivery(d), id: answer.data.id }), "ok");
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) return signOut(describeError(error));
      deliveriesSaid(say("notResent", { problem: describeError(error) }), "error");
    }
    try { await loadDeliveries(); } catch { /* the next poll tries again */ }
  }

  $("deliveries-close").addEventListener("click", closeDeliveries);

  $("walk-in").addEventListener("submit", (event) => {
    event.preventDefault();
    const service = $("walk-in-service").value;
    if (!service) return;
    act(`/sites/${siteId}/tickets`, { body: { service }, done: (t) => say("added", { code: t.code, service: t.service_name }) });
  });

  window.setInterval(tick, 1000);
  if (token) start(null);
  else showSignIn();
})();

// The staff console: signs in with a staff API token kept in sessionStorage, polls the
// site's queue every 2 s, and runs station and ticket actions, showing the API's words on errors.
"use strict";

(() => {
  const { api, poll, el, setText, reconcile, rangeShort, message, describeError, ApiError } = schedq;
  const siteId = document.body.dataset.siteId;
  const STORE = `schedq.staff.token.${siteId}`;
  const $ = (id) => document.getElementById(id);

  let token = null;
  try { token = window.sessionStorage.getItem(STORE); } catch { token = null; }
  let poller = null;

  const STATUS_WORDS = { waiting: "waiting", called: "called", in_service: "in service", done: "done", no_show: "no-show", left: "left", cancelled: "cancelled" };
  const KIND_WORDS = { walk_in: "walk-in", remote: "remote", appointment: "appointment" };

  function authorised(extra = {}) {
    return { Authorization: `Bearer ${token}`, ...extra };
  }

  function say(text, kind = "ok") {
    const node = $("message");
    node.textContent = text;
    node.className = `message ${kind}`;
  }

  // Signing in and out ---------------------------------------------------------------

  function showSignIn(problem = "") {
    $("signin-card").hidden = false;
    $("console").hidden = true;
    $("sign-out").hidden = true;
    setText("signin-error", problem);
    document.body.dataset.loaded = "true";
  }

  function signOut(problem = "") {
    token = null;
    try { window.sessionStorage.removeItem(STORE); } catch { /* nothing kept */ }
    if (poller) poller.stop();
    poller = null;
    closeDeliveries();
    showSignIn(problem);
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

  $("sign-out").addEventListener("click", () => signOut("Signed out."));

  async function loadServices() {
    try {
      const answer = await api("/services");
      const options = answer.data.filter((s) => s.walk_in_allowed).map((s) => el("option", { value: s.code }, `${s.name} (${s.code})`));
      $("walk-in-service").replaceChildren(...options);
    } catch { /* the next sign-in retries */ }
  }

  function start(first) {
    $("signin-card").hidden = true;
    $("console").hidden = false;
    $("sign-out").hidden = false;
    say("");
    if (first) render(first);
    loadServices();
    poller = poll(async () => {
      const [line, events] = await Promise.all([
        api(`/sites/${siteId}/queue`, { headers: authorised() }),
        api(`/sites/${siteId}/events`, { headers: authorised() }),
      ]);
      render(line.data);
      renderNoShows(events.data);
      if (shown) await loadDeliveries();
    }, {
      intervalMs: 2000,
      onError: (error) => {
        if (error instanceof ApiError && (error.status === 401 || error.status === 403)) signOut(describeError(error));
        else say(describeError(error), "error");
      },
    });
  }

  // Actions --------------------------------------------------------------------------

  async function act(path, { body, done } = {}) {
    say("Working…", "busy");
    try {
      const answer = await api(path, { method: "POST", headers: authorised(), body });
      say(done ? done(answer.data) : "Done.", "ok");
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) return signOut(describeError(error));
      say(describeError(error), "error");
    }
    if (poller) poller.now();
  }

  const ticketDone = (verb) => (t) => `${t.code}: ${verb}${t.station ? ` (${t.station})` : ""}.`;

  function button(text, key, onClick, { label, kind } = {}) {
    const node = el("button", { type: "button", class: kind || null, "data-focus": key, "aria-label": label || null }, text);
    node.addEventListener("click", onClick);
    return node;
  }

  // Rendering (focus survives the rebuild each poll) ---------------------------------------

  function stationCard(station) {
    const base = `/stations/${station.id}`;
    const controls = [];
    if (station.state === "open" && !station.ticket_code) {
      controls.push(button("Call next", `s${station.id}-next`, () => act(`${base}/call-next`, { done: (t) => `${t.code} called to ${t.station}.` }),
        { label: `Call next to ${station.name}`, kind: "primary" }));
    }
    if (station.state === "open") {
      controls.push(button("Pause", `s${station.id}-pause`, () => act(`${base}/pause`, { done: (s) => `${s.name} paused.` }), { label: `Pause ${station.name}` }));
    } else {
      controls.push(button("Open", `s${station.id}-open`, () => act(`${base}/open`, { done: (s) => `${s.name} open.` }), { label: `Open ${station.name}`, kind: "primary" }));
    }
    if (station.state !== "closed") {
      controls.push(button("Close", `s${station.id}-close`, () => act(`${base}/close`, { done: (s) => `${s.name} closed.` }), { label: `Close ${station.name}` }));
    }
    const current = station.ticket_code
      ? `${station.ticket_code} · ${STATUS_WORDS[station.ticket_status] || station.ticket_status}`
      : "no patient";
    return el("article", { class: `station state-${station.state}`, "data-station": station.name },
      el("h3", {}, station.name, " ", el("span", { class: "badge" }, station.state)),
      el("p", { class: "small" }, `Does: ${station.services.join(", ")}`),
      el("p", { class: "current" }, current),
      el("div", { class: "controls" }, controls));
  }

  function ticketActions(t, stations) {
    const controls = [];
    const path = `/tickets/${t.id}`;
    const allowed = new Set(t.allowed_actions || []);
    if (allowed.has("call")) {
      const able = stations.filter((s) => s.state === "open" && s.services.includes(t.service));
      if (able.length) {
        const select = el("select", { "data-focus": `t${t.id}-station`, "aria-label": `Station to call ${t.code} to` },
          able.map((s) => el("option", { value: s.id }, s.name)));
        controls.push(select);
        controls.push(button("Call", `t${t.id}-call`, () => act(`${path}/call`, { body: { station_id: Number(select.value) }, done: ticketDone("called") }),
          { label: `Call ${t.code}` }));
      }
    }
    const simple = [
      ["recall", "Call again", "recall", "called again"],
      ["start", "Start", "start", "started"],
      ["complete", "Complete", "complete", "completed"],
      ["no_show", "No-show", "no-show", "marked a no-show"],
      ["requeue", "Requeue", "requeue", "back in line in its place"],
    ];
    for (const [action, text, route, verb] of simple) {
      if (allowed.has(action)) {
        controls.push(button(text, `t${t.id}-${action}`, () => act(`${path}/${route}`, { done: ticketDone(verb) }),
          { label: `${text} ${t.code}`, kind: action === "start" || action === "complete" ? "primary" : null }));
      }
    }
    if (allowed.has("mark_present") && !t.present) {
      controls.push(button("Mark here", `t${t.id}-present`, () => act(`${path}/present`, { done: ticketDone("is here") }), { label: `Mark ${t.code} as here` }));
    }
    if (allowed.has("set_priority")) {
      const next = !t.priority;
      controls.push(button(next ? "Priority" : "No priority", `t${t.id}-priority`,
        () => act(`${path}/priority`, { body: { priority: next }, done: ticketDone(next ? "priority set" : "priority cleared") }),
        { label: `${next ? "Give priority to" : "Clear priority of"} ${t.code}` }));
    }
    controls.push(button("Messages", `t${t.id}-messages`, () => openDeliveries(t), { label: `Messages about ${t.code}` }));
    if (allowed.has("cancel")) {
      controls.push(button("Cancel", `t${t.id}-cancel`, () => act(`${path}/cancel`, { body: { reason: "cancelled by staff" }, done: ticketDone("cancelled") }),
        { label: `Cancel ${t.code}`, kind: "danger" }));
    }
    return controls;
  }

  function localTime(isoText) {
    return isoText ? isoText.slice(11, 16) : "";
  }

  function ticketRow(t, stations) {
    const patient = t.contact_name || (t.appointment_reference ? `appt ${t.appointment_reference}` : "—");
    const status = [STATUS_WORDS[t.status] || t.status];
    if (t.status === "waiting" && !t.present) status.push("not here yet");
    const range = el("span", { title: message(t.estimate, "en") || null }, rangeShort(t.estimate));
    return el("tr", { class: `status-${t.status}${t.priority ? " priority" : ""}`, "data-code": t.code },
      el("td", {}, t.position ?? "—"),
      el("th", { scope: "row" }, el("span", { class: "code" }, t.code), t.priority ? el("span", { class: "badge priority" }, "priority") : null,
        el("span", { class: "small muted block" }, KIND_WORDS[t.kind] || t.kind)),
      el("td", {}, el("bdi", {}, patient)), // isolated: a name stored with bidi controls cannot reorder the row
      el("td", {}, t.service_name),
      el("td", {}, status.join(", ")),
      el("td", {}, range),
      el("td", {}, localTime(t.joined_at)),
      el("td", {}, t.station || "—"),
      el("td", {}, el("div", { class: "actions" }, ticketActions(t, stations))));
  }

  function ticketSignature(t, stations) {
    const { estimate, promised, actual_wait_minutes: waited, ...rest } = t;
    const able = stations.filter((s) => s.state === "open" && s.services.includes(t.service)).map((s) => s.id);
    return JSON.stringify([rest, rangeShort(estimate), message(estimate, "en"), able]);
  }

  function render(q) {
    const focused = document.activeElement && document.activeElement.dataset ? document.activeElement.dataset.focus : null;

    reconcile($("stations"), q.stations, (s) => s.id, (s) => JSON.stringify(s), stationCard);
    reconcile($("queue-rows"), q.tickets, (t) => t.id, (t) => ticketSignature(t, q.stations), (t) => ticketRow(t, q.stations));
    $("queue-empty").hidden = q.tickets.length > 0;
    setText("queue-count", `· ${q.waiting} waiting`);
    setText("headline", q.estimate ? `A walk-in joining now: ${message(q.estimate, "en")}` : "");

    if (focused && !document.activeElement.dataset.focus) {
      const again = document.querySelector(`[data-focus="${CSS.escape(focused)}"]`);
      if (again) again.focus();
    }
    document.body.dataset.loaded = "true";
  }

  /** Tickets whose latest event today made them a no-show (they leave the queue, but can be requeued). */
  function renderNoShows(events) {
    const latest = new Map();
    for (const event of events) {
      if (event.ticket_id !== null && event.to_status) latest.set(event.ticket_id, event);
    }
    const noShows = [...latest.values()].filter((e) => e.to_status === "no_show").reverse().slice(0, 10);
    reconcile($("no-shows"), noShows, (e) => e.ticket_id, (e) => `${e.id}`, (e) =>
      el("li", { "data-code": e.ticket_code },
        el("span", { class: "code" }, e.ticket_code),
        el("span", {}, ` at ${localTime(e.at)}${e.station ? `, ${e.station}` : ""} `),
        button("Requeue", `n${e.ticket_id}-requeue`, () => act(`/tickets/${e.ticket_id}/requeue`, { done: ticketDone("back in line in its place") }),
          { label: `Requeue ${e.ticket_code}` })));
    if (!noShows.length) $("no-shows").replaceChildren(el("li", { class: "muted" }, "None."));
  }

  // A ticket's messages (README: Notifications): state, tries, and resending --------------

  const CHANNEL_WORDS = { sms: "SMS", email: "email", webhook: "webhook" };
  let shown = null; // the ticket whose messages the panel shows: { id, code }

  /** The state in words; a pending delivery that has been tried already is a failure waiting for its retry. */
  function deliveryState(d) {
    if (d.status === "pending" && d.attempts > 0) return ["failed", "failed, will try again"];
    const words = { pending: "pending", sending: "sending", sent: "sent", dead: "dead: no more tries", opted_out: "opted out" };
    return [d.status, words[d.status] || d.status];
  }

  function resendable(d) {
    return d.status === "sent" || d.status === "dead" || (d.status === "pending" && d.attempts > 0);
  }

  function describeDelivery(d) {
    return `${d.event} by ${CHANNEL_WORDS[d.channel] || d.channel} to ${d.recipient}`;
  }

  function deliveryRow(d) {
    const [state, words] = deliveryState(d);
    const tries = d.tries.length
      ? d.tries.map((t) => `${t.number}: ${t.outcome || "in flight"}`).join(", ")
      : "none yet";
    const action = resendable(d)
      ? button("Resend", `d${d.id}-resend`, () => resend(d), { label: `Resend ${describeDelivery(d)}` })
      : null;
    return el("tr", { "data-delivery": d.id, "data-state": state },
      el("th", { scope: "row" }, d.event),
      el("td", {}, CHANNEL_WORDS[d.channel] || d.channel),
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
    deliveriesSaid("Loading…", "busy");
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
    deliveriesSaid("Working…", "busy");
    try {
      const answer = await api(`/deliveries/${d.id}/resend`, { method: "POST", headers: authorised() });
      deliveriesSaid(`Resent: ${describeDelivery(d)} is waiting to be sent again (message ${answer.data.id}).`, "ok");
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) return signOut(describeError(error));
      deliveriesSaid(`Not resent: ${describeError(error)}`, "error");
    }
    try { await loadDeliveries(); } catch { /* the next poll tries again */ }
  }

  $("deliveries-close").addEventListener("click", closeDeliveries);

  $("walk-in").addEventListener("submit", (event) => {
    event.preventDefault();
    const service = $("walk-in-service").value;
    if (!service) return;
    act(`/sites/${siteId}/tickets`, { body: { service }, done: (t) => `Added ${t.code} (${t.service_name}) to the line.` });
  });

  if (token) start(null);
  else showSignIn();
})();

// Save my spot (web/patient/save_spot.py): the site's status and wait now, the join from home with an
// Idempotency-Key, the range and the time to arrive by (README: "Save my spot"), and the way on to the
// ticket page. Refusals are said in plain words, never as an error code.
"use strict";

(() => {
  const body = document.body;
  const siteId = body.dataset.siteId;
  const timeZone = body.dataset.timezone;
  const lang = schedq.language();
  const $ = (id) => document.getElementById(id);
  const form = $("spot-form");
  const MINUTE = 60_000;

  let wait = null; // the last answer of GET /sites/{id}/wait
  let clockAt = null; // the site's clock (the API's `at`) and when we read it: the app's time, not the device's
  let pending = null; // the join being sent: its inputs, body and key, resent as they were after a lost answer

  /** Now on the site's clock: the wait answer's instant plus the time since, or the device's if none. */
  function siteNow() {
    if (!clockAt) return new Date();
    return new Date(clockAt.at.getTime() + (performance.now() - clockAt.seen));
  }

  const localDay = (date) => new Intl.DateTimeFormat("en-CA", { timeZone, year: "numeric", month: "2-digit", day: "2-digit" }).format(date);

  /** "after 14:05", or "tomorrow after 07:10" when that is another day at the site. */
  function after(date) {
    const time = schedq.clock(date.toISOString(), timeZone);
    return schedq.say(localDay(date) === localDay(siteNow()) ? "todayAfter" : "tomorrowAfter", { time });
  }

  function showWait() {
    if (!wait || !form) return;
    const line = $("wait-now");
    if (!wait.status.walk_ins_accepted) {
      line.textContent = schedq.say("closedNow");
      line.hidden = false;
      return;
    }
    const code = $("service").value;
    const entry = wait.services.find((s) => s.service === code);
    const words = entry ? schedq.message(entry.estimate, lang) : "";
    line.textContent = words ? schedq.say("waitNow", { service: entry.service_name, range: words }) : "";
    line.hidden = !words;
  }

  async function loadStatus() {
    try {
      const answer = await schedq.api(`/sites/${siteId}/wait`);
      wait = answer.data;
      clockAt = { at: new Date(wait.at), seen: performance.now() };
      $("site-status").textContent = wait.status.message[lang] || wait.status.message.en;
      showWait();
    } catch {
      $("site-status").textContent = schedq.say("statusFailed");
    }
  }

  function randomKey() {
    const bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  }

  function readForm() {
    const value = (id) => $(id).value.trim();
    const arrival = form.querySelector("input[name=arrival]:checked");
    return {
      service: $("service").value,
      name: value("name"),
      phone: value("phone"),
      email: value("email"),
      arrival: arrival ? Number(arrival.value) : 30,
    };
  }

  function joinBody(inputs) {
    const contact = { name: inputs.name };
    if (inputs.phone) contact.phone = inputs.phone;
    if (inputs.email) contact.email = inputs.email;
    return {
      service: inputs.service,
      contact,
      expected_arrival_at: new Date(siteNow().getTime() + inputs.arrival * MINUTE).toISOString(),
    };
  }

  /** A 429 in words: which limit held (per phone or email, per connection) and when another spot is let in. */
  function limitWords(error, inputs) {
    const seconds = error.body.retry_after_seconds || 60;
    const when = after(new Date(Math.ceil((siteNow().getTime() + seconds * 1000) / MINUTE) * MINUTE));
    const limit = error.body.limit || {};
    let key = "limitAgain";
    if (limit.per === "address") key = "limitAddress";
    else if (limit.per === "contact") key = inputs.phone && inputs.email ? "limitContact" : inputs.phone ? "limitPhone" : "limitEmail";
    return schedq.say(key, { count: limit.count, when });
  }

  function invalidWords(error) {
    const fields = (error.body.errors && error.body.errors.json) || {};
    const contact = fields.contact || {};
    if (contact.phone) return schedq.say("badPhone");
    if (contact.email) return schedq.say("badEmail");
    if (contact.name) return schedq.say("needName");
    if (fields.expected_arrival_at) return schedq.say("badArrival");
    return schedq.say("invalid", { detail: schedq.describeError(error) });
  }

  /** What to tell the patient when the join did not go through, always with the way to call. */
  function refusal(error, inputs) {
    const call = schedq.say("call");
    const withCall = (text) => (call ? `${text} ${call}` : text);
    if (!(error instanceof schedq.ApiError) || error.status >= 500) {
      return withCall(error instanceof schedq.ApiError && error.status === 503 ? schedq.say("busy") : schedq.say("offline"));
    }
    if (error.status === 429) return withCall(limitWords(error, inputs));
    if (error.status === 409 && error.body.messages) {
      loadStatus();
      return withCall(error.body.messages[lang] || error.body.messages.en);
    }
    if (error.status === 409) return withCall(schedq.say("busy"));
    if (error.status === 422) return invalidWords(error);
    return withCall(schedq.describeError(error));
  }

  /** The join's answer: the range, the time to arrive by (the server's `arrive_by`), and the way to the ticket page. */
  function showSaved(ticket) {
    const at = ticket.arrive_by || ticket.expected_arrival_at;
    const early = new Date(at) < new Date(ticket.expected_arrival_at);
    const time = schedq.clock(at, timeZone);

    $("saved-title").textContent = schedq.say("saved", { code: ticket.code });
    const words = schedq.message(ticket.estimate, lang);
    $("saved-range").textContent = words ? schedq.say("rangeNow", { message: words }) : "";
    $("arrive-by").textContent = schedq.say("arriveBy", { time });
    $("arrive-why").textContent = early
      ? schedq.say("arriveByWhy", { time })
      : schedq.say("arriveByAsSaid");
    $("follow").href = `/ticket/${ticket.id}#token=${encodeURIComponent(ticket.token)}`;
    form.hidden = true;
    $("saved").hidden = false;
    $("saved").focus();
  }

  async function save(event) {
    event.preventDefault();
    const error = $("error");
    const inputs = readForm();
    if (!inputs.name) { error.textContent = schedq.say("needName"); $("name").focus(); return; }
    if (!inputs.phone && !inputs.email) { error.textContent = schedq.say("needContact"); $("phone").focus(); return; }
    const asKey = JSON.stringify(inputs);
    if (!pending || pending.inputs !== asKey) pending = { inputs: asKey, body: joinBody(inputs), key: randomKey() };
    error.textContent = schedq.say("saving");
    $("save").disabled = true;
    try {
      const answer = await schedq.api(`/sites/${siteId}/remote-tickets`, {
        method: "POST",
        body: pending.body,
        headers: { "Idempotency-Key": pending.key },
      });
      error.textContent = "";
      showSaved(answer.data);
    } catch (failure) {
      // A lost or failed answer is sent again as it was, under the same key: never a second ticket.
      // A refusal is final: the next try is a new join, with the arrival counted from then.
      if (failure instanceof schedq.ApiError && failure.status < 500 && failure.status !== 409) pending = null;
      if (failure instanceof schedq.ApiError && failure.status === 409 && failure.body.site_status) pending = null;
      error.textContent = refusal(failure, inputs);
    } finally {
      $("save").disabled = false;
    }
  }

  if (form) {
    form.addEventListener("submit", save);
    $("service").addEventListener("change", showWait);
  }
  loadStatus().finally(() => { body.dataset.loaded = "true"; });
})();

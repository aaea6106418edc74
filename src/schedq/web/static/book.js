// Booking at one site: service, day and time, how to prepare, the contact, then one booking.
// The booking is sent with an Idempotency-Key made once for this attempt and kept in
// sessionStorage with what was asked: pressing Book again, a retry after a lost answer, or a
// reload sends the same key, and the API answers with the first booking instead of a second.
"use strict";

(() => {
  const { say, clock } = schedq;
  const body = document.body;
  const form = document.getElementById("book-form");
  if (!form) {
    body.dataset.loaded = "true";
    return;
  }
  const siteId = body.dataset.siteId;
  const error = document.getElementById("form-error");
  const button = document.getElementById("book-button");
  const prepCard = document.getElementById("prep-card");
  const sitePhone = document.querySelector(".call-us a[href^='tel:']");
  const ATTEMPT = `schedq.booking.${siteId}`;

  const picker = schedqSlots.picker({
    days: document.getElementById("days"),
    times: document.getElementById("times"),
    dayStep: document.getElementById("day-step"),
    timeStep: document.getElementById("time-step"),
    status: document.getElementById("slots-status"),
    onChange: showChoice,
  });

  const service = () => form.querySelector("input[name=service]:checked");

  function showChoice(slot) {
    const chosen = service();
    if (!chosen || !slot) {
      prepCard.hidden = true;
      return;
    }
    document.getElementById("chosen").textContent = say("summary", {
      service: chosen.dataset.name,
      day: picker.dayLabel(picker.localDay(slot)),
      time: picker.localTime(slot),
    });
    document.getElementById("prep").textContent = chosen.dataset.preparation;
    prepCard.hidden = false;
  }

  form.querySelectorAll("input[name=service]").forEach((input) => {
    input.addEventListener("change", () => {
      error.textContent = "";
      picker.load(siteId, input.value, body.dataset.firstDay, body.dataset.lastDay);
    });
  });

  /** What to send, or a sentence saying what is missing. */
  function request() {
    const chosen = service();
    if (!chosen) return say("chooseService");
    const slot = picker.selected();
    if (!slot) return say("chooseTime");
    const value = (id) => document.getElementById(id).value.trim();
    const name = value("name");
    const phone = value("phone");
    const email = value("email");
    const sms = document.getElementById("notify-sms").checked;
    const mail = document.getElementById("notify-email").checked;
    if (!name) return say("needName");
    if (!phone && !email) return say("needContact");
    if (sms && !phone) return say("smsNeedsPhone");
    if (mail && !email) return say("emailNeedsEmail");
    const contact = { name };
    if (phone) contact.phone = phone;
    if (email) contact.email = email;
    return { service: chosen.value, starts_at: slot.starts_at, contact, notify_sms: sms, notify_email: mail };
  }

  /** The key for this booking attempt: the kept one while the same booking is asked again. */
  function attemptKey(asked) {
    const text = JSON.stringify(asked);
    let kept = null;
    try { kept = JSON.parse(sessionStorage.getItem(ATTEMPT) || "null"); } catch { kept = null; }
    if (kept && kept.asked === text) return kept.key;
    const key = crypto.randomUUID();
    sessionStorage.setItem(ATTEMPT, JSON.stringify({ asked: text, key }));
    return key;
  }

  async function post(asked, key) {
    const response = await fetch(`/api/v1/sites/${siteId}/appointments`, {
      method: "POST",
      headers: { Accept: "application/json", "Content-Type": "application/json", "Idempotency-Key": key },
      body: JSON.stringify(asked),
      cache: "no-store",
      credentials: "same-origin",
    });
    let data = null;
    try { data = await response.json(); } catch { data = null; }
    return { response, data: data || {} };
  }

  /** A refusal in words, with what to do next. */
  function refusal(response, data) {
    if (response.status === 409) return say("slotFull");
    if (response.status === 429) {
      const seconds = Number(response.headers.get("Retry-After")) || 60;
      const time = clock(new Date(Date.now() + seconds * 1000).toISOString());
      return sitePhone
        ? say("tooManyCall", { time, phone: sitePhone.textContent })
        : say("tooMany", { time });
    }
    const fields = (data.errors && data.errors.json) || {};
    const contact = fields.contact || {};
    if (contact.phone || fields.notify_sms) return say("badPhone");
    if (contact.email || fields.notify_email) return say("badEmail");
    if (contact.name) return say("badName");
    return say("refused", { reason: data.message || response.status });
  }

  let sending = false;
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (sending) return;
    const asked = request();
    if (typeof asked === "string") {
      error.textContent = asked;
      return;
    }
    sending = true;
    button.disabled = true;
    error.textContent = say("booking");
    try {
      const { response, data } = await post(asked, attemptKey(asked));
      if (response.status === 201) {
        const ref = encodeURIComponent(data.reference);
        window.location.assign(`/booking/${ref}?new=1#token=${encodeURIComponent(data.manage_token)}`);
        return;
      }
      error.textContent = refusal(response, data);
      if (response.status === 409) {
        sessionStorage.removeItem(ATTEMPT);
        picker.load(siteId, asked.service, body.dataset.firstDay, body.dataset.lastDay);
      }
    } catch {
      error.textContent = say("noReach");
    }
    sending = false;
    button.disabled = false;
  });

  /** A deep link from a FHIR Slot (README: "FHIR and SMART Scheduling Links"): `?service=DRAW&start=<instant>`
   * chooses that service and that time, or says in words that the time is no longer free. */
  async function followDeepLink() {
    const asked = new URLSearchParams(window.location.search);
    const code = asked.get("service");
    const input = code && [...form.querySelectorAll("input[name=service]")].find((i) => i.value === code);
    if (!input) return;
    input.checked = true;
    await picker.load(siteId, code, body.dataset.firstDay, body.dataset.lastDay);
    const start = asked.get("start");
    if (start && !picker.choose(start)) error.textContent = say("slotGone");
  }

  followDeepLink().finally(() => { body.dataset.loaded = "true"; });
})();

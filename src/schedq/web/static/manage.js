// The patient's booking: the confirmation after booking and the place to manage it.
// The manage token rides in the address's fragment (#token=…), which browsers never send;
// the page sends it only in the X-Patient-Token header of its API calls, including the one
// that fetches the calendar file, which is then handed over from memory as a download.
"use strict";

(() => {
  const { api, ApiError, say, language, setText } = schedq;
  const body = document.body;
  const reference = body.dataset.reference;
  const token = new URLSearchParams(window.location.hash.slice(1)).get("token") || "";
  const patient = { "X-Patient-Token": token };
  const path = `/appointments/${encodeURIComponent(reference)}`;
  const $ = (id) => document.getElementById(id);
  let appointment = null;
  let site = null;

  const picker = schedqSlots.picker({
    days: $("days"),
    times: $("times"),
    dayStep: $("day-step"),
    timeStep: $("time-step"),
    status: $("slots-status"),
  });

  /** Words for what the API refused: its site status message in this language, or its reason. */
  function refusal(error, fallbackKey) {
    if (!(error instanceof ApiError)) return say("noReach");
    const data = error.body || {};
    if (data.messages && (data.messages[language()] || data.messages.en)) {
      return data.messages[language()] || data.messages.en;
    }
    if (error.status === 409 && /full/.test(data.message || "")) return say("slotFull");
    if (error.status === 409 && /day of the appointment/.test(data.message || "")) return say("checkInDayOnly");
    if (error.status === 409) return say("cannotChange");
    return say(fallbackKey || "refused", { reason: data.message || error.status });
  }

  /** A stored E.164 number as people write it at home: "(217) 555-0100" in North America. */
  function when(startsAt) {
    return say("dayAt", { day: picker.dayLabel(picker.localDay({ starts_at: startsAt })), time: startsAt.slice(11, 16) });
  }

  /** The site's date today by the server's clock (the site's day is the server's to say). */
  function siteToday() {
    const options = { timeZone: site.timezone, year: "numeric", month: "2-digit", day: "2-digit" };
    return new Intl.DateTimeFormat("en-CA", options).format(new Date(body.dataset.serverNow));
  }

  const isToday = () => Boolean(site) && picker.localDay(appointment) === siteToday();
  const onDayHelp = $("checkin-help").textContent;
  const onDayButton = $("check-in").textContent;

  function show() {
    const a = appointment;
    setText("service-name", a.service_name);
    setText("status", say(`status_${a.status}`));
    setText("when", when(a.starts_at));
    setText("site-name", a.site_name);
    setText("site-address", a.site_address);
    setText("reference", a.reference);
    $("cancel-reason-line").hidden = !(a.status === "cancelled" && a.cancel_reason);
    setText("cancel-reason", a.cancel_reason || "");
    $("details").hidden = false;
    $("prep-card").hidden = !a.preparation;
    setText("prep", a.preparation || "");
    if (site && site.map_link) {
      $("map-link").href = site.map_link;
      $("map-link").hidden = false;
    }
    if (site && site.phone) {
      setText("call-words", say("callSite", { site: site.name }));
      $("phone-link").href = `tel:${site.phone}`;
      setText("phone-link", site.phone_display);
      $("call-line").hidden = false;
    }
    const link = `${window.location.origin}${window.location.pathname}#token=${encodeURIComponent(token)}`;
    $("manage-link").value = link;
    $("link-card").hidden = false;
    const booked = a.status === "booked";
    $("reschedule-card").hidden = !booked;
    $("cancel-card").hidden = !booked;
    // Checking in again answers with the same ticket: the way back to it from here.
    const inLine = ["checked_in", "called", "in_service"].includes(a.status);
    $("checkin-card").hidden = !(booked || inLine);
    $("check-in").hidden = !(isToday() || inLine);
    setText("check-in", inLine ? say("openTicket") : onDayButton);
    setText("checkin-help", isToday() || inLine ? onDayHelp : say("notOnDay"));
    $("book-again").href = `/sites/${a.site_id}/book`;
    $("book-again").hidden = booked;
  }

  async function load() {
    if (!token) {
      setText("load-error", say("badLink"));
      return;
    }
    try {
      appointment = (await api(path, { headers: patient })).data;
    } catch (error) {
      setText("load-error", error instanceof ApiError && error.status < 500 ? say("badLink") : say("noReach"));
      return;
    }
    try {
      site = (await api(`/sites/${appointment.site_id}`)).data;
    } catch {
      site = null;
    }
    show();
    if (appointment.status === "booked" && site) loadSlots();
  }

  function loadSlots() {
    const first = siteToday();
    const last = new Date(`${first}T12:00:00Z`);
    last.setUTCDate(last.getUTCDate() + Math.min(site.booking_horizon_days, 30));
    picker.load(appointment.site_id, appointment.service, first, last.toISOString().slice(0, 10), { skip: appointment.starts_at });
  }

  // Right after booking: say so, then keep the address clean for bookmarking.
  if (new URLSearchParams(window.location.search).get("new") === "1") {
    setText("booked-note", say("booked"));
    $("booked-note").hidden = false;
    window.history.replaceState(null, "", `${window.location.pathname}${window.location.hash}`);
  }

  $("calendar").addEventListener("click", async () => {
    setText("calendar-error", "");
    try {
      const response = await fetch(`/api/v1${path}/calendar.ics`, { headers: patient, cache: "no-store" });
      if (!response.ok) throw new Error(String(response.status));
      const file = await response.blob();
      const url = URL.createObjectURL(new Blob([file], { type: "text/calendar" }));
      const link = document.createElement("a");
      link.href = url;
      link.download = `${appointment.reference}.ics`;
      document.body.append(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
    } catch {
      setText("calendar-error", say("calendarFailed"));
    }
  });

  $("copy-link").addEventListener("click", async () => {
    const field = $("manage-link");
    field.select();
    try {
      await navigator.clipboard.writeText(field.value);
      setText("copy-status", say("copied"));
    } catch {
      setText("copy-status", say("copyByHand"));
    }
  });

  $("reschedule-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const slot = picker.selected();
    if (!slot) {
      setText("reschedule-error", say("chooseTime"));
      return;
    }
    $("reschedule").disabled = true;
    try {
      appointment = (await api(`${path}/reschedule`, { method: "POST", headers: patient, body: { starts_at: slot.starts_at } })).data;
      setText("reschedule-error", "");
      setText("booked-note", say("moved", { when: when(appointment.starts_at) }));
      $("booked-note").hidden = false;
      show();
      loadSlots();
    } catch (error) {
      setText("reschedule-error", refusal(error));
      if (error instanceof ApiError && error.status === 409) loadSlots();
    }
    $("reschedule").disabled = false;
  });

  $("cancel-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const reason = $("reason").value;
    // The API keeps a reason on one line (README: input rules): line breaks become spaces.
    const more = $("reason-more").value.replace(/\s+/g, " ").trim();
    if (!reason) {
      setText("cancel-error", say("chooseReason"));
      $("reason").focus();
      return;
    }
    $("cancel").disabled = true;
    try {
      const text = more ? `${reason}: ${more}` : reason;
      appointment = (await api(`${path}/cancel`, { method: "POST", headers: patient, body: { reason: text } })).data;
      setText("cancel-error", "");
      setText("booked-note", say("cancelled"));
      $("booked-note").hidden = false;
      show();
    } catch (error) {
      setText("cancel-error", refusal(error));
    }
    $("cancel").disabled = false;
  });

  $("check-in").addEventListener("click", async () => {
    $("check-in").disabled = true;
    try {
      const ticket = (await api(`${path}/check-in`, { method: "POST", headers: patient })).data;
      window.location.assign(`/ticket/${ticket.id}#token=${encodeURIComponent(ticket.token)}`);
      return;
    } catch (error) {
      setText("checkin-error", refusal(error));
    }
    $("check-in").disabled = false;
  });

  load().finally(() => { body.dataset.loaded = "true"; });
})();

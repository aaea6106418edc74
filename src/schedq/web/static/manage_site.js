// The manager's page of a site: settings, opening hours, closed dates, capacity plan, stations,
// staffing advice (preview, then adopt in one step) and what-if. Signs in with an admin API token kept in
// the tab's sessionStorage, as the staff console does. Every write goes through the public API; a refusal
// is said beside the field it names, in the page's words where the page knows the API's message, else the
// API's own text after "The server says". Nothing typed is cleared by an error. README: "The manager's pages".
"use strict";

(() => {
  const { api, ApiError, el, setText, say, language, describeError } = schedq;
  const siteId = document.body.dataset.siteId;
  const STORE = `schedq.manage.token.${siteId}`;
  const $ = (id) => document.getElementById(id);

  let token = null;
  try { token = window.sessionStorage.getItem(STORE); } catch { token = null; }
  let services = []; // the service catalogue, names in the page's language
  let advice = null; // the last staffing answer shown
  let serial = 0; // ids of rows added on the page

  const numbers = new Intl.NumberFormat(language(), { maximumFractionDigits: 1 });
  const percents = new Intl.NumberFormat(language(), { style: "percent", maximumFractionDigits: 0 });
  const figure = (value) => (value === null || value === undefined ? say("notApplies") : numbers.format(value));
  const share = (value) => (value === null || value === undefined ? say("notApplies") : percents.format(value));
  const dayName = (weekday) => say(`day${weekday}`);

  function call(path, options = {}) {
    return api(path, { ...options, headers: { Authorization: `Bearer ${token}`, ...(options.headers || {}) } });
  }

  function tell(id, text, kind = "ok") {
    const node = $(id);
    node.textContent = text;
    node.className = `message ${kind}`;
  }

  // What the API or the browser refused, beside the field ---------------------------------

  /** The API's English message in the page's words, where the page knows it. */
  const KNOWN = [
    [/^Missing data for required field/, () => say("needed")],
    [/^Field may not be null/, () => say("needed")],
    [/^Not a valid integer/, () => say("wholeNumber")],
    [/^Not a valid time/, () => say("timeHHMM")],
    [/^Not a valid date/, () => say("dateNeeded")],
    [/greater than or equal to (-?\d+) and less than or equal to (-?\d+)/, (m) => say("numberFromTo", { min: m[1], max: m[2] })],
    [/^must be between (\d+) and (\d+)/, (m) => say("numberFromTo", { min: m[1], max: m[2] })],
    [/^must be after /, () => say("afterStart")],
    [/^overlaps another interval/, () => say("overlaps")],
    [/^is in the past/, () => say("pastDay")],
    [/^Shorter than minimum length 1/, () => say("pickService")],
    [/is already closed$/, () => say("alreadyClosed")],
    [/exists at this site$/, () => say("nameTaken")],
  ];

  function inWords(text) {
    for (const [pattern, words] of KNOWN) {
      const found = pattern.exec(text);
      if (found) return words(found);
    }
    return say("apiSays", { text });
  }

  /** {"hours": {"1": {"closes": ["…"]}}} as {"hours.1.closes": ["…"]}, as flask-smorest nests them. */
  function flatten(errors, prefix = "", found = {}) {
    for (const [key, value] of Object.entries(errors || {})) {
      const path = prefix ? `${prefix}.${key}` : key;
      if (Array.isArray(value)) found[path] = value.filter((m) => typeof m === "string");
      else if (value && typeof value === "object") flatten(value, path, found);
    }
    return found;
  }

  const CONFLICT = "(conflict)"; // what `fieldOf` is asked for a 409, which names no field

  const errorNode = (input) => $(input.dataset.errorId || `${input.id}-error`);

  function showFieldError(input, text) {
    const node = errorNode(input);
    if (node) node.textContent = text;
    input.setAttribute("aria-invalid", "true");
  }

  function clearErrors(form) {
    for (const node of form.querySelectorAll(".field-error")) node.textContent = "";
    for (const input of form.querySelectorAll("[aria-invalid]")) input.removeAttribute("aria-invalid");
  }

  /** The browser's own check of an input (required, min, max, step), in the page's words. */
  function clientProblem(input) {
    const validity = input.validity;
    if (validity.valid) return "";
    if (input.type === "time") return validity.valueMissing ? say("needed") : say("timeHHMM");
    if (input.type === "date") return say("dateNeeded");
    if (validity.valueMissing) return say("needed");
    if (validity.rangeUnderflow || validity.rangeOverflow) return say("numberFromTo", { min: input.min, max: input.max });
    if (validity.badInput || validity.stepMismatch) return say("wholeNumber");
    return say("needed");
  }

  /** Marks every input the browser refuses; the first one, or null when all pass. */
  function checkInputs(form) {
    let first = null;
    for (const input of form.querySelectorAll("input:not([type=checkbox])")) {
      const problem = clientProblem(input);
      if (!problem) continue;
      showFieldError(input, problem);
      first = first || input;
    }
    return first;
  }

  /** Says why the API refused a write: beside each field it names (`fieldOf(path)`), the rest in the status. */
  function refused(error, statusId, fieldOf, lead = say("notSaved")) {
    if (error instanceof ApiError && error.status === 401) return signOut(describeError(error));
    if (error instanceof ApiError && error.status === 403) return signOut(say("notAdmin"));
    if (!(error instanceof ApiError)) return tell(statusId, describeError(error), "error");
    const where = error.body.errors || {};
    const flat = flatten(where.json || where.query || {});
    const loose = [];
    let first = null;
    for (const [path, messages] of Object.entries(flat)) {
      const input = fieldOf(path);
      if (input) {
        showFieldError(input, messages.map(inWords).join(" "));
        first = first || input;
      } else {
        loose.push(say("apiSaysAt", { field: path, text: messages.join(" ") }));
      }
    }
    if (!Object.keys(flat).length) {
      // A conflict names no field: said beside the one the form says it is about (the date, the name).
      const words = inWords(error.body.message || String(error.status));
      const input = error.status === 409 ? fieldOf(CONFLICT) : null;
      if (input) {
        showFieldError(input, words);
        first = input;
      } else {
        loose.push(words);
      }
    }
    tell(statusId, [lead, ...loose].filter(Boolean).join(" "), "error");
    if (first) first.focus();
    return null;
  }

  /** Checks a form in the browser, then sends it; says "Saved." or where it went wrong. */
  async function submit(form, statusId, send, fieldOf) {
    clearErrors(form);
    const first = checkInputs(form);
    if (first) {
      tell(statusId, say("notSaved"), "error");
      first.focus();
      return null;
    }
    tell(statusId, say("working"), "busy");
    try {
      const answer = await send();
      tell(statusId, say("saved"), "ok");
      return answer.data;
    } catch (error) {
      return refused(error, statusId, fieldOf);
    }
  }

  // Building inputs ------------------------------------------------------------------------

  /** A labelled input with its error line; `more` is the hidden part of the label (which day, which row). */
  function field(kind, text, more, attributes) {
    const id = `m${++serial}-${kind}`;
    const input = el("input", { id, name: kind, "aria-describedby": `${id}-error`, ...attributes });
    const label = el("label", { for: id }, text, el("span", { class: "visually-hidden row-say" }, more));
    return { box: el("div", { class: "field" }, label, input, el("p", { class: "field-error", id: `${id}-error` })), input };
  }

  /** One row of a weekday: its fields and a Remove button; the rows of a day renumber when one goes. */
  function weekRow(fieldset, specs) {
    const row = el("div", { class: "row" });
    row.inputs = {};
    for (const [kind, words, attributes, value] of specs) {
      const built = field(kind, say(words), "", attributes);
      built.input.value = value;
      built.input.dataset.kind = kind;
      row.inputs[kind] = built.input;
      row.append(built.box);
    }
    const remove = el("button", { type: "button", class: "remove" }, say("remove"));
    remove.addEventListener("click", () => {
      row.remove();
      renumber(fieldset);
      fieldset.querySelector(".add-row").focus();
    });
    row.append(remove);
    row.removeButton = remove;
    fieldset.querySelector(".rows").append(row);
    renumber(fieldset);
    return row;
  }

  function renumber(fieldset) {
    const day = dayName(fieldset.dataset.weekday);
    const rows = [...fieldset.querySelectorAll(".row")];
    rows.forEach((row, index) => {
      for (const span of row.querySelectorAll(".row-say")) span.textContent = `, ${day}, ${index + 1}`;
      row.removeButton.setAttribute("aria-label", say("removeRow", { row: index + 1, day }));
    });
    let empty = fieldset.querySelector(".when-empty");
    if (!empty) {
      empty = el("p", { class: "when-empty muted" }, fieldset.closest("form").id === "hours" ? say("closedAllDay") : say("noBlocks"));
      fieldset.querySelector(".rows").after(empty);
    }
    empty.hidden = rows.length > 0;
  }

  /** The rows of every weekday of a form, in order, with the index the API will name them by. */
  function rowsOf(form) {
    return [...form.querySelectorAll("fieldset.day")].flatMap((fieldset) =>
      [...fieldset.querySelectorAll(".row")].map((row) => ({ weekday: Number(fieldset.dataset.weekday), row })));
  }

  /** "hours.3.closes" → that row's input (or its first, when the API names the row only). */
  function rowField(rows, list) {
    return (path) => {
      const found = new RegExp(`^${list}\\.(\\d+)(?:\\.(\\w+))?`).exec(path);
      if (!found || !rows[Number(found[1])]) return null;
      const inputs = rows[Number(found[1])].row.inputs;
      return inputs[found[2]] || Object.values(inputs)[0];
    };
  }

  // Settings -------------------------------------------------------------------------------

  const SETTINGS = ["walk_in_cutoff_minutes", "sla_minutes", "sla_percent"];

  function renderSettings(site) {
    for (const name of SETTINGS) $(`f-${name}`).value = site[name];
  }

  $("settings").addEventListener("submit", async (event) => {
    event.preventDefault();
    const form = event.currentTarget;
    const body = Object.fromEntries(SETTINGS.map((name) => [name, Number($(`f-${name}`).value)]));
    const site = await submit(form, "settings-status", () => call(`/sites/${siteId}`, { method: "PATCH", body }),
      (path) => $(`f-${path.split(".")[0]}`));
    if (site) renderSettings(site);
  });

  // Opening hours --------------------------------------------------------------------------

  const hoursRow = (fieldset, opens = "", closes = "") => weekRow(fieldset, [
    ["opens", "opens", { type: "time", required: true }, opens],
    ["closes", "closes", { type: "time", required: true }, closes],
  ]);

  function renderHours(hours) {
    for (const fieldset of $("hours").querySelectorAll("fieldset.day")) {
      fieldset.querySelector(".rows").replaceChildren();
      for (const interval of hours.filter((h) => h.weekday === Number(fieldset.dataset.weekday))) {
        hoursRow(fieldset, interval.opens, interval.closes);
      }
      renumber(fieldset);
    }
  }

  $("hours").addEventListener("submit", (event) => {
    event.preventDefault();
    const rows = rowsOf(event.currentTarget);
    const hours = rows.map(({ weekday, row }) => ({ weekday, opens: row.inputs.opens.value, closes: row.inputs.closes.value }));
    submit(event.currentTarget, "hours-status", () => call(`/sites/${siteId}/hours`, { method: "PUT", body: { hours } }),
      rowField(rows, "hours"));
  });

  // Closed dates ---------------------------------------------------------------------------

  function longDay(day) {
    const options = { weekday: "long", year: "numeric", month: "long", day: "numeric", timeZone: "UTC" };
    return new Intl.DateTimeFormat(language(), options).format(new Date(`${day}T00:00:00Z`));
  }

  function renderClosures(closures) {
    const list = $("closure-list");
    if (!closures.length) return list.replaceChildren(el("li", { class: "muted" }, say("noClosures")));
    list.replaceChildren(...[...closures].sort((a, b) => a.day.localeCompare(b.day)).map((closure) => {
      const remove = el("button", { type: "button", "aria-label": say("removeClosure", { day: longDay(closure.day) }) }, say("remove"));
      remove.addEventListener("click", () => removeClosure(closure.day));
      const when = el("time", { datetime: closure.day }, longDay(closure.day));
      return el("li", { "data-day": closure.day }, el("span", {}, when, closure.reason ? ` · ${closure.reason}` : ""), remove);
    }));
  }

  async function reloadSite() {
    const site = (await api(`/sites/${siteId}`)).data;
    renderClosures(site.closures);
    return site;
  }

  async function removeClosure(day) {
    tell("closures-status", say("working"), "busy");
    try {
      await call(`/sites/${siteId}/closures/${day}`, { method: "DELETE" });
      await reloadSite();
      tell("closures-status", say("closureRemoved", { day: longDay(day) }), "ok");
      $("closure-day").focus();
    } catch (error) {
      refused(error, "closures-status", () => null);
    }
  }

  $("closure-add").addEventListener("submit", async (event) => {
    event.preventDefault();
    const day = $("closure-day").value;
    const body = { day, reason: $("closure-reason").value.trim() };
    const added = await submit(event.currentTarget, "closures-status",
      () => call(`/sites/${siteId}/closures`, { method: "POST", body }),
      (path) => ({ day: $("closure-day"), [CONFLICT]: $("closure-day"), reason: $("closure-reason") })[path] || null);
    if (!added) return;
    await reloadSite();
    $("closure-day").value = "";
    $("closure-reason").value = "";
    tell("closures-status", say("closureAdded", { day: longDay(day) }), "ok");
  });

  // Capacity plan --------------------------------------------------------------------------

  const planRow = (fieldset, block = {}) => weekRow(fieldset, [
    ["starts", "starts", { type: "time", required: true }, block.starts || ""],
    ["ends", "ends", { type: "time", required: true }, block.ends || ""],
    ["stations", "stationsCount", { type: "number", inputmode: "numeric", required: true, min: 1, max: 200, step: 1 }, block.stations ?? 1],
    ["seats_per_slot", "seats", { type: "number", inputmode: "numeric", required: true, min: 0, max: 200, step: 1 }, block.seats_per_slot ?? 0],
  ]);

  /** The plan's blocks in the form: every weekday, or only `weekday` (the others keep what is typed there). */
  function renderPlan(plan, weekday = null) {
    $("f-slot_minutes").value = plan.slot_minutes;
    for (const fieldset of $("plan").querySelectorAll("fieldset.day")) {
      const day = Number(fieldset.dataset.weekday);
      if (weekday !== null && day !== weekday) continue;
      fieldset.querySelector(".rows").replaceChildren();
      for (const block of plan.blocks.filter((b) => b.weekday === day)) planRow(fieldset, block);
      renumber(fieldset);
    }
  }

  $("plan").addEventListener("submit", (event) => {
    event.preventDefault();
    const rows = rowsOf(event.currentTarget);
    const blocks = rows.map(({ weekday, row }) => ({
      weekday,
      starts: row.inputs.starts.value,
      ends: row.inputs.ends.value,
      stations: Number(row.inputs.stations.value),
      seats_per_slot: Number(row.inputs.seats_per_slot.value),
    }));
    const body = { slot_minutes: Number($("f-slot_minutes").value), blocks };
    const byRow = rowField(rows, "blocks");
    submit(event.currentTarget, "plan-status", () => call(`/sites/${siteId}/capacity-plan`, { method: "PUT", body }),
      (path) => (path === "slot_minutes" ? $("f-slot_minutes") : byRow(path)));
  });

  for (const button of document.querySelectorAll(".add-row")) {
    button.addEventListener("click", () => {
      const fieldset = button.closest("fieldset");
      const row = fieldset.closest("form").id === "hours" ? hoursRow(fieldset) : planRow(fieldset);
      Object.values(row.inputs)[0].focus();
    });
  }

  // Stations -------------------------------------------------------------------------------

  /** Checkboxes of every service, those in `chosen` ticked; their error line is `errorId`. */
  function serviceChecks(prefix, chosen, errorId) {
    return services.map((service) => {
      const id = `${prefix}-${service.code}`;
      const box = el("input", { type: "checkbox", id, value: service.code, "data-error-id": errorId });
      box.checked = chosen.includes(service.code);
      const name = ((service.translations || {})[language()] || {}).name || service.name;
      return el("div", { class: "check" }, box, el("label", { for: id }, `${name} (${service.code})`));
    });
  }

  const ticked = (container) => [...container.querySelectorAll("input[type=checkbox]:checked")].map((box) => box.value);

  /** The station form's problems the browser can see: a name, and at least one service. */
  function stationProblem(form, checks) {
    const first = checkInputs(form);
    if (ticked(checks).length) return first;
    const box = checks.querySelector("input[type=checkbox]");
    if (box) showFieldError(box, say("pickService"));
    return first || box;
  }

  function stationForm(station) {
    const prefix = `st${station.id}`;
    const name = el("input", { id: `${prefix}-name`, name: "name", type: "text", required: true, maxlength: 60, "aria-describedby": `${prefix}-name-error` });
    name.value = station.name;
    const errorId = `${prefix}-services-error`;
    const checks = el("div", { class: "checks" }, serviceChecks(prefix, station.services, errorId));
    const legend = el("legend", {}, station.name);
    const save = el("button", { type: "submit", "aria-label": say("saveStation", { station: station.name }) }, say("save"));
    const form = el("form", { class: "station-form", "data-station": station.name, novalidate: true },
      el("fieldset", {}, legend,
        el("div", { class: "field" }, el("label", { for: name.id }, say("stationName")), name, el("p", { class: "field-error", id: `${prefix}-name-error` })),
        el("fieldset", { class: "services", "aria-describedby": errorId }, el("legend", {}, say("does")), checks, el("p", { class: "field-error", id: errorId })),
        save));
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      clearErrors(form);
      const problem = stationProblem(form, checks);
      if (problem) {
        tell("stations-status", say("notSaved"), "error");
        return problem.focus();
      }
      const body = { name: name.value.trim(), services: ticked(checks) };
      const saved = await submit(form, "stations-status", () => call(`/stations/${station.id}`, { method: "PATCH", body }),
        (path) => (path.startsWith("services") ? checks.querySelector("input") : [CONFLICT, "name"].includes(path) ? name : null));
      if (saved) {
        legend.textContent = saved.name;
        form.dataset.station = saved.name;
        save.setAttribute("aria-label", say("saveStation", { station: saved.name }));
      }
    });
    return form;
  }

  function renderStations(stations) {
    $("station-forms").replaceChildren(...stations.map(stationForm));
    $("new-station-services").replaceChildren(...serviceChecks("new-station", [], "new-station-services-error"));
  }

  $("station-add").addEventListener("submit", async (event) => {
    event.preventDefault();
    const form = event.currentTarget;
    const checks = $("new-station-services");
    clearErrors(form);
    const problem = stationProblem(form, checks);
    if (problem) {
      tell("stations-status", say("notSaved"), "error");
      return problem.focus();
    }
    const body = { name: $("new-station-name").value.trim(), services: ticked(checks) };
    const added = await submit(form, "stations-status", () => call(`/sites/${siteId}/stations`, { method: "POST", body }),
      (path) => (path.startsWith("services") ? checks.querySelector("input") : [CONFLICT, "name"].includes(path) ? $("new-station-name") : null));
    if (!added) return;
    const site = await reloadSite();
    renderStations(site.stations);
    tell("stations-status", say("stationAdded", { station: added.name }), "ok");
  });

  // Staffing advice ------------------------------------------------------------------------

  /** Table rows from arrays of cells; the first cell of each is its row's header. */
  function fill(table, rows) {
    table.tBodies[0].replaceChildren(...rows.map(([head, ...cells]) =>
      el("tr", {}, el("th", { scope: "row" }, head), cells.map((cell) => el("td", {}, cell)))));
  }

  /** "4 (+1)", "2 (−1)" or "3": the advised stations against the plan's. */
  function withChange(advised, planned) {
    const change = advised - planned;
    return change ? `${advised} (${change > 0 ? "+" : "−"}${Math.abs(change)})` : String(advised);
  }

  const halfHour = (h) => say("halfHour", { starts: h.starts, ends: h.ends });
  const blockKey = (b) => `${b.weekday} ${b.starts} ${b.ends} ${b.stations} ${b.seats_per_slot}`;
  const blockRows = (blocks) => blocks.map((b) => [b.starts, b.ends, String(b.stations), String(b.seats_per_slot)]);

  /** Why a staffing or what-if read failed, said in its section; "fix what is marked" only for a field's error. */
  function unread(error, statusId, fieldOf) {
    return refused(error, statusId, fieldOf, error instanceof ApiError && error.status === 422 ? say("fixMarked") : "");
  }

  const TARGETS = ["sla_minutes", "sla_percent", "days_percent"]; // empty: the site's own (days: 95)

  const chartAsked = {}; // the latest chart asked for in each slot, so an older answer never replaces it

  /** A chart the server draws (SVG, words in the page's language) put inline in its slot; none for null. */
  async function showChart(slotId, path) {
    const slot = $(slotId);
    const asked = (chartAsked[slotId] = (chartAsked[slotId] || 0) + 1);
    slot.replaceChildren();
    slot.hidden = !path;
    if (!path) return;
    let inline;
    try {
      const response = await fetch(`/api/v1${path}&lang=${encodeURIComponent(language())}`,
        { headers: { Authorization: `Bearer ${token}` }, cache: "no-store" });
      if (!response.ok) throw new Error(String(response.status));
      const svg = new DOMParser().parseFromString(await response.text(), "image/svg+xml").documentElement;
      if (svg.nodeName !== "svg") throw new Error("not an SVG");
      inline = document.importNode(svg, true);
    } catch {
      inline = el("p", { class: "error" }, say("chartFailed"));
    }
    if (asked === chartAsked[slotId]) slot.replaceChildren(inline);
  }

  $("staffing").addEventListener("submit", async (event) => {
    event.preventDefault();
    const form = event.currentTarget;
    if (form.getAttribute("aria-busy") === "true") return; // a simulation of many days: one at a time
    form.setAttribute("aria-busy", "true");
    clearErrors(form);
    $("staffing-result").hidden = true;
    $("preview-result").hidden = true;
    const first = checkInputs(form);
    if (first) {
      form.removeAttribute("aria-busy");
      tell("staffing-status", say("fixMarked"), "error");
      return first.focus();
    }
    const query = new URLSearchParams({ weekday: $("staffing-weekday").value });
    for (const name of TARGETS) {
      const typed = $(`f-target_${name}`).value;
      if (typed !== "") query.set(name, String(Number(typed)));
    }
    tell("staffing-status", say("working"), "busy");
    try {
      advice = (await call(`/sites/${siteId}/staffing?${query}`)).data;
    } catch (error) {
      advice = null;
      const fieldOf = (path) => (path === "weekday" ? $("staffing-weekday") : $(`f-target_${path.split(".")[0]}`));
      return unread(error, "staffing-status", fieldOf);
    } finally {
      form.removeAttribute("aria-busy");
    }
    tell("staffing-status", "");
    showAdvice(advice);
    showChart("staffing-chart", advice.half_hours.length ? `/sites/${siteId}/staffing/chart.svg?${query}` : null);
  });

  function showAdvice(answer) {
    const target = answer.target;
    setText("staffing-target", say("target", { percent: share(target.sla_percent / 100), minutes: target.sla_minutes, days: share(target.days_percent / 100) }));
    const basis = [say("simulated", { days: answer.simulated_days, history: answer.history_days })];
    if (answer.thin_history) basis.push(say("thinHistory"));
    const met = answer.recommended.days_meeting_target;
    if (answer.half_hours.length && met !== null && met < target.days_percent / 100) {
      basis.push(say("shortOfTarget", { share: share(met) }));
    }
    setText("staffing-basis", basis.join(" "));
    const closed = !answer.half_hours.length;
    if (closed) tell("staffing-status", say("closedThatDay"), "ok");
    const now = answer.current;
    const advised = answer.recommended;
    fill($("staffing-summary"), [
      [say("stationHours"), figure(now.station_hours), figure(advised.station_hours)],
      [say("daysMeeting"), share(now.days_meeting_target), share(advised.days_meeting_target)],
      [say("withinTarget"), share(now.within_target), share(advised.within_target)],
      [say("waitP50"), figure(now.wait_p50_minutes), figure(advised.wait_p50_minutes)],
      [say("waitP90"), figure(now.wait_p90_minutes), figure(advised.wait_p90_minutes)],
    ]);
    fill($("staffing-half-hours"), answer.half_hours.map((h) => [
      halfHour(h), figure(h.walk_ins), figure(h.appointments), String(h.current_stations),
      withChange(h.recommended_stations, h.current_stations),
      h.erlang_c_stations === null ? say("notApplies") : String(h.erlang_c_stations),
    ]));
    $("staffing-result").hidden = false;
    $("preview").hidden = closed;
    $("in-force").hidden = true;
    setText("adopt-status", "");
  }

  $("preview").addEventListener("click", async () => {
    if (!advice) return;
    tell("adopt-status", say("working"), "busy");
    let plan;
    try {
      plan = (await call(`/sites/${siteId}/capacity-plan`)).data;
    } catch (error) {
      return refused(error, "adopt-status", () => null);
    }
    setText("adopt-status", "");
    const weekday = advice.weekday;
    const proposed = advice.capacity_plan;
    const others = (blocks) => blocks.filter((b) => b.weekday !== weekday).map(blockKey).sort().join("|");
    const before = plan.blocks.filter((b) => b.weekday === weekday);
    const after = proposed.blocks.filter((b) => b.weekday === weekday);
    const stale = plan.slot_minutes !== proposed.slot_minutes || others(plan.blocks) !== others(proposed.blocks);
    const same = !stale && before.map(blockKey).join("|") === after.map(blockKey).join("|");
    fill($("preview-before"), blockRows(before));
    const kept = new Set(before.map(blockKey));
    fill($("preview-after"), after.map((b) => {
      const cells = blockRows([b])[0];
      if (!kept.has(blockKey(b))) cells[2] = `${cells[2]} (${say("changed")})`;
      return cells;
    }));
    setText("preview-words", stale ? say("planChanged") : same ? say("noPlanChange") : "");
    $("adopt").hidden = stale || same;
    $("preview-result").hidden = false;
    $("preview-title").focus();
  });

  $("adopt").addEventListener("click", async () => {
    if (!advice) return;
    tell("adopt-status", say("working"), "busy");
    let plan;
    try {
      plan = (await call(`/sites/${siteId}/capacity-plan`, { method: "PUT", body: advice.capacity_plan })).data;
    } catch (error) {
      return refused(error, "adopt-status", () => null, say("notAdopted"));
    }
    const day = dayName(advice.weekday);
    renderPlan(plan, advice.weekday);
    fill($("in-force-table"), blockRows(plan.blocks.filter((b) => b.weekday === advice.weekday)));
    $("preview-result").hidden = true;
    $("in-force").hidden = false;
    tell("adopt-status", say("adopted", { day }), "ok");
  });

  // What if? ---------------------------------------------------------------------------------

  $("what-if").addEventListener("submit", async (event) => {
    event.preventDefault();
    const form = event.currentTarget;
    if (form.getAttribute("aria-busy") === "true") return; // one simulation at a time
    clearErrors(form);
    $("what-if-result").hidden = true;
    const cutoff = $("f-walk_in_cutoff");
    const missing = $("f-missing_stations");
    const first = checkInputs(form);
    if (first) {
      tell("what-if-status", say("fixMarked"), "error");
      return first.focus();
    }
    if (!cutoff.value && Number(missing.value || 0) === 0) {
      showFieldError(cutoff, say("noChange"));
      tell("what-if-status", say("noChange"), "error");
      return cutoff.focus();
    }
    const query = new URLSearchParams({ weekday: $("what-if-weekday").value });
    if (cutoff.value) query.set("walk_in_cutoff", cutoff.value);
    if (Number(missing.value || 0)) query.set("missing_stations", String(Number(missing.value)));
    tell("what-if-status", say("working"), "busy");
    form.setAttribute("aria-busy", "true");
    let answer;
    try {
      answer = (await call(`/sites/${siteId}/what-if?${query}`)).data;
    } catch (error) {
      const inputs = { walk_in_cutoff: cutoff, missing_stations: missing, weekday: $("what-if-weekday") };
      return unread(error, "what-if-status", (path) => inputs[path.split(".")[0]] || null);
    } finally {
      form.removeAttribute("aria-busy");
    }
    tell("what-if-status", answer.half_hours.length ? "" : say("closedThatDay"), "ok");
    showWhatIf(answer);
    showChart("what-if-chart", answer.half_hours.length ? `/sites/${siteId}/what-if/chart.svg?${query}` : null);
  });

  /** "12 → 9" where the change moves a figure, the one figure where it does not. */
  const moved = (before, after, format) => (format(before) === format(after) ? format(before) : `${format(before)} → ${format(after)}`);

  function showWhatIf(answer) {
    const base = answer.baseline;
    const changed = answer.what_if;
    fill($("what-if-summary"), [
      [say("daysMeeting"), share(base.days_meeting_target), share(changed.days_meeting_target)],
      [say("withinTarget"), share(base.within_target), share(changed.within_target)],
      [say("waitP50"), figure(base.wait_p50_minutes), figure(changed.wait_p50_minutes)],
      [say("waitP90"), figure(base.wait_p90_minutes), figure(changed.wait_p90_minutes)],
      [say("walkIns"), figure(base.walk_ins), figure(changed.walk_ins)],
      [say("turnedAway"), figure(base.walk_ins_turned_away), figure(changed.walk_ins_turned_away)],
    ]);
    fill($("what-if-half-hours"), answer.half_hours.map((h) => [
      halfHour(h),
      moved(h.baseline.walk_ins, h.what_if.walk_ins, figure),
      moved(h.baseline.stations, h.what_if.stations, figure),
      moved(h.baseline.wait_p50_minutes, h.what_if.wait_p50_minutes, figure),
      moved(h.baseline.wait_p90_minutes, h.what_if.wait_p90_minutes, figure),
      moved(h.baseline.within_target, h.what_if.within_target, share),
    ]));
    $("what-if-result").hidden = false;
  }

  // Signing in and out -----------------------------------------------------------------------

  function showSignIn(problemText = "") {
    $("signin-card").hidden = false;
    $("manager").hidden = true;
    $("sign-out").hidden = true;
    setText("signin-error", problemText);
    document.body.dataset.loaded = "true";
  }

  function signOut(problemText = "") {
    token = null;
    try { window.sessionStorage.removeItem(STORE); } catch { /* nothing kept */ }
    showSignIn(problemText);
    return null;
  }

  /** Loads everything the sections show; a token that cannot configure the site is sent back to sign in. */
  async function start() {
    document.body.dataset.loaded = "false";
    try {
      await call(`/sites/${siteId}/webhooks`); // read only, and only for an admin of this site
      const [site, plan, catalogue] = await Promise.all([
        api(`/sites/${siteId}`), api(`/sites/${siteId}/capacity-plan`), api("/services"),
      ]);
      services = catalogue.data;
      renderSettings(site.data);
      renderHours(site.data.hours);
      renderClosures(site.data.closures);
      renderPlan(plan.data);
      renderStations(site.data.stations);
    } catch (error) {
      if (error instanceof ApiError && error.status === 403) return signOut(say("notAdmin"));
      return signOut(describeError(error));
    }
    $("signin-card").hidden = true;
    $("manager").hidden = false;
    $("sign-out").hidden = false;
    document.body.dataset.loaded = "true";
    return null;
  }

  $("signin").addEventListener("submit", async (event) => {
    event.preventDefault();
    const typed = $("token").value.trim();
    if (!typed) return;
    token = typed;
    setText("signin-error", say("loading"));
    await start();
    if (!token) return;
    try { window.sessionStorage.setItem(STORE, token); } catch { /* kept in memory only */ }
    $("token").value = "";
    $("settings-title").focus();
  });

  $("sign-out").addEventListener("click", () => signOut(say("signedOut")));

  if (token) start();
  else showSignIn();
})();

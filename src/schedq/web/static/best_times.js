// When is best? The week of one site and service as a heat grid (web/patient/best_times.py).
// Days are rows, half hours columns; each square's colour and number give the typical (median)
// wait's level, a bar at its foot the appointments booked for it. The same figures are written out
// in words (the quietest and busiest times) and in tables, so colour is never the only way in.
"use strict";

(() => {
  const body = document.body;
  const siteId = body.dataset.siteId;
  const service = body.dataset.service;
  const timeZone = body.dataset.timezone;
  const levels = (body.dataset.levels || "10,20,40").split(",").map(Number);
  const lang = schedq.language();
  const SVG = "http://www.w3.org/2000/svg";
  const $ = (id) => document.getElementById(id);

  const CELL_W = 22;
  const CELL_H = 32;
  const LABEL_W = 56;
  const HEAD_H = 20;

  /** 1 (short) to 4 (very long), from the typical wait in minutes. */
  function level(p50) {
    let n = 1;
    for (const limit of levels) if (p50 >= limit) n += 1;
    return n;
  }

  function svg(name, attributes = {}, text) {
    const node = document.createElementNS(SVG, name);
    for (const [key, value] of Object.entries(attributes)) node.setAttribute(key, String(value));
    if (text !== undefined) node.textContent = text;
    return node;
  }

  /** "YYYY-MM-DD" plus `n` days. */
  function addDays(day, n) {
    const [y, m, d] = day.split("-").map(Number);
    return new Date(Date.UTC(y, m - 1, d + n)).toISOString().slice(0, 10);
  }

  function dayName(day, style = "long") {
    const [y, m, d] = day.split("-").map(Number);
    const options = { weekday: style, timeZone: "UTC" };
    if (style === "short") options.day = "numeric";
    return new Intl.DateTimeFormat(lang, options).format(new Date(Date.UTC(y, m - 1, d)));
  }

  const hhmm = (text) => text.slice(11, 16);

  /** Consecutive half hours of one day as one stretch: "Tuesday 14:00–15:00". */
  function stretches(halfHours) {
    const runs = [];
    for (const h of [...halfHours].sort((a, b) => a.starts_at.localeCompare(b.starts_at))) {
      const last = runs[runs.length - 1];
      if (last && last.day === h.starts_at.slice(0, 10) && last.end === h.starts_at) {
        last.end = h.ends_at;
        last.items.push(h);
      } else {
        runs.push({ day: h.starts_at.slice(0, 10), start: h.starts_at, end: h.ends_at, items: [h] });
      }
    }
    return runs;
  }

  function when(run, today) {
    const day = run.day === today ? schedq.say("today") : dayName(run.day);
    return schedq.say("span", { day, start: hhmm(run.start), end: hhmm(run.end) });
  }

  const roundUpTo5 = (minutes) => Math.max(5, Math.ceil(minutes / 5) * 5);

  function callouts(data, open, today) {
    const list = $("callouts");
    list.replaceChildren();
    if (!open.length) {
      list.append(schedq.el("li", {}, schedq.say("noOpen")));
      list.hidden = false;
      return;
    }
    // The quietest: the API's best half hours (lowest upper end), joined into stretches; the first one.
    const best = stretches(data.best.length ? data.best : open.slice(0, 1))[0];
    const high = Math.max(...best.items.map((h) => h.p90_minutes));
    list.append(schedq.el("li", { class: "quietest" }, high < 1
      ? schedq.say("quietestNoWait", { when: when(best, today) })
      : schedq.say("quietest", { when: when(best, today), minutes: roundUpTo5(high) })));
    // The busiest: the longest typical wait, with the half hours beside it that are as long.
    const worst = open.reduce((a, b) => (b.p50_minutes > a.p50_minutes ? b : a));
    if (worst.p50_minutes >= levels[0]) {
      const alike = open.filter((h) => level(h.p50_minutes) === level(worst.p50_minutes));
      const run = stretches(alike).find((r) => r.items.includes(worst));
      list.append(schedq.el("li", { class: "busiest" }, schedq.say("busiest", {
        when: when(run, today),
        low: Math.floor(Math.min(...run.items.map((h) => h.p10_minutes))),
        high: Math.ceil(Math.max(...run.items.map((h) => h.p90_minutes))),
      })));
    }
    list.hidden = false;
  }

  function chart(data, days, columns, byDayTime) {
    const maxBooked = Math.max(1, ...data.half_hours.map((h) => h.booked_appointments || 0));
    const width = LABEL_W + columns.length * CELL_W;
    const height = HEAD_H + days.length * CELL_H;
    const root = svg("svg", {
      viewBox: `0 0 ${width} ${height}`, class: "week-grid", role: "img",
      "aria-labelledby": "week-caption", focusable: "false",
    });
    const hatch = svg("pattern", { id: "closed-hatch", width: 6, height: 6, patternUnits: "userSpaceOnUse", patternTransform: "rotate(45)" });
    hatch.append(svg("rect", { width: 6, height: 6, class: "hatch-ground" }), svg("line", { x1: 0, y1: 0, x2: 0, y2: 6, class: "hatch-line" }));
    const defs = svg("defs");
    defs.append(hatch);
    root.append(defs);
    columns.forEach((time, i) => {
      if (time.endsWith(":00") && i % 2 === 0) {
        root.append(svg("text", { x: LABEL_W + i * CELL_W + 1, y: HEAD_H - 6, class: "hour" }, time));
      }
    });
    days.forEach((day, row) => {
      const y = HEAD_H + row * CELL_H;
      root.append(svg("text", { x: 0, y: y + CELL_H / 2 + 4, class: "day" }, dayName(day, "short")));
      columns.forEach((time, i) => {
        const x = LABEL_W + i * CELL_W;
        const h = byDayTime.get(`${day} ${time}`);
        const group = svg("g", { class: "slot", "data-day": day, "data-time": time });
        if (!h) {
          const past = day === days[0] && data.half_hours.some((o) => o.starts_at.slice(0, 10) === day && hhmm(o.starts_at) > time);
          group.append(svg("rect", { x: x + 1, y: y + 1, width: CELL_W - 2, height: CELL_H - 2, class: past ? "past" : "closed" }));
        } else if (!h.open_for_walk_ins || h.p50_minutes === null) {
          group.classList.add("is-closed");
          group.append(svg("rect", { x: x + 1, y: y + 1, width: CELL_W - 2, height: CELL_H - 2, class: "closed" }));
        } else {
          const n = level(h.p50_minutes);
          group.classList.add(`is-level${n}`);
          group.append(svg("rect", { x: x + 1, y: y + 1, width: CELL_W - 2, height: CELL_H - 2, class: `level${n}` }));
          group.append(svg("text", { x: x + CELL_W / 2, y: y + CELL_H * 0.38, class: `mark level${n}` }, String(n)));
        }
        const booked = h ? h.booked_appointments || 0 : 0;
        if (booked > 0) {
          const tall = Math.max(3, Math.round((booked / maxBooked) * (CELL_H * 0.3)));
          group.append(svg("rect", {
            x: x + 3, y: y + CELL_H - 3 - tall, width: CELL_W - 6, height: tall, class: "booked",
            "data-booked": booked,
          }));
        }
        root.append(group);
      });
    });
    return root;
  }

  function tables(data, days, today) {
    const holder = $("figures-tables");
    holder.replaceChildren();
    const minutes = (value) => (value === null ? "—" : schedq.say("minutes", { minutes: Math.round(value) }));
    for (const day of days) {
      const rows = data.half_hours.filter((h) => h.starts_at.slice(0, 10) === day);
      const name = day === today ? `${schedq.say("today")} (${dayName(day)})` : dayName(day);
      if (!rows.length) {
        holder.append(schedq.el("p", {}, `${name}: ${schedq.say("closed")}`));
        continue;
      }
      const table = schedq.el("table", { class: "figures-table" });
      table.append(schedq.el("caption", {}, name));
      const head = schedq.el("tr");
      for (const key of ["colTime", "colTypical", "colRange", "colWalkIns", "colBooked"]) {
        head.append(schedq.el("th", { scope: "col" }, schedq.say(key)));
      }
      table.append(schedq.el("thead", {}, head));
      const tbody = schedq.el("tbody");
      for (const h of rows) {
        const tr = schedq.el("tr");
        tr.append(schedq.el("th", { scope: "row" }, `${hhmm(h.starts_at)}–${hhmm(h.ends_at)}`));
        const open = h.open_for_walk_ins && h.p50_minutes !== null;
        tr.append(schedq.el("td", {}, open ? minutes(h.p50_minutes) : schedq.say("closed")));
        tr.append(schedq.el("td", {}, open
          ? schedq.say("range", { low: Math.floor(h.p10_minutes), high: Math.ceil(h.p90_minutes) })
          : "—"));
        tr.append(schedq.el("td", {}, String(h.expected_walk_ins)));
        tr.append(schedq.el("td", {}, String(h.booked_appointments || 0)));
        tbody.append(tr);
      }
      table.append(tbody);
      holder.append(table);
    }
  }

  function show(data) {
    const today = data.at.slice(0, 10);
    const days = Array.from({ length: 7 }, (_, n) => addDays(today, n));
    const columns = [...new Set(data.half_hours.map((h) => hhmm(h.starts_at)))].sort();
    const byDayTime = new Map(data.half_hours.map((h) => [`${h.starts_at.slice(0, 10)} ${hhmm(h.starts_at)}`, h]));
    const open = data.half_hours.filter((h) => h.open_for_walk_ins && h.p50_minutes !== null && h.p90_minutes !== null);

    callouts(data, open, today);
    const thin = data.half_hours.find((h) => h.thin_history);
    if (thin) {
      $("thin-note").textContent = schedq.say("thin", { days: thin.history_days ?? 0 });
      $("thin-note").hidden = false;
    }
    $("week-caption").textContent = schedq.say("caption", { service: body.dataset.serviceName });
    $("week-chart").replaceChildren(chart(data, days, columns, byDayTime));
    tables(data, days, today);
    $("week").hidden = false;
    $("figures").hidden = false;
    $("week-status").textContent = "";
    $("week-status").hidden = true;
  }

  async function load() {
    if (!service) {
      body.dataset.loaded = "true";
      return;
    }
    try {
      const answer = await schedq.api(`/sites/${siteId}/best-times?service=${encodeURIComponent(service)}`);
      show(answer.data);
    } catch (error) {
      $("week-status").textContent = schedq.say("failed");
      $("week-status").classList.add("error");
    }
    body.dataset.loaded = "true";
  }

  load();
})();

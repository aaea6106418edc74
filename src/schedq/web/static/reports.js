// The reports page: a site's figures for a range of days, read with the staff token the console keeps in
// this tab; the charts come drawn from the server (SVG) and are put in the page; words from the "words" island.
"use strict";

(() => {
  const { api, el, setText, say, language, describeError } = schedq;
  const body = document.body;
  const siteId = body.dataset.siteId;
  const STORE = `schedq.staff.token.${siteId}`;
  const $ = (id) => document.getElementById(id);
  let token = null;
  try { token = window.sessionStorage.getItem(STORE); } catch { token = null; }
  const auth = () => ({ Authorization: `Bearer ${token}` });

  function shift(isoDay, days) {
    const date = new Date(`${isoDay}T12:00:00Z`);
    date.setUTCDate(date.getUTCDate() + days);
    return date.toISOString().slice(0, 10);
  }

  const asked = new URLSearchParams(window.location.search);
  const today = body.dataset.today;  // the site's date on the server's clock
  $("to").value = asked.get("to") || today;
  $("from").value = asked.get("from") || shift($("to").value, -6);

  const number = (value, digits = 1) => (value === null || value === undefined
    ? say("none")
    : Number(value).toLocaleString(language(), { maximumFractionDigits: digits }));
  const minutes = (value) => (value === null || value === undefined ? say("none") : say("minutes", { value: number(value) }));
  const percent = (value) => (value === null || value === undefined ? say("none") : say("percent", { value: number(value) }));
  const day = (iso) => new Date(`${iso}T12:00:00Z`).toLocaleDateString(language(), { timeZone: "UTC", weekday: "short", month: "short", day: "numeric" });

  function headline(report) {
    const s = report.summary;
    const items = [
      [say("arrivals"), number(s.arrivals, 0)],
      [say("served"), number(s.outcomes.served, 0)],
      [say("noShow"), number(s.outcomes.no_show, 0)],
      [say("left"), number(s.outcomes.left, 0)],
      [say("cancelled"), number(s.outcomes.cancelled, 0)],
      [say("waitMedian"), minutes(s.waits.p50_minutes)],
      [say("waitP90"), minutes(s.waits.p90_minutes)],
      [say("waitMax"), minutes(s.waits.max_minutes)],
      [say("withinTarget", { minutes: report.target.minutes }),
        `${percent(s.target.percent)} · ${say("targetIs", { percent: percent(report.target.percent) })}`
          + (s.target.met === null ? "" : ` · ${say(s.target.met ? "targetMet" : "targetMissed")}`)],
      [say("busy"), percent(s.utilisation_percent)],
      [say("coverage"), percent(s.promises.coverage_percent)],
      [say("pastTop"), percent(s.promises.past_top_percent)],
      [say("rating"), number(s.mean_rating, 2)],
    ];
    $("headline").replaceChildren(...items.map(([term, value]) => el("div", { class: "figure" }, el("dt", {}, term), el("dd", {}, value))));
  }

  function table(id, columns, rows, empty = "noRows") {
    const wrap = document.querySelector(`#table-${id} .table-wrap`);
    if (!rows.length) {
      wrap.replaceChildren(el("p", { class: "muted" }, say(empty)));
      return;
    }
    wrap.replaceChildren(el("table", { class: "figures-table" },
      el("thead", {}, el("tr", {}, ...columns.map(([title]) => el("th", { scope: "col" }, title)))),
      el("tbody", {}, ...rows.map((row) => el("tr", {}, ...columns.map(([, value], index) => (index === 0
        ? el("th", { scope: "row" }, value(row))
        : el("td", {}, value(row)))))))));
  }

  function tables(report) {
    const kind = { walk_in: say("walkIn"), remote: say("remote"), appointment: say("appointment") };
    table("days", [
      [say("date"), (r) => day(r.date)],
      [say("arrivals"), (r) => number(r.arrivals, 0)],
      [say("served"), (r) => number(r.outcomes.served, 0)],
      [say("noShow"), (r) => number(r.outcomes.no_show, 0)],
      [say("left"), (r) => number(r.outcomes.left, 0)],
      [say("waitMedian"), (r) => minutes(r.waits.p50_minutes)],
      [say("waitP90"), (r) => minutes(r.waits.p90_minutes)],
      [say("withinTarget", { minutes: report.target.minutes }), (r) => percent(r.target.percent)],
      [say("busy"), (r) => percent(r.utilisation_percent)],
      [say("rating"), (r) => number(r.mean_rating, 2)],
    ], report.days);
    table("hours", [
      [say("timeOfDay"), (r) => `${String(r.hour).padStart(2, "0")}:00`],
      [say("arrivals"), (r) => number(r.arrivals, 0)],
      [kind.walk_in, (r) => number(r.arrivals_by_kind.walk_in, 0)],
      [kind.remote, (r) => number(r.arrivals_by_kind.remote, 0)],
      [kind.appointment, (r) => number(r.arrivals_by_kind.appointment, 0)],
      [say("waitMedian"), (r) => minutes(r.waits.p50_minutes)],
      [say("withinTarget", { minutes: report.target.minutes }), (r) => percent(r.target.percent)],
    ], report.hours);
    table("half_hours", [
      [say("hour"), (r) => r.starts],
      [say("arrivals"), (r) => number(r.arrivals, 0)],
      [say("stationsOpen"), (r) => number(r.stations_open, 2)],
      [say("waitMedian"), (r) => minutes(r.waits.p50_minutes)],
      [say("waitP90"), (r) => minutes(r.waits.p90_minutes)],
    ], report.half_hours);
    table("waits", [
      [say("kind"), (r) => (r.group === "kind" ? kind[r.name] : r.service_name || r.name)],
      [say("count"), (r) => number(r.waits.count, 0)],
      [say("waitMedian"), (r) => minutes(r.waits.p50_minutes)],
      [say("waitP90"), (r) => minutes(r.waits.p90_minutes)],
      [say("waitMax"), (r) => minutes(r.waits.max_minutes)],
    ], report.waits);
    table("stations", [
      [say("date"), (r) => day(r.date)],
      [say("station"), (r) => r.station],
      [say("openMinutes"), (r) => number(r.open_minutes, 1)],
      [say("busyMinutes"), (r) => number(r.busy_minutes, 1)],
      [say("busy"), (r) => percent(r.utilisation_percent)],
    ], report.stations);
    table("promises", [
      [say("service"), (r) => r.service_name || r.service || say("allServices")],
      [say("count"), (r) => number(r.count, 0)],
      [say("coverage"), (r) => percent(r.coverage_percent)],
      [say("pastTop"), (r) => percent(r.past_top_percent)],
    ], report.promises);
    table("ratings", [
      [say("stars"), (r) => r[0]],
      [say("count"), (r) => number(r[1], 0)],
    ], Object.entries(report.satisfaction.ratings).reverse());
    table("comments", [
      [say("date"), (r) => day(r.date)],
      [say("stars"), (r) => String(r.rating)],
      [say("service"), (r) => r.service_name || r.service],
      [say("comment"), (r) => r.comment],
    ], report.satisfaction.comments, "noComments");
  }

  function query() {
    return `from=${encodeURIComponent($("from").value)}&to=${encodeURIComponent($("to").value)}`;
  }

  async function chart(figure) {
    try {
      const response = await fetch(`/api/v1/sites/${siteId}/reports/chart.svg?${query()}&chart=${figure.dataset.chart}&lang=${language()}`,
        { headers: auth(), cache: "no-store" });
      if (!response.ok) throw new Error(String(response.status));
      const parsed = new DOMParser().parseFromString(await response.text(), "image/svg+xml");
      const svg = parsed.documentElement;
      if (svg.nodeName !== "svg") throw new Error("not an SVG");
      figure.replaceChildren(document.importNode(svg, true));
    } catch {
      figure.replaceChildren(el("p", { class: "error" }, say("chartFailed")));
    }
  }

  async function load() {
    setText("range-error", "");
    try {
      const answer = await api(`/sites/${siteId}/reports?${query()}`, { headers: auth() });
      try { window.sessionStorage.setItem(STORE, token); } catch { /* kept in memory only */ }
      const report = answer.data;
      $("signin-card").hidden = true;
      $("report").hidden = false;
      window.history.replaceState(null, "", `${window.location.pathname}?${query()}${asked.get("lang") ? `&lang=${asked.get("lang")}` : ""}`);
      setText("range-printed", `${day(report.from)} – ${day(report.to)}`);
      setText("as-of", say("asOf", { time: new Date(report.as_of).toLocaleString(language(), { timeZone: body.dataset.timezone }) }));
      headline(report);
      tables(report);
      await Promise.all([...document.querySelectorAll("[data-chart]")].map(chart));
    } catch (error) {
      if (error && (error.status === 401 || error.status === 403)) {
        token = null;
        $("report").hidden = true;
        $("signin-card").hidden = false;
        setText("signin-error", describeError(error));
      } else {
        setText("range-error", describeError(error));
      }
    }
    body.dataset.loaded = "true";
  }

  async function download(table) {
    setText("download-error", "");
    try {
      const response = await fetch(`/api/v1/sites/${siteId}/reports.csv?${query()}&table=${table}`, { headers: { ...auth(), "Accept-Language": language() }, cache: "no-store" });
      if (!response.ok) throw new Error(String(response.status));
      const named = /filename="([^"]+)"/.exec(response.headers.get("Content-Disposition") || "");
      const url = URL.createObjectURL(new Blob([await response.blob()], { type: "text/csv" }));
      const link = el("a", { href: url, download: named ? named[1] : `${table}.csv` });
      document.body.append(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
    } catch {
      setText("download-error", say("downloadFailed"));
    }
  }

  $("range").addEventListener("submit", (event) => {
    event.preventDefault();
    if ($("to").value < $("from").value) { setText("range-error", say("rangeBackwards")); return; }
    if ((new Date($("to").value) - new Date($("from").value)) / 86_400_000 + 1 > 366) { setText("range-error", say("rangeTooLong")); return; }
    body.dataset.loaded = "false";
    load();
  });
  document.querySelectorAll("[data-csv]").forEach((button) => button.addEventListener("click", () => download(button.dataset.csv)));
  $("signin").addEventListener("submit", (event) => {
    event.preventDefault();
    token = $("token").value.trim();
    $("token").value = "";
    if (token) load();
  });
  if (token) load();
  else { $("signin-card").hidden = false; body.dataset.loaded = "true"; }
})();

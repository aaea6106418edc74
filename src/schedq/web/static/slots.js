// Choosing a free slot, shared by the booking and manage pages: asks the API for a service's
// free slots over a range of days, lists the days that have any, then shows that day's times.
// Slot times come in the site's local time with their offset ("2026-03-03T09:00:00-06:00"),
// so the day and the clock are read straight from the text, whatever the browser's zone.
"use strict";

const schedqSlots = (() => {
  const { api, el, say, language } = schedq;

  /** "Monday 7 December" in the page's language, for a local date "2026-12-07". */
  function dayLabel(day) {
    const options = { weekday: "long", day: "numeric", month: "long", timeZone: "UTC" };
    try {
      return new Intl.DateTimeFormat(language(), options).format(new Date(`${day}T12:00:00Z`));
    } catch {
      return day;
    }
  }

  const localDay = (slot) => slot.starts_at.slice(0, 10);
  const localTime = (slot) => slot.starts_at.slice(11, 16);

  function choice(name, value, label, onPick) {
    const id = `${name}-${value.replace(/[^A-Za-z0-9]/g, "")}`;
    const input = el("input", { type: "radio", name, id, value });
    input.addEventListener("change", () => { if (input.checked) onPick(value); });
    return el("div", { class: "choice" }, input, el("label", { for: id }, label));
  }

  /**
   * A picker over `days`/`times` containers (inside fieldsets `dayStep`/`timeStep`), saying how
   * loading went in `status`. `onChange(slot or null)` follows the choice.
   */
  function picker({ days, times, dayStep, timeStep, status, onChange = () => {} }) {
    let slots = [];
    let chosen = null;

    function pickDay(day) {
      chosen = null;
      if (!day) {
        times.replaceChildren();
        timeStep.disabled = true;
        onChange(null);
        return;
      }
      onChange(null);
      const ofDay = slots.filter((s) => localDay(s) === day);
      times.replaceChildren(...ofDay.map((s) => choice("time", s.starts_at, localTime(s), pickTime)));
      timeStep.disabled = ofDay.length === 0;
    }

    function pickTime(startsAt) {
      chosen = slots.find((s) => s.starts_at === startsAt) || null;
      onChange(chosen);
    }

    /** Load the free slots of `service` at `siteId` from `first` to `last` (local dates); `skip` is left out. */
    async function load(siteId, service, first, last, { skip = null } = {}) {
      slots = [];
      chosen = null;
      onChange(null);
      days.replaceChildren();
      times.replaceChildren();
      timeStep.disabled = true;
      dayStep.disabled = false;
      status.textContent = say("loadingSlots");
      let answer;
      try {
        const query = new URLSearchParams({ service, from: first, to: last });
        answer = await api(`/sites/${siteId}/slots?${query}`);
      } catch (error) {
        status.textContent = say("slotsFailed");
        return;
      }
      slots = answer.data.slots.filter((s) => s.starts_at !== skip);
      const dayList = [...new Set(slots.map(localDay))];
      status.textContent = dayList.length ? "" : say("noSlots");
      if (!dayList.length) return;
      // A month of days reads best as one list to pick from, phone or desktop.
      const select = el(
        "select",
        { id: `${days.id}-select`, "aria-labelledby": dayStep.querySelector("legend").id },
        el("option", { value: "" }, say("chooseDay")),
        dayList.map((day) => el("option", { value: day }, dayLabel(day))),
      );
      select.addEventListener("change", () => pickDay(select.value));
      days.replaceChildren(select);
    }

    /** Choose the loaded slot starting at `instant` (any offset); null when it is not free any more. */
    function choose(instant) {
      const at = Date.parse(instant);
      const slot = Number.isNaN(at) ? null : slots.find((s) => Date.parse(s.starts_at) === at);
      const select = days.querySelector("select");
      if (!slot || !select) return null;
      select.value = localDay(slot);
      pickDay(select.value);
      const input = [...times.querySelectorAll("input[name=time]")].find((i) => i.value === slot.starts_at);
      input.checked = true;
      pickTime(slot.starts_at);
      return slot;
    }

    return { load, choose, selected: () => chosen, dayLabel, localDay, localTime };
  }

  return { picker, dayLabel, localDay, localTime };
})();

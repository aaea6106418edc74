// The log sink's page: the messages schedq worker kept for this site (no channel configured),
// read with the staff token the staff console keeps in this tab; words from the page's "words" island.
"use strict";

(() => {
  const { api, el, setText, say, language, describeError } = schedq;
  const siteId = document.body.dataset.siteId;
  const STORE = `schedq.staff.token.${siteId}`;
  const $ = (id) => document.getElementById(id);
  let token = null;
  try { token = window.sessionStorage.getItem(STORE); } catch { token = null; }

  function render(messages) {
    $("signin-card").hidden = true;
    $("messages-card").hidden = false;
    $("none").hidden = messages.length > 0;
    $("messages").replaceChildren(...messages.map((m) => el("li", { class: "card" },
      el("p", { class: "muted small" }, say("kept", { event: m.event, channel: m.channel, recipient: m.recipient, at: new Date(m.at).toLocaleString(language()) })),
      m.subject ? el("p", {}, el("strong", {}, m.subject)) : null,
      el("pre", { class: "message-text" }, m.text),
      m.attachments.length ? el("p", { class: "muted small" }, say("attached", { names: m.attachments.join(", ") })) : null)));
    document.body.dataset.loaded = "true";
  }

  async function load() {
    try {
      const answer = await api(`/sites/${siteId}/messages`, { headers: { Authorization: `Bearer ${token}` } });
      try { window.sessionStorage.setItem(STORE, token); } catch { /* kept in memory only */ }
      render(answer.data);
    } catch (error) {
      token = null;
      $("signin-card").hidden = false;
      setText("signin-error", describeError(error));
      document.body.dataset.loaded = "true";
    }
  }

  $("signin").addEventListener("submit", (event) => {
    event.preventDefault();
    token = $("token").value.trim();
    $("token").value = "";
    if (token) load();
  });
  if (token) load();
  else { $("signin-card").hidden = false; document.body.dataset.loaded = "true"; }
})();

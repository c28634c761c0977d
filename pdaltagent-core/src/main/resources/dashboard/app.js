// pdaltagent dashboard: plain JS, no build step. Polls the JSON API of the page on view every
// POLL_MS and re-renders only when the answer changed. Changes carry the page's CSRF token.
"use strict";
(function () {
  const POLL_MS = 3000;
  const API = "/dashboard/api/";
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const role = document.querySelector('meta[name="role"]').content;
  const mayChange = role === "admin";
  const last = {};
  let keysData = null;
  let timer = null;
  const selected = new Set();

  const $ = (id) => document.getElementById(id);
  const esc = (v) => String(v == null ? "" : v).replace(/[&<>"']/g, (c) =>
    ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));
  const fmt = (n) => (n == null ? "–" : Number(n).toLocaleString("en-US"));
  function age(s) {
    if (s == null) return "–";
    if (s < 60) return s + " s";
    if (s < 3600) return Math.floor(s / 60) + " min " + (s % 60) + " s";
    if (s < 86400) return Math.floor(s / 3600) + " h " + Math.floor((s % 3600) / 60) + " min";
    return Math.floor(s / 86400) + " d " + Math.floor((s % 86400) / 3600) + " h";
  }
  function status(text, bad) {
    const el = $("status");
    el.textContent = text || "";
    el.className = "status" + (bad ? " bad" : "");
  }

  async function get(name) {
    const r = await fetch(API + name, { credentials: "same-origin", headers: { Accept: "application/json" } });
    if (r.status === 401) { location.reload(); throw new Error("session ended"); }
    const body = await r.json();
    if (!r.ok) throw new Error(body.error || ("HTTP " + r.status));
    return body;
  }
  async function change(name, payload) {
    const r = await fetch(API + name, {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
      body: JSON.stringify(payload),
    });
    const body = await r.json();
    if (!r.ok) throw new Error(body.error || ("HTTP " + r.status));
    return body;
  }
  async function act(name, payload, what) {
    try {
      const b = await change(name, payload);
      status(what + ": " + fmt(b.retried != null ? b.retried : b.purged) + " event(s)");
      selected.clear();
      Object.keys(last).forEach((k) => delete last[k]);
      refresh();
    } catch (e) {
      status(what + " refused: " + e.message, true);
    }
  }

  function tile(label, value, id) {
    return '<div class="tile"><dt>' + esc(label) + '</dt><dd' + (id ? ' id="' + id + '"' : "") + ">" + value + "</dd></div>";
  }

  function chart(name, values, startSec) {
    const w = 360, h = 80, n = values.length;
    const max = Math.max(1, ...values);
    const bw = w / n;
    let bars = "";
    for (let i = 0; i < n; i++) {
      if (!values[i]) continue;
      const bh = Math.max(1, (values[i] / max) * (h - 4));
      bars += '<rect x="' + (i * bw).toFixed(2) + '" y="' + (h - bh).toFixed(2) + '" width="' + Math.max(1, bw - 0.3).toFixed(2) +
        '" height="' + bh.toFixed(2) + '"></rect>';
    }
    const total = values.reduce((a, b) => a + b, 0);
    const lastMin = values[n - 1] || 0;
    const from = new Date(startSec * 1000).toISOString().slice(11, 16);
    return '<figure class="chart c-' + name + '"><figcaption>' + esc(name) + ": " + fmt(total) + " (this minute " + fmt(lastMin) +
      ', peak ' + fmt(max === 1 && total === 0 ? 0 : max) + '/min)</figcaption><svg viewBox="0 0 ' + w + " " + h +
      '" preserveAspectRatio="none" role="img" aria-label="' + esc(name) + " per minute since " + from + " UTC, total " + total +
      '">' + bars + '</svg><div class="axis"><span>' + from + ' UTC</span><span>now</span></div></figure>';
  }

  function renderOverview(o) {
    const q = o.queue, pd = o.pagerduty;
    const reach = pd.reachable == null ? "unknown (nothing delivered yet)" : pd.reachable ? "reachable" : "unreachable";
    const lastD = pd.last_delivery ? pd.last_delivery.outcome + (pd.last_delivery.status ? " (HTTP " + pd.last_delivery.status + ")" : "") +
      " at " + pd.last_delivery.at : "none yet";
    $("tiles").innerHTML =
      tile("Queue depth", fmt(q.depth), "t-depth") + tile("In flight", fmt(q.in_flight), "t-inflight") +
      tile("Waiting for retry", fmt(q.retry_scheduled), "t-retry") + tile("Dead", fmt(q.dead), "t-dead") +
      tile("Delivered (kept)", fmt(q.delivered), "t-delivered") +
      tile("Oldest pending", esc(age(q.oldest_pending_age_seconds)), "t-oldest") +
      tile("PagerDuty", '<span class="pd-' + (pd.reachable == null ? "unknown" : pd.reachable ? "ok" : "bad") + '">' + esc(reach) + "</span>", "t-pd") +
      tile("Last delivery", esc(lastD), "t-last") + tile("Version", esc(o.version), "t-version") +
      tile("Uptime", esc(age(o.uptime_seconds)), "t-uptime");
    const h = o.history;
    $("charts").innerHTML = ["accepted", "delivered", "retried", "dead"].map((s) => chart(s, h[s], h.start_minute_epoch_seconds)).join("");
  }

  function renderKeys() {
    if (!keysData) return;
    const f = $("key-filter").value.trim().toLowerCase();
    const by = $("key-sort").value;
    const onlyDead = $("key-only-dead").checked;
    let rows = keysData.keys;
    if (f) rows = rows.filter((k) => k.key.toLowerCase().includes(f));
    if (onlyDead) rows = rows.filter((k) => k.dead > 0);
    rows = rows.slice().sort(by === "key" ? (a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0) : (a, b) => b[by] - a[by]);
    const t = keysData.totals;
    $("key-summary").textContent = fmt(rows.length) + " of " + fmt(t.keys) + " keys shown · pending " + fmt(t.pending) +
      " · dead " + fmt(t.dead) + " · throttled keys " + fmt(t.throttled_keys);
    const parts = new Array(rows.length);
    for (let i = 0; i < rows.length; i++) {
      const k = rows[i];
      parts[i] = "<tr><td><code>" + esc(k.key) + '</code></td><td class="n">' + fmt(k.pending) + '</td><td class="n">' + fmt(k.succeeded) +
        '</td><td class="n' + (k.dead ? " bad" : "") + '">' + fmt(k.dead) + "</td><td>" + (k.throttled ? "yes" : "no") + "</td><td>" +
        (k.dead && mayChange ? '<button type="button" class="change" data-retry="' + esc(k.ref) + '">Retry ' + fmt(k.dead) + " dead</button>" : "") +
        "</td></tr>";
    }
    document.querySelector("#keys-table tbody").innerHTML = parts.join("");
  }

  function renderDead(d) {
    $("dead-summary").textContent = d.events.length === 0 ? "No dead events." :
      fmt(d.events.length) + " dead event(s), oldest first" + (d.more ? " (more not shown)" : "") +
      ". Retry and purge act on every dead event of the event's key.";
    $("dead-list").innerHTML = d.events.map((e) =>
      '<li class="dead-event" data-seq="' + e.seq + '"><div class="dead-head">' +
      (mayChange ? '<input type="checkbox" id="sel-' + e.seq + '" data-ref="' + esc(e.ref) + '" data-seq="' + e.seq + '"' +
        (selected.has(String(e.seq)) ? " checked" : "") + '><label for="sel-' + e.seq + '">Event ' + e.seq + "</label>" : "<strong>Event " + e.seq + "</strong>") +
      " · key <code>" + esc(e.key) + "</code> · " + esc(e.attempts) + " attempt(s) · accepted " + esc(e.accepted_at) +
      (mayChange ? ' <button type="button" class="change" data-retry="' + esc(e.ref) + '">Retry key</button>' +
        ' <button type="button" class="change danger" data-purge="' + esc(e.ref) + '">Purge key</button>' : "") +
      '</div><p class="answer"><span class="label">PagerDuty answered</span> ' +
      (e.last_status ? "<strong>HTTP " + e.last_status + "</strong> " : "") + "<code>" + esc(e.last_error || "no answer") + "</code></p>" +
      "<details><summary>Body</summary><pre>" + esc(e.body) + "</pre></details></li>").join("");
  }

  function renderSuppressed(d) {
    $("suppressed-summary").textContent = !d.kept ?
      "This queue backend counts suppressed events (see /metrics) but does not keep them." :
      d.events.length === 0 ? "No suppressed events." :
      fmt(d.events.length) + " suppressed event(s), oldest first" + (d.more ? " (more not shown)" : "") +
      ": kept, never delivered, pruned with delivered records.";
    document.querySelector("#suppressed-table tbody").innerHTML = d.counts.map((c) =>
      "<tr><td><code>" + esc(c.key) + "</code></td><td>" + esc(c.by) + '</td><td class="n">' + fmt(c.count) + "</td></tr>").join("");
    $("suppressed-list").innerHTML = d.events.map((e) =>
      '<li class="dead-event"><div class="dead-head"><strong>Event ' + e.seq + "</strong> · key <code>" + esc(e.key) +
      "</code> · accepted " + esc(e.accepted_at) + '</div><p class="answer"><span class="label">Suppressed by</span> <code>' +
      esc(e.by) + "</code></p><details><summary>Body</summary><pre>" + esc(e.body) + "</pre></details></li>").join("");
  }

  function renderPoller(o) {
    const p = o.webhook_poller;
    if (!p) {
      $("poller-tiles").innerHTML = tile("State", "off (the webhook relay is not configured)", "p-state");
      return;
    }
    $("poller-tiles").innerHTML = tile("State", esc(p.state), "p-state") + tile("Last poll", esc(p.last_poll_at || "not yet"), "p-last") +
      tile("Last outcome", esc(p.last_outcome || "–"), "p-outcome") + tile("Lag", esc(age(p.lag_seconds)), "p-lag") +
      tile("Forwarded", fmt(p.entries_forwarded), "p-forwarded") + tile("Failed polls", fmt(p.failed_polls), "p-failures") +
      tile("Rate limited", fmt(p.rate_limited), "p-ratelimited") + tile("Activity store", esc(p.activity_store), "p-store") +
      (p.last_error ? tile("Last error", esc(p.last_error), "p-error") : "");
  }

  function renderConfig(c) {
    const rows = c.rows || [];
    document.querySelector("#config-table tbody").innerHTML = rows.length === 0 ?
      '<tr><td colspan="3">Not available in this process.</td></tr>' :
      rows.map((r) => "<tr><th scope=\"row\"><code>" + esc(r.name) + "</code></th><td><code>" + esc(r.value) + "</code></td><td>" +
        esc(r.source) + "</td></tr>").join("");
  }

  const pages = {
    overview: ["overview", renderOverview],
    keys: ["keys", (d) => { keysData = d; renderKeys(); }],
    dead: ["dead", renderDead],
    suppressed: ["suppressed", renderSuppressed],
    poller: ["overview?minutes=1", renderPoller],
    config: ["config", renderConfig],
  };

  function current() {
    const p = location.hash.replace("#", "");
    return pages[p] ? p : "overview";
  }

  async function refresh() {
    clearTimeout(timer);
    const page = current();
    const [api, render] = pages[page];
    try {
      const d = await get(api);
      const text = JSON.stringify(d);
      if (last[page] !== text) {
        last[page] = text;
        render(d);
      }
      document.body.dataset.loaded = page;
      if ($("status").className === "status bad" && $("status").textContent.startsWith("Cannot")) status("");
    } catch (e) {
      status("Cannot reach the agent: " + e.message, true);
    }
    timer = setTimeout(refresh, POLL_MS);
  }

  function show() {
    const page = current();
    document.querySelectorAll("[data-section]").forEach((s) => { s.hidden = s.dataset.section !== page; });
    document.querySelectorAll("nav a").forEach((a) => {
      if (a.dataset.page === page) a.setAttribute("aria-current", "page"); else a.removeAttribute("aria-current");
    });
    delete document.body.dataset.loaded;
    delete last[page];
    refresh();
  }

  document.addEventListener("click", (ev) => {
    const b = ev.target.closest("button");
    if (!b) return;
    if (b.dataset.retry) act("retry", { ref: b.dataset.retry }, "Retry");
    else if (b.dataset.purge) {
      if (confirm("Purge every dead event of this key? They cannot be recovered.")) act("purge", { ref: b.dataset.purge }, "Purge");
    }
  });
  document.addEventListener("change", (ev) => {
    const c = ev.target;
    if (c.matches && c.matches('#dead-list input[type="checkbox"]')) {
      if (c.checked) selected.add(c.dataset.seq); else selected.delete(c.dataset.seq);
    }
  });
  function selectedRefs() {
    return [...new Set([...document.querySelectorAll('#dead-list input[type="checkbox"]:checked')].map((c) => c.dataset.ref))];
  }
  async function each(name, what) {
    const refs = selectedRefs();
    if (refs.length === 0) { status("Select at least one dead event first.", true); return; }
    for (const ref of refs) await act(name, { ref }, what);
  }
  $("retry-selected").addEventListener("click", () => each("retry", "Retry"));
  $("purge-selected").addEventListener("click", () => {
    if (confirm("Purge every dead event of the selected events' keys?")) each("purge", "Purge");
  });
  $("retry-all").addEventListener("click", () => act("retry", { all: true }, "Retry all"));
  $("logout").addEventListener("click", async () => {
    await fetch("/dashboard/logout", { method: "POST", credentials: "same-origin", headers: { "X-CSRF-Token": csrf } });
    location.reload();
  });
  ["key-filter", "key-sort", "key-only-dead"].forEach((id) => $(id).addEventListener("input", renderKeys));
  $("role-badge").textContent = mayChange ? "admin" : "read-only";
  if (!mayChange) document.querySelectorAll(".change").forEach((b) => { b.hidden = true; });
  window.addEventListener("hashchange", show);
  document.addEventListener("visibilitychange", () => { if (!document.hidden) refresh(); });
  show();
})();

// pdaltagent dashboard: plain JS, no build step. Polls the JSON API of the page on view every
// POLL_MS and re-renders only when the answer's text changed. Changes carry the page's CSRF token.
// The keys table asks the agent for the rows in view only (see fetchKeys), so 20,000 keys cost what 60 do.
"use strict";
(function () {
  const POLL_MS = 3000;
  const API = "/dashboard/api/";
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const role = document.querySelector('meta[name="role"]').content;
  const mayChange = role === "admin";
  const last = {};
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

  // the answer's text: the caller compares it with the last one and parses only what changed
  async function getText(name) {
    const r = await fetch(API + name, { credentials: "same-origin", headers: { Accept: "application/json" } });
    if (r.status === 401) { location.reload(); throw new Error("session ended"); }
    const text = await r.text();
    if (!r.ok) {
      let msg = "HTTP " + r.status;
      try { msg = JSON.parse(text).error || msg; } catch (e) { /* not JSON */ }
      throw new Error(msg);
    }
    return text;
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
      updateSelection();
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

  // Keys: the agent sorts and filters every key and sends only the window the scroll box shows
  // (about three screens around it); the page draws the rows in view plus OVERSCAN, and spacer
  // rows stand for the rest, so the scroll bar and aria-rowcount still describe every matching key.
  // A scroll past the loaded window, a keystroke in the filter or a sort change asks for a new one;
  // of overlapping requests only the last one's answer is drawn.
  const OVERSCAN = 10;
  const FILTER_DEBOUNCE_MS = 80;
  const SORTS = ["pending", "inflight", "dead", "succeeded", "oldest", "key"];
  let W = null;           // {offset, rows: [[ref, key, pending, succeeded, dead, throttled, in flight, oldest age ms]...], matching, totals}
  let rowH = 0, drawn = "", keysRenders = 0, filterTimer = null, keysSeq = 0, keysBusy = false, keysAgain = false;

  const sortBy = () => (SORTS.includes($("key-sort").value) ? $("key-sort").value : "pending");
  const headH = () => document.querySelector("#keys-table thead").offsetHeight;
  // the box grows with its rows up to its max-height (70vh): count on that height, not the empty box's
  const boxH = (box) => Math.max(box.clientHeight, Math.round(window.innerHeight * 0.7));

  // the rows in view, with OVERSCAN either side: [first, last) of the matching keys
  function inView() {
    const box = $("keys-scroll"), h = rowH || 33;
    const top = Math.max(0, box.scrollTop - headH());
    const first = Math.max(0, Math.floor(top / h) - OVERSCAN);
    return [first, Math.min(W ? W.matching : 0, Math.ceil((top + boxH(box)) / h) + OVERSCAN)];
  }

  function keysApi() {
    const box = $("keys-scroll"), h = rowH || 33;
    const screen = Math.ceil(boxH(box) / h);
    const top = Math.max(0, box.scrollTop - headH());
    const p = new URLSearchParams({ sort: sortBy(), offset: String(Math.max(0, Math.floor(top / h) - screen)),
      limit: String(3 * screen + 2 * OVERSCAN) });
    const f = $("key-filter").value.trim();
    if (f) p.set("filter", f);
    if ($("key-only-dead").checked) p.set("dead", "1");
    return "keys?" + p.toString();
  }

  // asks for the window in view; draws the answer when it is the latest asked for and (unless
  // forced, as after a change of the filter or sort) differs from what is drawn
  async function fetchKeys(force) {
    const mine = ++keysSeq;
    const text = await getText(keysApi());
    if (mine !== keysSeq) return;
    if (force || last.keys !== text) {
      last.keys = text;
      loadKeys(JSON.parse(text));
    }
  }

  // after a scroll: a new window when the rows in view are not all loaded, one request at a time
  function ensureWindow() {
    if (!W) return;
    const [first, end] = inView();
    if (first >= W.offset && end <= W.offset + W.rows.length) return;
    if (keysBusy) { keysAgain = true; return; }
    keysBusy = true;
    fetchKeys(false).catch((e) => status("Cannot reach the agent: " + e.message, true)).finally(() => {
      keysBusy = false;
      if (keysAgain) { keysAgain = false; ensureWindow(); }
    });
  }

  // the filter or the sort changed: back to the top, and a new window from the agent
  function keysChanged() {
    $("keys-scroll").scrollTop = 0;
    fetchKeys(true).catch((e) => status("Cannot reach the agent: " + e.message, true));
  }

  function loadKeys(d) {
    W = { offset: d.offset, rows: d.rows, matching: d.matching, totals: d.totals };
    const by = sortBy();
    document.querySelectorAll("#keys-table thead th[data-sort]").forEach((th) => {
      th.setAttribute("aria-sort", th.dataset.sort === by ? (by === "key" ? "ascending" : "descending") : "none");
    });
    $("keys-table").setAttribute("aria-rowcount", String(W.matching + 1));
    const t = W.totals;
    $("key-summary").textContent = fmt(W.matching) + " of " + fmt(t.keys) + " keys shown · pending " + fmt(t.pending) +
      " · dead " + fmt(t.dead) + " · throttled keys " + fmt(t.throttled_keys);
    drawn = "";
    drawRows();
    document.body.dataset.keysRenders = String(++keysRenders);
    ensureWindow(); // the first answer was asked for before the rows' height was known
  }

  function keyRow(pos) {
    const r = W.rows[pos - W.offset], dead = r[4];
    return '<tr aria-rowindex="' + (pos + 2) + '"><td><code>' + esc(r[1]) + '</code></td><td class="n">' + fmt(r[2]) +
      '</td><td class="n">' + fmt(r[6]) + '</td><td class="n">' + fmt(r[3]) + '</td><td class="n' + (dead ? " bad" : "") + '">' +
      fmt(dead) + "</td><td>" + (r[5] ? "yes" : "no") + '</td><td class="n">' +
      esc(age(r[7] == null ? null : Math.floor(r[7] / 1000))) + "</td><td>" +
      (dead && mayChange ? '<button type="button" class="change" data-retry="' + esc(r[0]) + '">Retry ' + fmt(dead) + " dead</button>" : "") +
      "</td></tr>";
  }

  // the loaded rows in the scroll box's window; a no-op when that window is already drawn
  function drawRows() {
    const box = $("keys-scroll"), body = document.querySelector("#keys-table tbody");
    if (!W || box.offsetParent === null) return;
    const h = rowH || 33;
    const [want, wantEnd] = inView();
    const first = Math.max(want, W.offset), end = Math.max(first, Math.min(wantEnd, W.offset + W.rows.length));
    const sig = first + ":" + end + ":" + W.matching + ":" + W.offset;
    if (sig === drawn) return;
    drawn = sig;
    const focused = document.activeElement && body.contains(document.activeElement) ? document.activeElement.dataset.retry : null;
    const parts = ['<tr class="pad" aria-hidden="true"><td colspan="8"></td></tr>'];
    for (let p = first; p < end; p++) parts.push(keyRow(p));
    parts.push('<tr class="pad" aria-hidden="true"><td colspan="8"></td></tr>');
    body.innerHTML = parts.join("");
    if (!rowH && end > first) {
      rowH = body.children[1].getBoundingClientRect().height || 33;
      if (rowH !== h) { drawn = ""; drawRows(); return; }
    }
    body.firstElementChild.firstElementChild.style.height = first * h + "px";
    body.lastElementChild.firstElementChild.style.height = (W.matching - end) * h + "px";
    if (focused) {
      const b = body.querySelector('button[data-retry="' + focused + '"]');
      if (b) b.focus({ preventScroll: true });
    }
  }

  let deadSeqs = [];
  function renderDead(d) {
    deadSeqs = d.events.map((e) => String(e.seq));
    for (const s of [...selected]) if (!deadSeqs.includes(s)) selected.delete(s);
    $("dead-summary").textContent = d.events.length === 0 ? "No dead events." :
      fmt(d.events.length) + " dead event(s), oldest first" + (d.more ? " (more not shown)" : "") + ".";
    $("dead-list").innerHTML = d.events.map((e) =>
      '<li class="dead-event" data-seq="' + e.seq + '"><div class="dead-head">' +
      (mayChange ? '<input type="checkbox" id="sel-' + e.seq + '" data-seq="' + e.seq + '"' +
        (selected.has(String(e.seq)) ? " checked" : "") + '><label for="sel-' + e.seq + '">Event ' + e.seq + "</label>" : "<strong>Event " + e.seq + "</strong>") +
      " · key <code>" + esc(e.key) + "</code> · " + esc(e.attempts) + " attempt(s) · accepted " + esc(e.accepted_at) +
      (mayChange ? ' <span class="actions"><button type="button" class="change" data-retry-seq="' + e.seq + '" aria-label="Retry event ' + e.seq + '">Retry</button>' +
        ' <button type="button" class="change danger" data-purge-seq="' + e.seq + '" aria-label="Purge event ' + e.seq + '">Purge</button>' +
        ' <button type="button" class="change secondary" data-retry="' + esc(e.ref) + '">Retry key</button>' +
        ' <button type="button" class="change danger" data-purge="' + esc(e.ref) + '">Purge key</button></span>' : "") +
      '</div><p class="answer"><span class="label">PagerDuty answered</span> ' +
      (e.last_status ? "<strong>HTTP " + e.last_status + "</strong> " : "") + "<code>" + esc(e.last_error || "no answer") + "</code></p>" +
      "<details><summary>Body</summary><pre>" + esc(e.body) + "</pre></details></li>").join("");
    updateSelection();
  }

  // the select-all box (checked, unchecked or mixed) and the selection buttons' counts
  function updateSelection() {
    const all = $("dead-select-all"), n = selected.size;
    all.checked = n > 0 && n === deadSeqs.length;
    all.indeterminate = n > 0 && n < deadSeqs.length;
    all.disabled = deadSeqs.length === 0;
    $("retry-selected").textContent = "Retry selected (" + n + ")";
    $("purge-selected").textContent = "Purge selected (" + n + ")";
    $("retry-selected").disabled = $("purge-selected").disabled = n === 0;
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
    keys: [null, null],     // fetchKeys: the window depends on the scroll box
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
      if (page === "keys") await fetchKeys(false);
      else {
        const text = await getText(api);
        if (last[page] !== text) {
          last[page] = text;
          render(JSON.parse(text));
        }
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

  const seqs = (list) => list.map(Number);
  document.addEventListener("click", (ev) => {
    const b = ev.target.closest("button");
    if (!b) return;
    if (b.dataset.retrySeq) act("retry", { seqs: seqs([b.dataset.retrySeq]) }, "Retry");
    else if (b.dataset.purgeSeq) {
      if (confirm("Purge dead event " + b.dataset.purgeSeq + "? It cannot be recovered.")) act("purge", { seqs: seqs([b.dataset.purgeSeq]) }, "Purge");
    } else if (b.dataset.retry) act("retry", { ref: b.dataset.retry }, "Retry");
    else if (b.dataset.purge) {
      if (confirm("Purge every dead event of this key? They cannot be recovered.")) act("purge", { ref: b.dataset.purge }, "Purge");
    }
  });
  document.addEventListener("change", (ev) => {
    const c = ev.target;
    if (c.matches && c.matches('#dead-list input[type="checkbox"]')) {
      if (c.checked) selected.add(c.dataset.seq); else selected.delete(c.dataset.seq);
      updateSelection();
    }
  });
  $("dead-select-all").addEventListener("change", (ev) => {
    if (ev.target.checked) deadSeqs.forEach((s) => selected.add(s)); else selected.clear();
    document.querySelectorAll('#dead-list input[type="checkbox"]').forEach((c) => { c.checked = selected.has(c.dataset.seq); });
    updateSelection();
  });
  $("retry-selected").addEventListener("click", () => {
    if (selected.size > 0) act("retry", { seqs: seqs([...selected]) }, "Retry");
  });
  $("purge-selected").addEventListener("click", () => {
    if (selected.size > 0 && confirm("Purge the " + selected.size + " selected dead event(s)? They cannot be recovered.")) {
      act("purge", { seqs: seqs([...selected]) }, "Purge");
    }
  });
  $("retry-all").addEventListener("click", () => {
    if (confirm("Retry every dead event of every key?")) act("retry", { all: true }, "Retry all");
  });
  $("logout").addEventListener("click", async () => {
    await fetch("/dashboard/logout", { method: "POST", credentials: "same-origin", headers: { "X-CSRF-Token": csrf } });
    location.reload();
  });
  $("key-filter").addEventListener("input", () => { clearTimeout(filterTimer); filterTimer = setTimeout(keysChanged, FILTER_DEBOUNCE_MS); });
  ["key-sort", "key-only-dead"].forEach((id) => $(id).addEventListener("change", keysChanged));
  let drawQueued = false;
  $("keys-scroll").addEventListener("scroll", () => {
    if (drawQueued) return;
    drawQueued = true;
    requestAnimationFrame(() => { drawQueued = false; drawRows(); ensureWindow(); });
  }, { passive: true });
  window.addEventListener("resize", () => { rowH = 0; drawn = ""; drawRows(); ensureWindow(); });
  $("role-badge").textContent = mayChange ? "admin" : "read-only";
  if (!mayChange) document.querySelectorAll(".change").forEach((b) => { b.hidden = true; });
  window.addEventListener("hashchange", show);
  document.addEventListener("visibilitychange", () => { if (!document.hidden) refresh(); });
  show();
})();

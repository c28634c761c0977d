// Drives Debian's headless Chromium (/usr/bin/chromium) through playwright-core against a running
// agent's dashboard. One command per run; prints one JSON line on stdout; exits non-zero on failure.
//   node dashboard-browser.cjs overview   ADMIN_URL
//   node dashboard-browser.cjs dead       ADMIN_URL
//   node dashboard-browser.cjs retry      ADMIN_URL SEQ
//   node dashboard-browser.cjs refused    ADMIN_URL ADMIN_TOKEN READ_TOKEN
//   node dashboard-browser.cjs password   ADMIN_URL PASSWORD SEQ_A SEQ_B SEQ_C
//   node dashboard-browser.cjs screenshots ADMIN_URL OUT_DIR
//   node dashboard-browser.cjs keysbench  ADMIN_URL RUNS
// NODE_PATH must name the node_modules holding playwright-core; CHROMIUM may override the browser.
"use strict";
const { chromium } = require("playwright-core");

const WAIT_MS = 30000;
const [cmd, base, ...args] = process.argv.slice(2);

async function open(browser, options) {
  const context = await browser.newContext(options || {});
  const page = await context.newPage();
  page.setDefaultTimeout(WAIT_MS);
  const errors = [];
  page.on("pageerror", (e) => errors.push(String(e)));
  page.on("console", (m) => { if (m.type() === "error") errors.push(m.text()); });
  return { context, page, errors };
}

async function loaded(page, name) {
  await page.waitForSelector('body[data-loaded="' + name + '"]', { state: "attached" });
}

async function texts(page, selector) {
  return page.$$eval(selector, (els) => els.map((e) => e.textContent.trim()));
}

const commands = {
  async overview(browser) {
    const { page, errors } = await open(browser);
    await page.goto(base + "/dashboard#overview");
    await loaded(page, "overview");
    const ids = ["t-depth", "t-inflight", "t-retry", "t-dead", "t-delivered", "t-oldest", "t-pd", "t-version", "t-uptime"];
    const out = {};
    for (const id of ids) out[id] = (await page.textContent("#" + id)).trim();
    out.charts = await texts(page, ".chart figcaption");
    out.errors = errors;
    return out;
  },

  async dead(browser) {
    const { page, errors } = await open(browser);
    await page.goto(base + "/dashboard#dead");
    await loaded(page, "dead");
    const events = await page.$$eval(".dead-event", (els) => els.map((e) => ({
      seq: Number(e.dataset.seq),
      answer: e.querySelector(".answer").textContent.trim(),
      body: e.querySelector("pre").textContent,
    })));
    return { events, errors };
  },

  async retry(browser) {
    const seq = args[0];
    const { page, errors } = await open(browser);
    await page.goto(base + "/dashboard#dead");
    await loaded(page, "dead");
    await page.click('.dead-event[data-seq="' + seq + '"] button[data-retry-seq]');
    await page.waitForFunction(() => document.getElementById("status").textContent.startsWith("Retry"));
    const status = (await page.textContent("#status")).trim();
    return { status, errors };
  },

  async refused(browser) {
    const [adminToken, readToken] = args;
    const out = {};
    // 1. no session: the page is the login form, and the API refuses a change
    let { page, context } = await open(browser);
    await page.goto(base + "/dashboard");
    out.loginForm = (await page.$("form[action='/dashboard/login'] input[name=token]")) !== null;
    out.noSession = await page.evaluate(async () => {
      const r = await fetch("/dashboard/api/retry", { method: "POST", headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ all: true }) });
      return { status: r.status, body: await r.json() };
    });
    // 2. a wrong token: refused at login
    await page.fill("#token", "not-the-token-at-all");
    await page.click("button[type=submit]");
    out.wrongToken = { text: (await page.textContent(".error")).trim(), url: page.url() };
    await context.close();
    // 3. the read-only token: the page shows, buttons hidden, a change refused even with the CSRF token
    ({ page, context } = await open(browser));
    await page.goto(base + "/dashboard");
    await page.fill("#token", readToken);
    await Promise.all([page.waitForURL(/\/dashboard$/), page.click("button[type=submit]")]);
    await page.goto(base + "/dashboard#dead");
    await loaded(page, "dead");
    out.readRole = (await page.textContent("#role-badge")).trim();
    out.readVisibleRetryButtons = await page.$$eval("button[data-retry]", (bs) => bs.filter((b) => b.offsetParent !== null).length);
    out.readChange = await page.evaluate(async () => {
      const csrf = document.querySelector('meta[name="csrf-token"]').content;
      const r = await fetch("/dashboard/api/retry", { method: "POST",
        headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf }, body: JSON.stringify({ all: true }) });
      return { status: r.status, body: await r.json() };
    });
    await context.close();
    // 4. the admin token without the page's CSRF token: refused; with it: done
    ({ page, context } = await open(browser));
    await page.goto(base + "/dashboard");
    await page.fill("#token", adminToken);
    await Promise.all([page.waitForURL(/\/dashboard$/), page.click("button[type=submit]")]);
    await loaded(page, "overview");
    out.adminRole = (await page.textContent("#role-badge")).trim();
    out.adminNoCsrf = await page.evaluate(async () => {
      const r = await fetch("/dashboard/api/retry", { method: "POST", headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ all: true }) });
      return { status: r.status, body: await r.json() };
    });
    out.adminWithCsrf = await page.evaluate(async () => {
      const csrf = document.querySelector('meta[name="csrf-token"]').content;
      const r = await fetch("/dashboard/api/retry", { method: "POST",
        headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf }, body: JSON.stringify({ all: true }) });
      return { status: r.status, body: await r.json() };
    });
    out.cookie = (await context.cookies()).map((c) => ({ name: c.name, httpOnly: c.httpOnly, sameSite: c.sameSite }));
    await context.close();
    return out;
  },

  // logs in with the dashboard password (a wrong one first), then purges a selection of two dead
  // events (A, B) and retries a third (C) with its own button
  async password(browser) {
    const [password, a, b, c] = args;
    const out = {};
    const { page, context, errors } = await open(browser);
    page.on("dialog", (d) => { out.dialog = d.message(); d.accept(); });
    await page.goto(base + "/dashboard");
    out.label = (await page.textContent("label[for=token]")).trim();
    await page.fill("#token", "not the password at all");
    await page.click("button[type=submit]");
    out.wrong = (await page.textContent(".error")).trim();
    await page.fill("#token", password);
    await Promise.all([page.waitForURL(/\/dashboard$/), page.click("button[type=submit]")]);
    out.loginErrors = errors.splice(0);   // the wrong password's 401 page, as Chromium logs it
    await page.goto(base + "/dashboard#dead");
    await loaded(page, "dead");
    out.role = (await page.textContent("#role-badge")).trim();
    const checked = () => page.$$eval('#dead-list input[type="checkbox"]:checked', (cs) => cs.length);
    await page.check("#dead-select-all");
    out.allChecked = await checked();
    out.allLabel = (await page.textContent("#retry-selected")).trim();
    await page.uncheck("#dead-select-all");
    out.noneChecked = await checked();
    await page.check("#sel-" + a);
    await page.check("#sel-" + b);
    out.mixed = await page.$eval("#dead-select-all", (e) => e.indeterminate);
    out.purgeLabel = (await page.textContent("#purge-selected")).trim();
    await page.click("#purge-selected");
    await page.waitForFunction(() => document.getElementById("status").textContent.startsWith("Purge"));
    out.purgeStatus = (await page.textContent("#status")).trim();
    await page.waitForFunction(() => document.querySelectorAll(".dead-event").length === 1);
    out.remaining = await page.$$eval(".dead-event", (els) => els.map((e) => Number(e.dataset.seq)));
    await page.click('.dead-event[data-seq="' + c + '"] button[data-retry-seq]');
    await page.waitForFunction(() => document.getElementById("status").textContent.startsWith("Retry"));
    out.retryStatus = (await page.textContent("#status")).trim();
    out.cookie = (await context.cookies()).map((k) => ({ name: k.name, httpOnly: k.httpOnly, sameSite: k.sameSite, secure: k.secure }));
    out.errors = errors;
    await context.close();
    return out;
  },

  async screenshots(browser) {
    const dir = args[0];
    const shots = [];
    for (const [label, viewport] of [["desktop", { width: 1280, height: 800 }], ["phone", { width: 390, height: 780 }]]) {
      const { page } = await open(browser, { viewport, deviceScaleFactor: 1 });
      for (const name of ["overview", "keys", "dead", "suppressed", "poller", "config"]) {
        await page.goto(base + "/dashboard#" + name);
        await loaded(page, name);
        const file = dir + "/" + name + "-" + label + ".png";
        await page.screenshot({ path: file, fullPage: false });
        shots.push(file);
      }
    }
    return { shots };
  },

  // first render (navigation to rows painted), then a filter keystroke, a sort and a scroll, each
  // from the input to the rows painted; rows = <tr> in the DOM, shown = rows the table stands for
  async keysbench(browser) {
    const runs = Number(args[0] || 5);
    let page = null, errors = [];
    const painted = () => page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
    const renders = () => page.evaluate(() => Number(document.body.dataset.keysRenders || 0));
    const rerendered = (before) => page.waitForFunction((n) => Number(document.body.dataset.keysRenders || 0) > n, before);
    const times = [], api = [];
    // every load in a new browser context (no cache, no session): a cold page, never a same-document navigation
    for (let i = 0; i < runs; i++) {
      if (page) await page.context().close();
      ({ page, errors } = await open(browser));
      const t0 = Date.now();
      await page.goto(base + "/dashboard#keys");
      await page.waitForSelector("#keys-table tbody tr[aria-rowindex]", { state: "attached" });
      await painted();
      times.push(Date.now() - t0);
      // of that, the keys API call (request sent to answer read) and the page's own work after it
      api.push(await page.evaluate(() => {
        const e = performance.getEntriesByType("resource").filter((r) => r.name.includes("/api/keys"))[0];
        return e ? { callMs: Math.round(e.responseEnd - e.startTime), bytes: e.encodedBodySize,
          afterMs: Math.round(performance.now() - e.responseEnd) } : null;
      }));
    }
    const rows = await page.$$eval("#keys-table tbody tr", (t) => t.length);
    const shown = Number(await page.getAttribute("#keys-table", "aria-rowcount")) - 1;
    const filterMs = [], sortMs = [], scrollMs = [];
    for (let i = 0; i < runs; i++) {
      let before = await renders();
      let t0 = Date.now();
      await page.fill("#key-filter", String(i + 1));
      await rerendered(before);
      await painted();
      filterMs.push(Date.now() - t0);
      await page.fill("#key-filter", "");
      await rerendered(before + 1);
      before = await renders();
      t0 = Date.now();
      await page.selectOption("#key-sort", i % 2 === 0 ? "key" : "pending");
      await rerendered(before);
      await painted();
      sortMs.push(Date.now() - t0);
      t0 = Date.now();
      await page.$eval("#keys-scroll", (b, f) => { b.scrollTop = b.scrollHeight * f; }, (i + 1) / (runs + 1));
      await page.waitForFunction(() => {
        const box = document.getElementById("keys-scroll").getBoundingClientRect();
        return [...document.querySelectorAll("#keys-table tbody tr[aria-rowindex]")].some((r) => {
          const t = r.getBoundingClientRect().top;
          return t >= box.top + 40 && t < box.bottom;
        });
      });
      await painted();
      scrollMs.push(Date.now() - t0);
    }
    return { shown, rows, times, api, filterMs, sortMs, scrollMs, errors };
  },
};

(async () => {
  if (!commands[cmd] || !base) {
    console.error("usage: dashboard-browser.cjs overview|dead|retry|refused|password|screenshots|keysbench ADMIN_URL [...]");
    process.exit(2);
  }
  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    headless: true, args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"] });
  try {
    const result = await commands[cmd](browser);
    process.stdout.write(JSON.stringify(result) + "\n");
  } finally {
    await browser.close();
  }
})().catch((e) => { console.error(e && e.stack || String(e)); process.exit(1); });

// Drives Debian's headless Chromium (/usr/bin/chromium) through playwright-core against a running
// agent's dashboard. One command per run; prints one JSON line on stdout; exits non-zero on failure.
//   node dashboard-browser.cjs overview   ADMIN_URL
//   node dashboard-browser.cjs dead       ADMIN_URL
//   node dashboard-browser.cjs retry      ADMIN_URL SEQ
//   node dashboard-browser.cjs refused    ADMIN_URL ADMIN_TOKEN READ_TOKEN
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
    await page.click('.dead-event[data-seq="' + seq + '"] button[data-retry]');
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

  async screenshots(browser) {
    const dir = args[0];
    const shots = [];
    for (const [label, viewport] of [["desktop", { width: 1280, height: 800 }], ["phone", { width: 390, height: 780 }]]) {
      const { page } = await open(browser, { viewport, deviceScaleFactor: 1 });
      for (const name of ["overview", "keys", "dead", "poller", "config"]) {
        await page.goto(base + "/dashboard#" + name);
        await loaded(page, name);
        const file = dir + "/" + name + "-" + label + ".png";
        await page.screenshot({ path: file, fullPage: false });
        shots.push(file);
      }
    }
    return { shots };
  },

  async keysbench(browser) {
    const runs = Number(args[0] || 5);
    const { page, errors } = await open(browser);
    const times = [];
    let rows = 0;
    for (let i = 0; i < runs; i++) {
      const t0 = Date.now();
      await page.goto(base + "/dashboard#keys");
      await loaded(page, "keys");
      // the rows are in the DOM and laid out once the next frame is painted
      await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
      times.push(Date.now() - t0);
      rows = await page.$$eval("#keys-table tbody tr", (t) => t.length);
    }
    const t0 = Date.now();
    await page.fill("#key-filter", "1");
    await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
    const filterMs = Date.now() - t0;
    return { rows, times, filterMs, errors };
  },
};

(async () => {
  if (!commands[cmd] || !base) {
    console.error("usage: dashboard-browser.cjs overview|dead|retry|refused|screenshots|keysbench ADMIN_URL [...]");
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

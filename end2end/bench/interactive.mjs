// `make bench`: how soon the users page answers a search keystroke in headless Chromium,
// measured in the page from navigation start. Signs in once, then opens /admin/users
// RUNS times in the same browser (the first open, with an empty cache, is reported on its
// own), types one letter into the search box as soon as the page is hydrated, and waits for
// the table to show the new rows. Then RUNS more opens in which the page itself types the
// letter the moment it is hydrated (the same key, input and key-up events a keystroke
// sends), leaving out Playwright's own round trips between seeing the page hydrated and
// pressing the key: first each in a new tab, then each in one tab already showing the app,
// then each in a new tab of an ordinary browser profile kept on disk.
// In those opens the harness stays off the page's main thread until the rows are shown:
// the page reports over the console (no script of Playwright's is evaluated in it, no
// polling), and it compares the table's text without asking for layout.
// Prints one RESULT line of milliseconds.
import { chromium } from "@playwright/test";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

const url = process.env.FRONTDESK_URL;
const username = process.env.FRONTDESK_USERNAME;
const password = process.env.FRONTDESK_PASSWORD;
const runs = Number(process.env.RUNS ?? 30);
if (!url || !username || !password) throw new Error("set FRONTDESK_URL, FRONTDESK_USERNAME, FRONTDESK_PASSWORD");

const launch = {
  executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run"],
};
const browser = await chromium.launch(launch);

// What the page logs when it has shown the new rows.
const DONE = "frontdesk-bench: rows shown";
const rowsShown = (page) => page.waitForEvent("console", { predicate: (m) => m.text() === DONE, timeout: 10_000 });

// In every page, before its scripts: note when the bundle marks the page hydrated, when a
// key goes down, and when the table's text first differs from what the server sent. With
// `typeInPage`, the page types "j" into the search box as soon as it is hydrated, and logs
// DONE to the console once the new rows are shown.
async function signedInContext(typeInPage, profileDir) {
  const context = profileDir
    ? await chromium.launchPersistentContext(profileDir, { ...launch, baseURL: url })
    : await browser.newContext({ baseURL: url });
  const signIn = await context.request.post("/api/auth/login", { form: { username, password } });
  if (!signIn.ok()) throw new Error(`sign-in failed: ${signIn.status()}`);
  await context.addInitScript(([typeInPage, DONE]) => {
    const marks = { hydrated: null, key: null, updated: null, before: null };
    window.__marks = marks;
    window.addEventListener("keydown", () => { if (marks.key === null) marks.key = performance.now(); }, true);
    const type = () => {
      const box = document.querySelector('input[type="search"]');
      if (!box) return; // another page of the app
      marks.before = document.querySelector("table").textContent;
      box.dispatchEvent(new KeyboardEvent("keydown", { key: "j", bubbles: true }));
      box.value += "j";
      box.dispatchEvent(new InputEvent("input", { data: "j", inputType: "insertText", bubbles: true }));
      box.dispatchEvent(new KeyboardEvent("keyup", { key: "j", bubbles: true }));
    };
    new MutationObserver(() => {
      const now = performance.now();
      if (marks.hydrated === null && document.body?.hasAttribute("data-hydrated")) {
        marks.hydrated = now;
        if (typeInPage) type();
      }
      const table = document.querySelector("table");
      if (marks.key !== null && marks.updated === null && table && table.textContent !== marks.before) {
        marks.updated = now;
        if (typeInPage) console.log(DONE);
      }
    }).observe(document, { subtree: true, childList: true, attributes: true, characterData: true });
  }, [typeInPage, DONE]);
  return context;
}

const samples = { hydrated: [], key: [], answer: [], total: [] };
let cold = null;
const context = await signedInContext(false);
for (let i = 0; i <= runs; i++) {
  const page = await context.newPage();
  await page.goto("/admin/users", { waitUntil: "commit" });
  await page.waitForFunction(() => window.__marks.hydrated !== null, null, { polling: "raf" });
  await page.evaluate(() => { window.__marks.before = document.querySelector("table").textContent; });
  await page.getByRole("searchbox", { name: "Search users" }).press("j");
  await page.waitForFunction(() => window.__marks.updated !== null, null, { polling: "raf", timeout: 10_000 });
  const m = await page.evaluate(() => window.__marks);
  const sample = { hydrated: m.hydrated, key: m.key, answer: m.updated - m.key, total: m.updated };
  if (i === 0) cold = sample;
  else for (const k of Object.keys(samples)) samples[k].push(sample[k]);
  await page.close();
}
await context.close();

// One open's marks, kept under `prefix` in `out`.
function keep(out, prefix, m) {
  for (const [k, v] of [["hydrated", m.hydrated], ["answer", m.updated - m.key], ["total", m.updated]]) {
    (out[`${prefix}_${k}`] ??= []).push(v);
  }
}

// RUNS + 1 opens of the users page, each in a new tab of `context`, the page typing as soon
// as it is hydrated; the first open (which warms the context's cache) is left out.
async function newTabs(context, prefix) {
  const out = {};
  for (let i = 0; i <= runs; i++) {
    const page = await context.newPage();
    const shown = rowsShown(page);
    await page.goto("/admin/users", { waitUntil: "commit" });
    await shown;
    const m = await page.evaluate(() => window.__marks);
    if (i > 0) keep(out, prefix, m);
    await page.close();
  }
  return out;
}

const typing = await signedInContext(true);
const inPage = await newTabs(typing, "in_page");
// The same, in one tab already open on the app (as after signing in, or on a reload): each
// open goes to the Rooms page first, then loads the users page there, so the tab's renderer
// has started before the navigation being timed.
const inTab = {};
const tab = await typing.newPage();
for (let i = 0; i <= runs; i++) {
  await tab.goto("/admin/rooms");
  const shown = rowsShown(tab);
  await tab.goto("/admin/users", { waitUntil: "commit" });
  await shown;
  const m = await tab.evaluate(() => window.__marks);
  if (i > 0) keep(inTab, "in_tab", m);
}
await browser.close();

// New tabs again, in an ordinary browser profile kept on disk (as an admin's own browser):
// Playwright's contexts above are like private windows, whose caches live in memory only
// and which never reuse compiled wasm; an ordinary profile keeps Chromium's code cache.
const profileDir = await mkdtemp(join(tmpdir(), "frontdesk-bench-profile-"));
const own = await signedInContext(true, profileDir);
const inProfile = await newTabs(own, "in_profile");
await own.close();
await rm(profileDir, { recursive: true, force: true });

const pct = (xs, q) => { const s = [...xs].sort((a, b) => a - b); return s[Math.max(0, Math.ceil(s.length * q) - 1)]; };
const fmt = (x) => x.toFixed(0);
const line = Object.entries({ ...samples, ...inPage, ...inTab, ...inProfile })
  .map(([k, xs]) => `${k}_p50=${fmt(pct(xs, 0.5))} ${k}_p95=${fmt(pct(xs, 0.95))}`)
  .join(" ");
console.log(`RESULT runs=${runs} ${line} cold_hydrated=${fmt(cold.hydrated)} cold_total=${fmt(cold.total)}`);

import { test as base, expect, type Page } from "@playwright/test";

/** What the pages of the running test threw or logged as errors. */
let errors: string[] = [];
let log: string[] = [];
const pending = new Map<object, string>();
const at = () => `${Math.round(performance.now())} ms`;

/**
 * A response the browser logs as an error although nothing went wrong in the page: a
 * server function answering 4xx (a field's message, a conflict, a refusal) is the server
 * saying no, and the page shows it.
 */
const expected = (text: string) => /^Failed to load resource: the server responded with a status of 4\d\d/.test(text);

/**
 * Fails the running test if `page` throws or logs any console error: a panic in the wasm
 * bundle, a hydration mismatch, a policy that blocks a script. Every page of a test is
 * watched: the fixture's own and those opened in other browser contexts (`newPage`).
 */
export function watch(page: Page) {
  page.on("pageerror", (e) => {
    errors.push(e.message);
    log.push(`${at()} page error: ${e.message}`);
  });
  page.on("console", (m) => {
    log.push(`${at()} console.${m.type()}: ${m.text()}`);
    if (m.type() === "error" && !expected(m.text())) {
      errors.push(m.text());
    }
  });
  page.on("request", (r) => pending.set(r, `${r.method()} ${r.url()}`));
  page.on("requestfinished", (r) => pending.delete(r));
  page.on("requestfailed", (r) => {
    pending.delete(r);
    log.push(`${at()} request failed: ${r.method()} ${r.url()}: ${r.failure()?.errorText}`);
  });
  page.on("response", (r) => {
    if (r.request().isNavigationRequest() && r.frame() === page.mainFrame()) {
      const csp = r.headers()["content-security-policy"] ?? "none";
      log.push(`${at()} document ${r.status()} ${r.url()} (policy: ${csp.slice(0, 40)}…)`);
    }
  });
  page.on("framenavigated", (f) => {
    if (f === page.mainFrame()) log.push(`${at()} navigated to ${f.url()}`);
  });
}

/**
 * `page`, failing the test if any page of it throws or logs an error (see `watch`). When a
 * test fails, what the pages logged and the requests that failed or never finished are
 * printed with it.
 */
export const test = base.extend({
  page: async ({ page }, use, testInfo) => {
    errors = [];
    log = [];
    pending.clear();
    watch(page);
    await use(page);
    if (testInfo.status !== testInfo.expectedStatus) {
      console.log(
        [
          `--- ${testInfo.title}: the page's log ---`,
          ...log.slice(-40),
          ...[...pending.values()].map((r) => `still waiting for: ${r}`),
        ].join("\n"),
      );
    }
    expect(errors, "errors thrown in the page").toEqual([]);
  },
});

export { expect };

import { test as base, expect } from "@playwright/test";

/**
 * `page`, failing the test if the page throws or its policy blocks anything: a hydration
 * mismatch panics the wasm bundle, and a blocked bundle never hydrates, after which links
 * still work as plain navigation and would hide the failure.
 * When a test fails, what the page logged and the requests that failed or never finished
 * are printed with it.
 */
export const test = base.extend({
  page: async ({ page }, use, testInfo) => {
    const errors: string[] = [];
    const log: string[] = [];
    const pending = new Map<object, string>();
    const at = () => `${Math.round(performance.now())} ms`;
    page.on("pageerror", (e) => {
      errors.push(e.message);
      log.push(`${at()} page error: ${e.message}`);
    });
    page.on("console", (m) => {
      log.push(`${at()} console.${m.type()}: ${m.text()}`);
      if (m.type() === "error" && /panicked|hydration|Content Security Policy/i.test(m.text())) {
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

import { test as base, expect } from "@playwright/test";

/**
 * `page`, failing the test if the page throws: a hydration mismatch panics the wasm
 * bundle, after which links still work as plain navigation and would hide the failure.
 */
export const test = base.extend({
  page: async ({ page }, use) => {
    const errors: string[] = [];
    page.on("pageerror", (e) => errors.push(e.message));
    page.on("console", (m) => {
      if (m.type() === "error" && /panicked|hydration/i.test(m.text())) errors.push(m.text());
    });
    await use(page);
    expect(errors, "errors thrown in the page").toEqual([]);
  },
});

export { expect };

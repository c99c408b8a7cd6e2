import { type Page } from "@playwright/test";
import AxeBuilder from "@axe-core/playwright";
import { test, expect } from "./fixtures";
import { createMember, hydrated, signInAdmin } from "./pages";

// axe-core on every page an admin or a patient reaches, at desktop width and on a phone.

async function violations(page: Page) {
  const results = await new AxeBuilder({ page }).analyze();
  return results.violations.map(
    (v) => `${page.url()} ${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(" ")).join(", ")})`,
  );
}

for (const size of [{ width: 1280, height: 800 }, { width: 390, height: 844 }]) {
  test.describe(`at ${size.width} px`, () => {
    test.use({ viewport: size });

    test("every public and admin page has no accessibility violations", async ({ page }) => {
      // Nineteen pages, each loaded, hydrated and scanned: 20-28 s on a slow machine, so
      // more than one test's usual 30 s.
      test.setTimeout(120_000);
      const found: string[] = [];
      const visit = async (path: string) => {
        const response = await page.goto(path);
        expect(response?.status(), path).toBe(200);
        await hydrated(page);
        found.push(...(await violations(page)));
      };
      for (const path of ["/login", "/login/second-step", "/forgot-password", "/u/jessica", "/u/jessica/guest", "/u/jessica/sign-up"]) {
        await visit(path);
      }
      await signInAdmin(page);
      const id = await createMember(page, {
        first: "Axel",
        last: "Berg",
        email: `axel.berg.${size.width}.${Date.now()}@example.com`,
      });
      const admin = ["/admin/users", "/admin/rooms", "/admin/audit", "/admin/settings", "/provider", "/account/security", "/admin/users?new=1"];
      for (const tab of ["profile", "rooms", "management", "other"]) admin.push(`/admin/users?member=${id}&tab=${tab}`);
      admin.push(`/admin/users?delete=${id}`, `/admin/users?password=${id}`);
      for (const path of admin) await visit(path);
      expect(found).toEqual([]);
    });
  });
}

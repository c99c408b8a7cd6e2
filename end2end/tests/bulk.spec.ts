import { type Page } from "@playwright/test";
import AxeBuilder from "@axe-core/playwright";
import { test, expect } from "./fixtures";
import { createMember, signInAdmin, type UsersPage } from "./pages";

// Bulk actions on the users page: tick members (or every member of the view), choose an
// action, confirm the count, follow its progress; each member's change shows in the table
// and the audit log.

async function violations(page: Page) {
  const results = await new AxeBuilder({ page }).analyze();
  return results.violations.map((v) => `${page.url()} ${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(" ")).join(", ")})`);
}

/** A last name no other test uses (names hold letters only). */
function tag(prefix: string) {
  return prefix + Date.now().toString(36).replace(/[0-9]/g, (d) => "abcdefghij"[Number(d)]);
}

async function membersNamed(page: Page, last: string, firsts: string[]) {
  for (const first of firsts) {
    await createMember(page, { first, last, email: `${first.toLowerCase()}.${last.toLowerCase()}@example.com` });
  }
}

async function statuses(users: UsersPage) {
  return users.rows().getByText(/^Status: /).allInnerTexts();
}

for (const size of [{ width: 1280, height: 800 }, { width: 390, height: 844 }]) {
  test.describe(`at ${size.width} px`, () => {
    test.use({ viewport: size });

    test("a bulk suspend of a selected page shows in the table and the audit log", async ({ page }) => {
      const users = await signInAdmin(page);
      const last = tag("Bulk");
      await membersNamed(page, last, ["Ada", "Ben", "Cy"]);
      await users.search(last);
      await expect(users.rows()).toHaveCount(3);

      // With the keyboard: the page's checkbox ticks every row.
      await page.getByRole("checkbox", { name: "Select every user on this page" }).focus();
      await page.keyboard.press("Space");
      await expect(page.locator("#bulk-count")).toHaveText("3 users selected.");
      for (const first of ["Ada", "Ben", "Cy"]) {
        await expect(page.getByRole("checkbox", { name: `Select ${first} ${last}` })).toBeChecked();
      }
      expect(await violations(page)).toEqual([]);

      await page.locator("#bulk-action").selectOption("suspend");
      await page.getByRole("button", { name: "Apply to selected" }).click();
      const dialog = page.getByRole("dialog", { name: "Suspend 3 members?" });
      await expect(dialog).toBeVisible();
      await expect(dialog).toContainText("signed out everywhere");
      // Escape changes nothing and gives focus back to Apply.
      await page.keyboard.press("Escape");
      await expect(dialog).toHaveCount(0);
      await expect(page.getByRole("button", { name: "Apply to selected" })).toBeFocused();
      expect(await statuses(users)).toEqual(["Status: Active", "Status: Active", "Status: Active"]);

      await page.keyboard.press("Enter");
      await expect(dialog).toBeVisible();
      await dialog.getByRole("button", { name: "Suspend 3 members" }).click();
      await expect(page).toHaveURL(/\/admin\/bulk\/\d+$/);
      const id = page.url().split("/").pop();
      await expect(page.locator("#bulk-state")).toHaveText(/^Done/);
      await expect(page.locator("#bulk-changed")).toHaveText("3");
      await expect(page.getByText("3 of 3 members done")).toBeVisible();
      expect(await violations(page)).toEqual([]);

      await page.getByRole("link", { name: "Back to Users" }).click();
      // The users page lists the admin's recent actions, to go back to.
      await expect(page.getByRole("list", { name: "Your bulk actions" }).locator(`a[href="/admin/bulk/${id}"]`)).toHaveText("Suspend");
      await users.search(last);
      await expect.poll(() => statuses(users)).toEqual(["Status: Suspended", "Status: Suspended", "Status: Suspended"]);

      // The audit log: the action once, each member's change as its own event, and the
      // action's number leads back to its result.
      await page.goto("/admin/audit");
      const event = page.getByRole("row").filter({ hasText: "Bulk action" }).filter({ hasText: `#${id}` });
      await expect(event.filter({ hasText: "Action: Suspend" })).toHaveCount(1);
      await expect(page.getByRole("row").filter({ hasText: "Status changed" }).filter({ hasText: `#${id}` })).toHaveCount(3);
      await event.filter({ hasText: "Action: Suspend" }).getByRole("link", { name: `#${id}` }).click();
      await expect(page).toHaveURL(new RegExp(`/admin/bulk/${id}$`));
      await expect(page.getByRole("heading", { level: 1 })).toHaveText("Suspend");
    });
  });
}

test("every member of a view, past its first page, is added to a room", async ({ page }) => {
  const users = await signInAdmin(page);
  const last = tag("Many");
  const firsts = Array.from({ length: 26 }, (_, i) => `Pat${"abcdefghijklmnopqrstuvwxyz"[i]}`);
  await membersNamed(page, last, firsts);
  await users.search(last);
  await expect(users.rows()).toHaveCount(25);

  await page.getByRole("checkbox", { name: "Select every user on this page" }).check();
  await expect(page.locator("#bulk-count")).toHaveText("25 users selected.");
  await page.getByRole("button", { name: "Select all 26 users matching this view" }).click();
  await expect(page.locator("#bulk-count")).toHaveText("All 26 users matching this view are selected.");
  await page.locator("#bulk-action").selectOption("add_room");
  await page.locator("#bulk-room").selectOption({ label: "Harbor Family Medicine" });
  await page.getByRole("button", { name: "Apply to selected" }).click();
  const dialog = page.getByRole("dialog", { name: "Add 26 members to Harbor Family Medicine?" });
  await dialog.getByRole("button", { name: "Add 26 members to Harbor Family Medicine" }).click();
  await expect(page.locator("#bulk-state")).toHaveText(/^Done/);
  await expect(page.locator("#bulk-changed")).toHaveText("26");

  await page.goto(`/admin/users?q=${last}&size=50`);
  await expect(users.rows()).toHaveCount(26);
  await expect(users.rows().filter({ hasText: "Code: TVHF-harbor" })).toHaveCount(26);
});

import { type Page } from "@playwright/test";
import AxeBuilder from "@axe-core/playwright";
import { test, expect } from "./fixtures";
import { signInAdmin } from "./pages";

// Import CSV: a file with good, bad and repeated rows is previewed (nothing written, each
// rejected row with its line and the form's message), then imported with its progress; the
// new members are in the table, and the audit log leads back to the import.

async function violations(page: Page) {
  const results = await new AxeBuilder({ page }).analyze();
  return results.violations.map((v) => `${page.url()} ${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(" ")).join(", ")})`);
}

/** A last name no other test uses (names hold letters only). */
function tag(prefix: string) {
  return prefix + Date.now().toString(36).replace(/[0-9]/g, (d) => "abcdefghij"[Number(d)]);
}

for (const size of [{ width: 1280, height: 800 }, { width: 390, height: 844 }]) {
  test.describe(`at ${size.width} px`, () => {
    test.use({ viewport: size });

    test("a file with good, bad and repeated rows is previewed, then imported", async ({ page }) => {
      const users = await signInAdmin(page);
      const last = tag("Imp");
      const lower = last.toLowerCase();
      const file = [
        "Username,First Name,Last Name,Email,Rooms,Notes",
        `ada.${lower},Ada,${last},ada.${lower}@example.com,,first visit`,
        `ben.${lower},Ben,${last},ben.${lower}@example.com,TVHF-harbor,`,
        `bad.${lower},<b>Bob</b>,${last},bob.${lower}@example.com,,`,
        `twin.${lower},Tom,${last},twin1.${lower}@example.com,,`,
        `twin.${lower},Tim,${last},twin2.${lower}@example.com,,`,
      ].join("\n");

      await page.getByRole("link", { name: "Import CSV" }).click();
      await expect(page).toHaveURL(/\/admin\/users\/import$/);
      await expect(page.getByRole("heading", { level: 1 })).toHaveText("Import CSV");
      expect(await violations(page)).toEqual([]);
      await page.getByLabel("Room for new members without one").selectOption({ label: "Jessica Laynes' Clinic" });
      await page.getByLabel("CSV file").setInputFiles({ name: `${lower}.csv`, mimeType: "text/csv", buffer: Buffer.from(file) });
      await page.getByRole("button", { name: "Preview" }).click();

      await expect(page).toHaveURL(/\/admin\/import\/\d+$/);
      const id = page.url().split("/").pop();
      await expect(page.getByRole("heading", { level: 1 })).toHaveText(`Import preview: ${lower}.csv`);
      await expect(page.locator("#import-to-create")).toHaveText("2");
      await expect(page.locator("#import-to-reject")).toHaveText("3");
      await expect(page.locator("#import-ignored")).toHaveText("These columns are not imported: Notes.");
      const rejected = page.locator("#import-rejected");
      await expect(rejected.getByRole("row").filter({ hasText: "First Name: A first name may hold letters" })).toContainText("4");
      await expect(rejected.getByRole("row").filter({ hasText: "The same username or member is on line 6." })).toContainText("5");
      await expect(rejected.getByRole("row").filter({ hasText: "The same username or member is on line 5." })).toContainText("6");
      expect(await violations(page)).toEqual([]);

      // Nothing is written before Import.
      await page.goto(`/admin/users?q=${last}`);
      await expect(page.getByText("No users match")).toBeVisible();
      await page.goBack();

      await page.getByRole("button", { name: "Import 2 rows" }).click();
      await expect(page.locator("#import-state")).toHaveText(/^Done/);
      await expect(page.locator("#import-created")).toHaveText("2");
      await expect(page.locator("#import-rejected-count")).toHaveText("3");
      await expect(page.getByText("5 of 5 rows done")).toBeVisible();
      expect(await violations(page)).toEqual([]);

      await page.getByRole("link", { name: "Back to Users" }).click();
      await users.search(last);
      await expect(users.rows()).toHaveCount(2);
      // By each row's own checkbox: the tag is letters from the clock, and may spell "ben".
      const rowOf = (first: string) =>
        users.rows().filter({ has: page.getByRole("checkbox", { name: `Select ${first} ${last}`, exact: true }) });
      await expect(rowOf("Ben")).toContainText("Code: TVHF-harbor");
      await expect(rowOf("Ada")).toContainText("Code: TVJC-jessica");

      // The audit log: the import once, each member's creation as its own event, and the
      // import's number leads back to its result.
      await page.goto("/admin/audit");
      const event = page.getByRole("row").filter({ hasText: "Users imported" }).filter({ hasText: `#${id}` });
      await expect(event).toHaveCount(1);
      await expect(page.getByRole("row").filter({ hasText: "Created" }).filter({ hasText: `#${id}` })).toHaveCount(2);
      await event.getByRole("link", { name: `#${id}` }).click();
      await expect(page).toHaveURL(new RegExp(`/admin/import/${id}$`));
      await expect(page.getByRole("heading", { level: 1 })).toHaveText(`Import: ${lower}.csv`);
    });
  });
}

test("a file that is not CSV text is refused with why, next to the file field", async ({ page }) => {
  await signInAdmin(page);
  await page.goto("/admin/users/import");
  await page.getByLabel("CSV file").setInputFiles({ name: "photo.csv", mimeType: "text/csv", buffer: Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 0, 0, 0x0d, 0xff, 0xd8]) });
  await page.getByRole("button", { name: "Preview" }).click();
  await expect(page).toHaveURL(/\/admin\/import\/\d+$/);
  await expect(page.locator("#import-file-error")).toHaveText(/^This is not a CSV file/);
  await expect(page.getByLabel("CSV file")).toHaveAttribute("aria-invalid", "true");
  expect(await violations(page)).toEqual([]);
});

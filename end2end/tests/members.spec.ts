import { type Page } from "@playwright/test";
import AxeBuilder from "@axe-core/playwright";
import { test, expect } from "./fixtures";
import { createMember, detailReady, field, hydrated, signInAdmin as signIn } from "./pages";

async function noAxeViolations(page: Page, what: string) {
  const results = await new AxeBuilder({ page }).analyze();
  const found = results.violations.map(
    (v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(" ")).join(", ")})`,
  );
  expect(found, `accessibility violations on ${what}`).toEqual([]);
}

test("an admin creates Jane Gomez, finds her, edits her city and rooms, and sees it all in the history", async ({ page }) => {
  const users = await signIn(page);

  await page.getByRole("link", { name: "New Member" }).click();
  const dialog = page.getByRole("dialog", { name: "Create a Member" });
  await expect(dialog).toBeVisible();
  await expect(page).toHaveURL(/new=1/);
  await expect(field(page, "Clinic")).toHaveValue(/\d+/);
  await expect(field(page, "Clinic").locator("option:checked")).toHaveText("Clinic Portal");
  await expect(field(page, "User Type (optional)")).toHaveValue("member");
  await expect(field(page, "Country (optional)").locator("option:checked")).toHaveText("United States");
  await expect(field(page, "Timezone (optional)").locator("option:checked")).toHaveText(
    /^\(UTC-0[78]:00\) Pacific Time \(US & Canada\)$/,
  );

  // The article's example values. Username follows Email while untouched.
  await dialog.getByLabel("Add a room").selectOption({ label: "Jessica Laynes' Clinic" });
  await expect(dialog.getByRole("button", { name: "Remove Jessica Laynes' Clinic" })).toBeVisible();
  await field(page, "Email").fill("jane.gomez@me.com");
  await expect(field(page, "Username")).toHaveValue("jane.gomez@me.com");
  await field(page, "First Name").fill("Jane");
  await field(page, "Last Name").fill("Gomez");
  await dialog.getByRole("button", { name: "Create" }).click();

  // The demo clinic already has that Jane: the server says so next to each field.
  await expect(dialog.getByText("That username is taken. Choose another.")).toBeVisible();
  await expect(dialog.getByText("Another user of this clinic has that email address.")).toBeVisible();
  await expect(field(page, "First Name")).toHaveValue("Jane");

  await field(page, "Email").fill("jane.gomez.2@me.com");
  await expect(field(page, "Username")).toHaveValue("jane.gomez.2@me.com");
  await expect(dialog.getByText("That username is taken. Choose another.")).toHaveCount(0);

  // Checked as the admin types and leaves a field.
  await field(page, "Password (optional)").fill("harbor");
  await expect(dialog.getByText("an upper-case letter (not met)")).toBeAttached();
  await field(page, "Password (optional)").fill("Blue-Harbor-42");
  await expect(dialog.getByText("an upper-case letter (met)")).toBeAttached();
  await field(page, "Confirm Password (optional)").fill("Blue-Harbor-24");
  await field(page, "Phone (optional)").click();
  await expect(dialog.getByText("The two passwords do not match.")).toBeVisible();
  await field(page, "Confirm Password (optional)").fill("Blue-Harbor-42");
  await field(page, "Phone (optional)").fill("555-0123");
  await field(page, "City (optional)").click();
  await expect(dialog.getByText(/Enter a 10-digit US phone number/)).toBeVisible();
  await field(page, "Phone (optional)").fill("(415) 555-0123");
  await expect(dialog.getByText(/Enter a 10-digit US phone number/)).toHaveCount(0);
  await expect(field(page, "State (optional)")).toHaveJSProperty("tagName", "SELECT");
  await field(page, "State (optional)").selectOption({ label: "California" });

  await dialog.getByRole("button", { name: "Create" }).click();

  await expect(dialog).toHaveCount(0);
  await expect(page.getByRole("status").filter({ hasText: "Jane Gomez was created" })).toBeVisible();
  await expect(page).not.toHaveURL(/new=1/);

  // Find her, open her detail.
  await users.searchBox().fill("jane.gomez.2");
  await expect(users.rows()).toHaveCount(1);
  await users.rows().first().getByRole("link", { name: "Edit Jane Gomez" }).click();
  const detail = page.getByRole("dialog", { name: "MEMBER DETAIL: JANE GOMEZ" });
  await expect(detail).toBeVisible();
  await expect(page).toHaveURL(/member=\d+&tab=profile/);
  await detailReady(page);

  // Profile: the city.
  await expect(field(page, "Phone (optional)")).toHaveValue("+1 415-555-0123");
  await field(page, "City (optional)").fill("Portland");
  await detail.getByRole("button", { name: "Save" }).click();
  await expect(detail.getByText("Saved.")).toBeVisible();

  // Rooms: add one, remove the first.
  await detail.getByRole("tab", { name: "Rooms" }).click();
  await expect(page).toHaveURL(/tab=rooms/);
  await detail.getByLabel("Add a room").selectOption({ label: "Northside Pediatrics" });
  await detail.getByRole("button", { name: "Add", exact: true }).click();
  await expect(detail.getByRole("button", { name: "Remove Northside Pediatrics" })).toBeVisible();
  await detail.getByRole("button", { name: "Remove Jessica Laynes' Clinic" }).click();
  await expect(detail.getByRole("button", { name: "Remove Jessica Laynes' Clinic" })).toHaveCount(0);
  await expect(detail.getByRole("button", { name: "Remove Northside Pediatrics" })).toBeDisabled();

  // Management: both changes in the history, newest first.
  await detail.getByRole("tab", { name: "Management" }).click();
  const history = detail.getByRole("table").last();
  await expect(history).toContainText("City: Portland");
  await expect(history).toContainText("Rooms added: Northside Pediatrics");
  await expect(history).toContainText("Rooms removed: Jessica Laynes' Clinic → (empty)");
  await expect(history.getByRole("row").nth(1)).toContainText("Rooms changed");

  // The table shows the new room at once; Esc closes and focus returns to Edit.
  await page.keyboard.press("Escape");
  await expect(detail).toHaveCount(0);
  await expect(users.rows().first()).toContainText("Northside Pediatrics");
  await expect(users.rows().first().getByRole("link", { name: "Edit Jane Gomez" })).toBeFocused();
});

test("the detail's tabs follow the arrow keys, and a reload reopens the modal on its tab", async ({ page }) => {
  await signIn(page);
  const id = await createMember(page, {
    first: "Tomas",
    last: "Reyes",
    email: `tomas.reyes.${Date.now()}@example.com`,
    password: "Granite-Meadow-2026",
  });
  await page.goto(`/admin/users?member=${id}&tab=profile`);
  await hydrated(page);
  const detail = page.getByRole("dialog", { name: "MEMBER DETAIL: TOMAS REYES" });
  await expect(detail).toBeVisible();
  await detailReady(page);

  await detail.getByRole("tab", { name: "Profile" }).focus();
  await page.keyboard.press("ArrowRight");
  await expect(detail.getByRole("tab", { name: "Rooms" })).toHaveAttribute("aria-selected", "true");
  await expect(detail.getByRole("tab", { name: "Rooms" })).toBeFocused();
  await expect(page).toHaveURL(/tab=rooms/);
  await page.keyboard.press("End");
  await expect(detail.getByRole("tab", { name: "Other" })).toBeFocused();
  await expect(detail.getByText("Login detail")).toBeVisible();
  await expect(detail.getByText("xxxxxxxxxxxx")).toBeVisible();

  await page.reload();
  await hydrated(page);
  await detailReady(page);
  await expect(detail.getByRole("tab", { name: "Other" })).toHaveAttribute("aria-selected", "true");
  await expect(detail.getByText("Login detail")).toBeVisible();

  // User type: Edit, Provider with a role, Save.
  await detail.getByRole("button", { name: "Edit" }).click();
  await detail.getByLabel("User type").selectOption("provider");
  await detail.getByLabel("Role").selectOption("Nurse");
  await detail.getByRole("button", { name: "Save", exact: true }).click();
  await expect(detail.getByText("Provider (Nurse)")).toBeVisible();

  await detail.getByRole("button", { name: "Close" }).click();
  await expect(detail).toHaveCount(0);
  await expect(page).not.toHaveURL(/member=/);
});

test("the users page, the create form and every tab of the detail have no accessibility violations", async ({ page }) => {
  await signIn(page);
  await noAxeViolations(page, "the users page");

  await page.getByRole("link", { name: "New Member" }).click();
  await expect(page.getByRole("dialog", { name: "Create a Member" })).toBeVisible();
  await expect(page.getByLabel("Timezone (optional)", { exact: true })).toBeVisible();
  await noAxeViolations(page, "the create form");
  await page.keyboard.press("Escape");

  for (const tab of ["profile", "rooms", "management", "other"]) {
    await page.goto(`/admin/users?member=21408246&tab=${tab}`);
    await hydrated(page);
    await expect(page.getByRole("tabpanel")).toBeVisible();
    await expect(page.getByRole("tabpanel").locator(".loading")).toHaveCount(0);
    await noAxeViolations(page, `the ${tab} tab`);
  }
});

test("the audit page lists the views and changes, filterable by member", async ({ page }) => {
  await signIn(page);
  await page.goto("/admin/users?member=21408246&tab=management");
  await hydrated(page);
  await expect(page.getByRole("dialog")).toBeVisible();

  await page.goto("/admin/audit?member=21408246&action=viewed");
  await hydrated(page);

  const rows = page.getByRole("table").getByRole("row");
  await expect(rows.nth(1)).toContainText("Detail viewed");
  await expect(rows.nth(1)).toContainText("ID: 21408246");
  await noAxeViolations(page, "the audit page");
});

test("a new member like one of the clinic's is a possible duplicate: the admin opens the match, then creates anyway", async ({ page }) => {
  await signIn(page);
  // Names take letters only: the test's own, from the clock.
  const stamp = (Date.now() % 1_000_000).toString(26).replace(/\d/g, (d) => "qrstuvwxyz"[Number(d)]);
  const first = await createMember(page, {
    first: "Rosa", last: `Díaz${stamp}`, email: `rosa.${stamp}@example.com`, birth: ["7", "21", "1979"],
  });
  await page.getByRole("link", { name: "New Member" }).click();
  const dialog = page.getByRole("dialog", { name: "Create a Member" });
  await expect(dialog).toBeVisible();
  await dialog.getByLabel("Add a room").selectOption({ label: "Jessica Laynes' Clinic" });
  await field(page, "Email").fill(`rosa.diaz.${stamp}@example.com`);
  // Other case, no accent: the same name to the clinic.
  await field(page, "First Name").fill("ROSA");
  await field(page, "Last Name").fill(`diaz${stamp}`);
  await dialog.locator("#f-date_of_birth").selectOption("7");
  await dialog.locator('input[name="dob_day"]').fill("21");
  await dialog.locator('input[name="dob_year"]').fill("1979");
  await field(page, "First Name").press("Enter");

  const warning = dialog.getByRole("group", { name: "Possible duplicate" });
  await expect(warning).toContainText(`Rosa Díaz${stamp} · Date of birth: 07/21/1979 · ID: ${first} · Same name and date of birth`);
  await expect(warning.getByRole("heading", { name: "Possible duplicate" })).toBeFocused();
  await noAxeViolations(page, "the possible duplicate warning");
  const link = warning.getByRole("link", { name: `Rosa Díaz${stamp}` });
  await expect(link).toHaveAttribute("href", `/admin/users?member=${first}`);
  const [opened] = await Promise.all([page.context().waitForEvent("page"), link.click()]);
  await expect(opened.getByRole("dialog", { name: `MEMBER DETAIL: ROSA DÍAZ${stamp.toUpperCase()}` })).toBeVisible();
  await opened.close();

  // Go back keeps what was typed; Create asks again; Create anyway creates, by keyboard.
  await warning.getByRole("button", { name: "Go back" }).press("Enter");
  await expect(warning).toHaveCount(0);
  await expect(field(page, "First Name")).toBeFocused();
  await expect(field(page, "First Name")).toHaveValue("ROSA");
  await dialog.getByRole("button", { name: "Create", exact: true }).press("Enter");
  // As a keyboard user meets it: the warning's heading takes focus, then Tab moves on.
  await expect(warning.getByRole("heading", { name: "Possible duplicate" })).toBeFocused();
  await warning.getByRole("button", { name: "Create anyway" }).press("Enter");
  await expect(dialog).toHaveCount(0);
  await expect(page.getByRole("status").filter({ hasText: `ROSA diaz${stamp} was created` })).toBeVisible();
});

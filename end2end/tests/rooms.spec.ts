import AxeBuilder from "@axe-core/playwright";
import { test, expect } from "./fixtures";
import { ADMIN, ADMIN_PASSWORD, LoginPage, hydrated, newPage } from "./pages";

test("an admin creates a room whose link works, then deactivates it and the link says it is closed", async ({ page, browser }) => {
  const login = new LoginPage(page, true);
  await login.open();
  await login.signIn(ADMIN, ADMIN_PASSWORD);
  await expect(page).toHaveURL(/\/admin\/users$/);
  await page.getByRole("link", { name: "Rooms" }).click();
  await expect(page).toHaveURL(/\/admin\/rooms$/);
  await hydrated(page);
  await expect(page.getByRole("cell", { name: "TVJC-jessica" })).toBeVisible();

  // The link is suggested in the browser, folded as the server folds names: "í" → "i".
  const name = `Dr. Kím ${Date.now() % 100000}`;
  await page.getByRole("button", { name: "New room" }).press("Enter");
  const form = page.getByRole("form", { name: "New room" });
  // The form it reveals takes the focus, on its first field.
  await expect(form.getByRole("textbox").first()).toBeFocused();
  await form.getByLabel("Room name").fill(name);
  const slug = await form.getByLabel("Link", { exact: true }).inputValue();
  expect(slug).toMatch(/^dr-kim-\d+$/);
  await form.getByLabel("Code").fill("TVJC-jessica");
  await form.getByRole("button", { name: "Create room" }).click();
  await expect(form.getByText("Another room has that code.")).toBeVisible();
  const violations = (await new AxeBuilder({ page }).analyze()).violations.map((v) => v.id);
  expect(violations, "accessibility violations").toEqual([]);

  await form.getByLabel("Code").fill(`TVJC-${slug}`);
  await form.getByRole("button", { name: "Create room" }).click();
  await expect(page.getByRole("status").filter({ hasText: `${name} was created` })).toBeVisible();
  const row = page.getByRole("row").filter({ hasText: name });
  await expect(row).toContainText(`/u/${slug}`);
  await expect(row).toContainText("Active");

  const visitor = await newPage(browser);
  await visitor.goto(`/u/${slug}`);
  await expect(visitor.getByRole("heading", { name: `Welcome to ${name}` })).toBeVisible();

  // Deactivating asks first, naming the room and its members; by keyboard alone.
  const deactivate = row.getByRole("button", { name: `Deactivate ${name}` });
  await deactivate.focus();
  await page.keyboard.press("Enter");
  const ask = row.getByRole("alertdialog", { name: `Deactivate ${name}?` });
  await expect(ask).toContainText(`Deactivate ${name}? Its link will say the room is closed; its 0 members keep their accounts.`);
  await expect(ask.getByRole("button", { name: "Keep it open" })).toBeFocused();
  await page.keyboard.press("Enter");
  await expect(ask).toHaveCount(0);
  await expect(deactivate).toBeFocused();
  await expect(row.getByRole("cell", { name: "Active", exact: true })).toBeVisible();
  await page.keyboard.press("Enter");
  await expect(ask.getByRole("button", { name: "Keep it open" })).toBeFocused();
  await page.keyboard.press("Shift+Tab");
  await expect(ask.getByRole("button", { name: "Deactivate", exact: true })).toBeFocused();
  await page.keyboard.press("Enter");
  await expect(page.getByRole("status").filter({ hasText: "was deactivated" })).toBeVisible();
  await expect(page.getByRole("button", { name: `Reopen ${name}` })).toBeFocused();
  await expect(page.getByRole("row").filter({ hasText: name })).toContainText("Inactive");
  await visitor.reload();
  await expect(visitor.getByRole("heading", { name: `${name} is closed` })).toBeVisible();
  await expect(visitor.getByRole("link", { name: "Enter as guest" })).toHaveCount(0);
});

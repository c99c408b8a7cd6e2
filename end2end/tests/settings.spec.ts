import AxeBuilder from "@axe-core/playwright";
import { test, expect } from "./fixtures";
import { ADMIN, ADMIN_PASSWORD, LoginPage, hydrated } from "./pages";

test("an admin changes the clinic's settings, which stay after a reload", async ({ page }) => {
  const login = new LoginPage(page, true);
  await login.open();
  await login.signIn(ADMIN, ADMIN_PASSWORD);
  await expect(page).toHaveURL(/\/admin\/users$/);
  await page.getByRole("link", { name: "Settings" }).click();
  await expect(page).toHaveURL(/\/admin\/settings$/);
  await hydrated(page);

  const form = page.getByRole("form", { name: "Clinic Portal" });
  const guests = form.getByRole("checkbox", { name: "Patients may enter as guests" });
  await expect(guests).toBeChecked();
  const violations = (await new AxeBuilder({ page }).analyze()).violations.map((v) => v.id);
  expect(violations, "accessibility violations").toEqual([]);

  await form.getByLabel("Sign out after this many idle minutes").fill("2");
  await form.getByRole("button", { name: "Save settings" }).click();
  await expect(form.getByText("The idle time is a whole number from 5 to 720.")).toBeVisible();

  await form.getByLabel("Sign out after this many idle minutes").fill("45");
  await guests.uncheck();
  await form.getByRole("button", { name: "Save settings" }).click();
  await expect(form.getByText("Settings saved.")).toBeVisible();

  await page.reload();
  await hydrated(page);
  await expect(guests).not.toBeChecked();
  await expect(form.getByLabel("Sign out after this many idle minutes")).toHaveValue("45");

  // Back as it was, for the other tests.
  await guests.check();
  await form.getByLabel("Sign out after this many idle minutes").fill("30");
  await form.getByRole("button", { name: "Save settings" }).click();
  await expect(form.getByText("Settings saved.")).toBeVisible();
});

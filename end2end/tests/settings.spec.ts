import AxeBuilder from "@axe-core/playwright";
import { test, expect } from "./fixtures";
import { ADMIN, ADMIN_PASSWORD, LoginPage, hydrated, newPage, signInAdmin, sql } from "./pages";

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

test("a shorter guest keeping time says how many records it deletes, and asks first", async ({ page, browser }) => {
  // Two guests whose visits ended 10 and 12 days ago (entered now, then dated back).
  // Letters only, as a name is; different on every run.
  const tag = `Keep${Date.now().toString(36).replace(/[0-9]/g, (d) => "abcdefghij"[Number(d)])}`;
  for (const first of ["Ten", "Twelve"]) {
    const guest = await newPage(browser);
    await guest.goto("/u/jessica/guest");
    await hydrated(guest);
    await guest.getByLabel("First name").fill(first);
    await guest.getByLabel("Last name").fill(tag);
    await guest.getByLabel("Reason for visit").fill("A cough");
    await guest.getByRole("button", { name: "Enter the waiting room" }).click();
    await expect(guest).toHaveURL(/\/u\/jessica\/waiting$/);
    await guest.close();
  }
  const day = 86_400_000;
  for (const [first, days] of [["Ten", 10], ["Twelve", 12]] as const) {
    const at = Date.now() - days * day;
    sql(
      `UPDATE visits SET status = 'left', entered_at = ${at - 60_000}, ended_at = ${at} ` +
        `WHERE user_id IN (SELECT id FROM users WHERE first_name = '${first}' AND last_name = '${tag}'); ` +
        `UPDATE users SET signed_up_at = ${at - 60_000} WHERE first_name = '${first}' AND last_name = '${tag}';`,
    );
  }

  await signInAdmin(page);
  await page.goto("/admin/settings");
  await hydrated(page);
  const form = page.getByRole("form", { name: "Clinic Portal" });
  const days = form.getByLabel("Days a guest's record is kept after their visit");
  const save = form.getByRole("button", { name: "Save settings" });
  await days.fill("11");
  await days.press("Enter");
  const ask = form.getByRole("alertdialog", { name: "Delete 1 guest record?" });
  await expect(ask).toBeVisible();
  await expect(ask).toContainText("more than 11 days ago");
  await expect(ask.getByRole("button", { name: "Keep editing" })).toBeFocused();
  await page.keyboard.press("Enter");
  await expect(ask).toBeHidden();
  await expect(days).toBeFocused();
  await expect(form.getByText("Settings saved.")).toHaveCount(0);

  await days.fill("9");
  await save.press("Enter");
  const both = form.getByRole("alertdialog", { name: "Delete 2 guest records?" });
  await expect(both.getByRole("button", { name: "Keep editing" })).toBeFocused();
  await page.keyboard.press("Tab");
  await expect(both.getByRole("button", { name: "Save and delete" })).toBeFocused();
  await page.keyboard.press("Enter");
  await expect(form.getByText("Settings saved.")).toBeVisible();
  await expect(save).toBeFocused();

  // Longer again: nothing to delete, so nothing asked.
  await days.fill("30");
  await save.press("Enter");
  await expect(form.getByText("Settings saved.")).toBeVisible();
  await expect(form.getByRole("alertdialog")).toBeHidden();
  await page.reload();
  await hydrated(page);
  await expect(days).toHaveValue("30");
});

test("settings another admin saved meanwhile are not overwritten: the later save says so", async ({ page, browser }) => {
  const idle = "Sign out after this many idle minutes";
  await signInAdmin(page);
  await page.goto("/admin/settings");
  await hydrated(page);
  const other = await newPage(browser);
  await signInAdmin(other);
  await other.goto("/admin/settings");
  await hydrated(other);
  const mine = page.getByRole("form", { name: "Clinic Portal" });
  const theirs = other.getByRole("form", { name: "Clinic Portal" });

  await theirs.getByLabel(idle).fill("31");
  await theirs.getByRole("button", { name: "Save settings" }).click();
  await expect(theirs.getByText("Settings saved.")).toBeVisible();
  await mine.getByLabel(idle).fill("32");
  await mine.getByRole("button", { name: "Save settings" }).click();
  await expect(mine.getByRole("alert")).toHaveText(
    "Another admin saved this clinic's settings since you opened the page. Reload the page to see theirs, then make your change again.",
  );
  await expect(mine.getByText("Settings saved.")).toHaveCount(0);

  await page.reload();
  await hydrated(page);
  await expect(mine.getByLabel(idle)).toHaveValue("31");
  // Back as it was, for the other tests; a form saved twice keeps its own version.
  await mine.getByLabel(idle).fill("33");
  await mine.getByRole("button", { name: "Save settings" }).click();
  await expect(mine.getByText("Settings saved.")).toBeVisible();
  await mine.getByLabel(idle).fill("30");
  await mine.getByRole("button", { name: "Save settings" }).click();
  await expect(mine.getByText("Settings saved.")).toBeVisible();
  await expect(mine.getByRole("alert")).toBeHidden();
});

test("the dormant-account policy says how many members it would suspend next, and goes off again", async ({ page }) => {
  await signInAdmin(page);
  await page.goto("/admin/settings");
  await hydrated(page);
  const form = page.getByRole("form", { name: "Clinic Portal" });
  const policy = form.getByRole("checkbox", { name: "Suspend members who have not signed in for a while" });
  const months = form.getByLabel("Months without signing in (1 to 60)");
  const save = form.getByRole("button", { name: "Save settings" });
  await expect(form.getByText("Off: no one is suspended for not signing in.")).toBeVisible();
  await expect(months).toBeHidden();

  await policy.check();
  await months.fill("61");
  await form.getByLabel("Days before, email them a warning with a sign-in link (0 to 30)").fill("30");
  await save.click();
  await expect(form.getByText("The number of months is a whole number from 1 to 60.")).toBeVisible();
  await expect(months).toBeFocused();
  await months.fill("60");
  await save.click();
  await expect(form.getByText("Settings saved.")).toBeVisible();
  await expect(form.getByRole("status").filter({ hasText: /60 months/ })).toHaveText(
    /^((\d[\d,]*\+? members have|1 member has) not signed in for 60 months\. The policy emails each a warning, then suspends them 30 days later unless they sign in\.|No member has gone 60 months without signing in\.)$/,
  );
  await expect(page.getByRole("form", { name: "Clinic Portal" })).toHaveCount(1);
  const violations = (await new AxeBuilder({ page }).analyze()).violations.map((v) => v.id);
  expect(violations, "accessibility violations").toEqual([]);

  await page.reload();
  await hydrated(page);
  await expect(policy).toBeChecked();
  await expect(months).toHaveValue("60");
  await policy.uncheck();
  await save.click();
  await expect(form.getByText("Settings saved.")).toBeVisible();
  await expect(form.getByText("Off: no one is suspended for not signing in.")).toBeVisible();
});

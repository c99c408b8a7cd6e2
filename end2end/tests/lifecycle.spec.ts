import { type Page } from "@playwright/test";
import { test, expect } from "./fixtures";
import { ADMIN, ADMIN_PASSWORD, LoginPage, UsersPage, clearMail, createMember, hydrated, mailTo, newPage } from "./pages";

const JANE = "jane.gomez@me.com";

async function signIn(page: Page, username = ADMIN, password = ADMIN_PASSWORD) {
  const login = new LoginPage(page, true);
  await login.open();
  await login.signIn(username, password);
}

async function signInAdmin(page: Page) {
  await signIn(page);
  await expect(page).toHaveURL(/\/admin\/users$/);
  await hydrated(page);
  return new UsersPage(page, true);
}

test("a reset email reaches the patient, whose link sets a password to sign in with; suspension then locks them out", async ({ page, browser }) => {
  await clearMail();
  await signInAdmin(page);
  const lena = `lena.frost.${Date.now()}@example.com`;
  const id = await createMember(page, { first: "Lena", last: "Frost", email: lena });
  await page.goto(`/admin/users?member=${id}&tab=other`);
  await hydrated(page);
  await expect(page.getByRole("tablist", { name: "Member detail" })).toHaveAttribute("data-ready", "");
  const detail = page.getByRole("dialog", { name: "MEMBER DETAIL: LENA FROST" });
  await detail.getByRole("button", { name: "Send Reset Password Email" }).click();
  await expect(detail.getByText(`A reset link was sent to ${lena}`)).toBeVisible();

  const mail = await mailTo(lena, /reset your password/);
  expect(mail.subject).toContain("Clinic Portal");
  const link = mail.text.match(/https?:\/\/\S+\/reset-password\?token=\S+/)![0];

  // The patient, in their own browser.
  const patient = await newPage(browser);
  await patient.goto(link);
  await hydrated(patient);
  await expect(patient.getByRole("heading", { name: "Set Password Now" })).toBeVisible();
  await patient.getByLabel("New password").fill("Ocean-Harbor-2026!");
  await patient.getByLabel("Confirm password").fill("Ocean-Harbor-2026!");
  await patient.getByRole("button", { name: "Set Password Now" }).click();
  await expect(patient).toHaveURL(/\/login\?reset=1/);
  await expect(patient.getByText("Your password is set. Sign in with it.")).toBeVisible();
  await signIn(patient, lena, "Ocean-Harbor-2026!");
  await expect(patient).toHaveURL(/\/account$/);
  await expect(patient.getByRole("heading", { name: "Lena Frost" })).toBeVisible();

  // The link works once.
  await patient.goto(link);
  await expect(patient.getByText("This link has expired or was already used.")).toBeVisible();

  // Suspended: signed out at once, and refused with the right password.
  await detail.getByLabel("Status").selectOption("suspended");
  await detail.getByRole("button", { name: "Save User Status" }).click();
  await expect(detail.getByText("Status saved: Suspended.")).toBeVisible();
  await patient.goto("/");
  await expect(patient.getByRole("link", { name: "Sign in" })).toBeVisible();
  await signIn(patient, lena, "Ocean-Harbor-2026!");
  await expect(patient.getByRole("alert")).toHaveText("This account is not active. Please contact your clinic.");

  // Active again: the same password signs in.
  await detail.getByLabel("Status").selectOption("active");
  await detail.getByRole("button", { name: "Save User Status" }).click();
  await expect(detail.getByText("Status saved: Active.")).toBeVisible();
  await signIn(patient, lena, "Ocean-Harbor-2026!");
  await expect(patient).toHaveURL(/\/account$/);

  // Pending delete says what will happen and when, and asks once; Escape goes back to the
  // status as saved.
  const status = detail.getByLabel("Status");
  await status.selectOption("pending_delete");
  await detail.getByRole("button", { name: "Save User Status" }).press("Enter");
  const question = detail.getByRole("group", { name: /Pending delete signs Lena Frost out/ });
  await expect(question).toContainText(/In \d+ days? their account, visit records and data are deleted for good/);
  await expect(detail.getByRole("button", { name: "Schedule deletion" })).toBeFocused();
  await page.keyboard.press("Escape");
  await expect(question).toBeHidden();
  await expect(detail).toBeVisible();
  await expect(status).toBeFocused();
  await expect(detail.getByText("Status saved: Pending delete.")).toBeHidden();
  await expect(status).toHaveValue("active");
  await status.selectOption("pending_delete");
  await detail.getByRole("button", { name: "Save User Status" }).press("Enter");
  await detail.getByRole("button", { name: "Schedule deletion" }).press("Enter");
  await expect(detail.getByText("Status saved: Pending delete.")).toBeVisible();
  await expect(detail.getByText(/This account will be deleted for good on /)).toBeVisible();
  await patient.goto("/");
  await expect(patient.getByRole("link", { name: "Sign in" })).toBeVisible();
});

test("forgot password answers the same for anyone, and mails a known address", async ({ page }) => {
  await clearMail();
  await page.goto("/login");
  await hydrated(page);
  await page.getByRole("link", { name: "Forgot password?" }).click();
  await expect(page).toHaveURL(/\/forgot-password/);
  await hydrated(page);
  await page.getByLabel("Username or email").fill("nobody@example.com");
  await page.getByRole("button", { name: "Email me a link" }).click();
  const answer = page.getByRole("status").filter({ hasText: "If an account matches" });
  await expect(answer).toBeVisible();

  await page.getByLabel("Username or email").fill(JANE);
  await page.getByRole("button", { name: "Email me a link" }).click();
  await expect(answer).toBeVisible();
  const mail = await mailTo(JANE, /reset your password/);
  expect(mail.text).toContain("1 hour");
});

test("Set password from the row sets a password the member signs in with", async ({ page, browser }) => {
  const users = await signInAdmin(page);
  const rhea = `rhea.stone.${Date.now()}@example.com`;
  await createMember(page, { first: "Rhea", last: "Stone", email: rhea });
  await users.search(rhea);
  await expect(users.rows()).toHaveCount(1);
  await users.rows().first().getByRole("link", { name: "Set password" }).click();
  const dialog = page.getByRole("dialog", { name: "Set password for Rhea Stone" });
  await expect(dialog).toBeVisible();
  await dialog.getByRole("textbox", { name: "Password", exact: true }).fill("Row-Harbor-2026!");
  await dialog.getByRole("textbox", { name: "Confirm Password", exact: true }).fill("Row-Harbor-2026!");
  await expect(dialog.getByRole("checkbox", { name: "Sign the member out everywhere" })).toBeChecked();
  await dialog.getByRole("button", { name: "Set password" }).click();
  await expect(dialog).toHaveCount(0);
  await expect(page.getByRole("status").filter({ hasText: "Password set for Rhea Stone" })).toBeVisible();

  const patient = await newPage(browser);
  await signIn(patient, rhea, "Row-Harbor-2026!");
  await expect(patient).toHaveURL(/\/account$/);
});

test("a deleted member is gone from the table", async ({ page }) => {
  const users = await signInAdmin(page);
  const username = `dov.ashby.${Date.now()}@example.com`;
  const name = "Dov Ashby";
  await createMember(page, { first: "Dov", last: "Ashby", email: username });
  await users.search(username);
  const row = users.row(`User name: ${username}`);
  await expect(row).toHaveCount(1);

  await row.getByRole("link", { name: "Delete" }).click();
  const dialog = page.getByRole("dialog", { name: `Delete ${name}?` });
  await expect(dialog).toBeVisible();
  await expect(dialog).toContainText("all the visit records and data associated with his/her profile will also be removed");
  await expect(dialog).toContainText(/\d+ visit records? will be removed/);
  const confirm = dialog.getByRole("button", { name: "Delete permanently" });
  await expect(confirm).toBeDisabled();
  await dialog.getByLabel(/Type the username/).fill(username);
  await expect(confirm).toBeEnabled();
  await confirm.click();

  await expect(dialog).toHaveCount(0);
  await expect(page.getByRole("status").filter({ hasText: `${name} was deleted` })).toBeVisible();
  await users.search(username);
  await expect(page.locator(".members-table").getByText("No users match this search and these filters.")).toBeVisible();
});

import AxeBuilder from "@axe-core/playwright";
import { type Page } from "@playwright/test";
import { test, expect } from "./fixtures";
import { ADMIN, ADMIN_PASSWORD, LoginPage, UsersPage, hydrated, mailTo, newPage } from "./pages";

async function noViolations(page: Page) {
  const violations = (await new AxeBuilder({ page }).analyze()).violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target).join(", ")}`);
  expect(violations, `accessibility violations on ${page.url()}`).toEqual([]);
}

async function enterAsGuest(page: Page, first: string) {
  await page.goto("/u/jessica");
  await hydrated(page);
  await page.getByRole("link", { name: "Enter as guest" }).click();
  await expect(page.getByRole("heading", { name: "Enter as guest" })).toBeVisible();
  await hydrated(page);
  await page.getByLabel("First name").fill(first);
  await page.getByLabel("Last name").fill("Visitor");
  await page.getByLabel("Reason for visit").fill("A rash on my arm");
  await page.getByRole("button", { name: "Enter the waiting room" }).click();
  await expect(page).toHaveURL(/\/u\/jessica\/waiting$/);
  await expect(page.getByRole("heading", { name: "You are in the waiting room" })).toBeVisible();
}

/** The place the guest reads on the page, checked against the sentence beside it. */
async function placeOf(page: Page): Promise<number> {
  const text = await page.getByRole("status").filter({ hasText: "Your place in the queue" }).innerText();
  const [, number, note] = text.match(/Your place in the queue\s*(\d+)\s*(.*)/s)!;
  const place = Number(number);
  expect(note.trim()).toBe(place === 1 ? "You are next." : `${place - 1} ahead of you.`);
  return place;
}

test("a guest sees their place change, without reloading, when a guest ahead of them leaves", async ({ page, browser }) => {
  await page.goto("/u/jessica");
  await hydrated(page);
  await expect(page.getByRole("heading", { name: "Welcome to Jessica Laynes' Clinic" })).toBeVisible();
  await expect(page.getByRole("link", { name: "Sign up" })).toBeVisible();
  await expect(page.getByRole("link", { name: "Log in" })).toBeVisible();
  await noViolations(page);

  const ahead = await newPage(browser);
  await enterAsGuest(ahead, "Ahead");
  await enterAsGuest(page, "Behind");
  await noViolations(page);
  const before = await placeOf(page);
  expect(before).toBe((await placeOf(ahead)) + 1);

  await ahead.getByRole("button", { name: "Leave the waiting room" }).click();
  await expect(ahead).toHaveURL(/\/u\/jessica\?left=1$/);
  await expect(ahead.getByText("You left the waiting room.")).toBeVisible();

  // The page asks again every few seconds: the place moves up with no reload.
  await expect.poll(() => placeOf(page), { timeout: 10_000 }).toBe(before - 1);

  await page.getByRole("button", { name: "Leave the waiting room" }).click();
  await expect(page).toHaveURL(/\/u\/jessica\?left=1$/);
});

test("a patient signs up at /u/jessica, confirms through the email, appears in the admin table, signs out and back in", async ({ page, browser }) => {
  const email = `ana.${Date.now()}@example.com`;
  const password = "Tr1cky-Lantern!";
  await page.goto("/u/jessica");
  await hydrated(page);
  await page.getByRole("link", { name: "Sign up" }).click();
  await expect(page.getByRole("heading", { name: "Sign up" })).toBeVisible();
  await hydrated(page);
  await noViolations(page);

  await page.getByLabel("First name").fill("Ana");
  await page.getByLabel("Last name").fill("Ruiz");
  await page.getByLabel("Email").fill(email);
  const rules = page.locator("#password-rules li");
  await page.getByLabel("Password", { exact: true }).fill("short");
  await expect(rules.filter({ hasText: "(not met)" }).first()).toBeVisible();
  await page.getByLabel("Password", { exact: true }).fill(password);
  await expect(rules.filter({ hasText: "(not met)" })).toHaveCount(0);
  await page.getByLabel("Confirm password").fill(password);
  await page.getByLabel("Date of birth").fill("1990-04-21");
  await page.getByRole("button", { name: "Sign up" }).click();
  await expect(page.getByRole("heading", { name: "Check your email" })).toBeVisible();
  await expect(page.getByRole("status")).toContainText("Check your email to finish signing up");

  // Until confirmed, sign-in answers as for a wrong password, and offers to send the link again.
  const early = new LoginPage(await newPage(browser), true);
  await early.open();
  await early.signIn(email, password);
  await expect(early.page.getByRole("alert").filter({ hasText: "do not match an account" })).toBeVisible();
  await early.page.getByText("Just signed up?").click();
  await expect(early.page.getByRole("button", { name: "Send the link again" })).toBeVisible();

  const mail = await mailTo(email, /confirm your email/);
  const link = mail.text.match(/https?:\/\/\S+\/confirm-email\?token=\S+/)![0];
  await page.goto(link);
  await hydrated(page);
  // The link alone confirms nothing: the password chosen at sign-up goes with it.
  await page.getByRole("button", { name: "Confirm and sign in" }).click();
  await expect(page.locator("#password-error")).toHaveText("Enter the password you chose when you signed up.");
  await page.getByLabel("Password", { exact: true }).fill(password);
  await page.getByRole("button", { name: "Confirm and sign in" }).click();
  await expect(page).toHaveURL(/\/account\?welcome=1$/);
  // From the account, the way back to the clinic's waiting room.
  await expect(page.getByRole("navigation", { name: "Waiting rooms" }).getByRole("link")).toHaveAttribute("href", "/u/jessica");
  await expect(page.getByRole("heading", { name: "Ana Ruiz" })).toBeVisible();
  await expect(page.getByText("Your email is confirmed and you are signed in.")).toBeVisible();
  await hydrated(page);
  await noViolations(page);

  // The admin sees the new member, in the room, Active.
  const admin = await newPage(browser);
  const login = new LoginPage(admin, true);
  await login.open();
  await login.signIn(ADMIN, ADMIN_PASSWORD);
  await expect(admin).toHaveURL(/\/admin\/users$/);
  await hydrated(admin);
  const users = new UsersPage(admin, true);
  await users.search(email);
  const row = users.row(email);
  await expect(row).toHaveCount(1);
  await expect(row).toContainText("Status: Active");
  await expect(row).toContainText("Jessica Laynes' Clinic");
  await expect(row).toContainText("Type: Member");

  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page).toHaveURL(/\/login$/);
  const again = new LoginPage(page, true);
  await hydrated(page);
  await again.signIn(email, password);
  await expect(page).toHaveURL(/\/account$/);
  await expect(page.getByRole("heading", { name: "Ana Ruiz" })).toBeVisible();
});

test.describe("without JavaScript", () => {
  test.use({ javaScriptEnabled: false });

  test("a guest enters the waiting room and a patient signs up", async ({ page }) => {
    await page.goto("/u/jessica/guest");
    await page.getByRole("button", { name: "Enter the waiting room" }).click();
    await expect(page.getByText("Enter the first name.")).toBeVisible();
    await page.getByLabel("First name").fill("Noscript");
    await page.getByLabel("Last name").fill("Guest");
    await page.getByLabel("Reason for visit").fill("Follow-up");
    await page.getByRole("button", { name: "Enter the waiting room" }).click();
    await expect(page).toHaveURL(/\/u\/jessica\/waiting$/);
    await expect(page.getByRole("heading", { name: "You are in the waiting room" })).toBeVisible();
    await page.getByRole("button", { name: "Leave the waiting room" }).click();
    await expect(page).toHaveURL(/\/u\/jessica\?left=1$/);

    await page.goto("/u/jessica/sign-up");
    await page.getByLabel("First name").fill("Noah");
    await page.getByLabel("Last name").fill("Script");
    await page.getByLabel("Email").fill("not-an-email");
    await page.getByLabel("Password", { exact: true }).fill("Tr1cky-Lantern!");
    await page.getByLabel("Confirm password").fill("Tr1cky-Lantern!");
    await page.getByLabel("Date of birth").fill("1985-02-03");
    await page.getByRole("button", { name: "Sign up" }).click();
    await expect(page.getByText("Enter an email address like name@example.com.")).toBeVisible();

    await page.getByLabel("First name").fill("Noah");
    await page.getByLabel("Last name").fill("Script");
    await page.getByLabel("Email").fill(`noah.${Date.now()}@example.com`);
    await page.getByLabel("Password", { exact: true }).fill("Tr1cky-Lantern!");
    await page.getByLabel("Confirm password").fill("Tr1cky-Lantern!");
    await page.getByLabel("Date of birth").fill("1985-02-03");
    await page.getByRole("button", { name: "Sign up" }).click();
    await expect(page.getByRole("heading", { name: "Check your email" })).toBeVisible();
  });
});

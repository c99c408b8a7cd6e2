import { type Locator, type Page } from "@playwright/test";
import AxeBuilder from "@axe-core/playwright";
import { test, expect } from "./fixtures";
import { ADMIN, ADMIN_PASSWORD, detailReady, field, hydrated, mailTo } from "./pages";

// Whole flows with the keyboard alone, at desktop width and on a phone: every control is
// reached by Tab, every step leaves focus somewhere a keyboard user can go on from (never the
// page body), no page scrolls sideways, and every page passes axe. The fixture fails the test
// on any console error or panic.

/** Presses Tab (or `key`) until `target` has focus; fails if `max` presses do not reach it. */
async function tabTo(page: Page, target: Locator, max = 60, key = "Tab") {
  for (let i = 0; i < max; i++) {
    if (await target.evaluate((el) => el === document.activeElement).catch(() => false)) return;
    await page.keyboard.press(key);
  }
  await expect(target, `reached by Tab within ${max} presses`).toBeFocused();
}

/** The page is in a state a keyboard user can go on from: focus is on an element, not lost. */
async function focusHeld(page: Page, where: string) {
  const focused = () =>
    page.evaluate(() => {
      const el = document.activeElement;
      return !el || el === document.body ? "" : `${el.tagName.toLowerCase()}#${el.id}`;
    });
  await expect.poll(focused, { message: `focus after ${where}` }).not.toBe("");
}

async function checkPage(page: Page, where: string) {
  const sideways = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  expect(sideways, `${where} scrolls sideways`).toBeLessThanOrEqual(0);
  const violations = (await new AxeBuilder({ page }).analyze()).violations.map(
    (v) => `${v.id}: ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`,
  );
  expect(violations, `accessibility violations on ${where}`).toEqual([]);
}

for (const size of [{ width: 1280, height: 800 }, { width: 390, height: 844 }]) {
  const phone = size.width < 720;
  // Names hold letters only: the width in words.
  const width = phone ? "Narrow" : "Wide";
  test.describe(`at ${size.width} px`, () => {
    test.use({ viewport: size });

    test("an admin by keyboard: sign in, create, find, edit, save, close, delete", async ({ page }) => {
      const last = `Keyes${width}`;
      const email = `kira.keyes.${size.width}.${Date.now()}@example.com`;

      await page.goto("/login");
      await hydrated(page);
      await tabTo(page, page.getByLabel("Username"));
      await page.keyboard.type(ADMIN);
      await page.keyboard.press("Tab");
      await expect(page.getByLabel("Password")).toBeFocused();
      await page.keyboard.type(ADMIN_PASSWORD);
      await page.keyboard.press("Enter");
      await expect(page).toHaveURL(/\/admin\/users$/);
      await hydrated(page);
      // The page the router brought: focus on its heading, which a screen reader reads.
      await expect(page.getByRole("heading", { name: "Users", level: 1 })).toBeFocused();
      await checkPage(page, "the users page");

      if (phone) {
        // The navigation waits behind Menu; Escape folds it away and returns to the button.
        const menu = page.getByRole("button", { name: "Menu" });
        const nav = page.getByRole("navigation", { name: "Admin" });
        await expect(nav).toBeHidden();
        await tabTo(page, menu, 10, "Shift+Tab");
        await page.keyboard.press("Enter");
        await expect(menu).toHaveAttribute("aria-expanded", "true");
        await expect(nav.getByRole("link", { name: "Settings" })).toBeVisible();
        await checkPage(page, "the open menu");
        await page.keyboard.press("Tab");
        await expect(nav.getByRole("link", { name: "Users" })).toBeFocused();
        await page.keyboard.press("Escape");
        await expect(nav).toBeHidden();
        await expect(menu).toBeFocused();
      } else {
        await expect(page.getByRole("button", { name: "Menu" })).toBeHidden();
      }

      // Create a Member.
      await tabTo(page, page.getByRole("link", { name: "New Member" }));
      await page.keyboard.press("Enter");
      const create = page.getByRole("dialog", { name: "Create a Member" });
      await expect(field(page, "First Name")).toBeVisible();
      await focusHeld(page, "New Member");
      const picker = create.getByLabel("Add a room");
      const chips = create.getByRole("button", { name: /^Remove / });
      if ((await chips.count()) === 0) {
        await tabTo(page, picker);
        await page.keyboard.press("ArrowDown");
        await page.keyboard.press("Enter");
        await expect(chips).toHaveCount(1);
      }
      for (const [name, value] of [["First Name", "Kira"], ["Last Name", last], ["Email", email]]) {
        await tabTo(page, field(page, name));
        await page.keyboard.type(value);
      }
      await checkPage(page, "Create a Member");
      await page.keyboard.press("Enter");
      const notice = page.locator("#action-notice");
      await expect(notice).toContainText(`Kira ${last} was created`);
      await expect(notice).toBeFocused();

      // Find them.
      const search = page.getByRole("searchbox", { name: "Search users" });
      await tabTo(page, search);
      await page.keyboard.type(last);
      await page.keyboard.press("Enter");
      await expect(page.locator("#users-count-said")).toHaveText("1 user");
      await expect(search).toBeFocused();

      // Open, edit, save, close.
      const edit = page.getByRole("link", { name: `Edit Kira ${last}` });
      await tabTo(page, edit);
      await page.keyboard.press("Enter");
      const detail = page.getByRole("dialog", { name: `MEMBER DETAIL: KIRA ${last.toUpperCase()}` });
      await detailReady(page);
      await expect(detail.getByRole("tab", { name: "Profile" })).toBeFocused();
      await checkPage(page, "the member detail");
      await tabTo(page, field(page, "City (optional)"));
      await page.keyboard.type("Porto");
      await page.keyboard.press("Enter");
      await expect(detail.getByRole("status").filter({ hasText: "Saved." })).toBeVisible();
      await expect(field(page, "City (optional)")).toBeFocused();
      // Every tab, by the arrow keys.
      await tabTo(page, detail.getByRole("tab", { name: "Profile" }));
      for (const name of ["Rooms", "Management", "Other"]) {
        await page.keyboard.press("ArrowRight");
        await expect(detail.getByRole("tab", { name, selected: true })).toBeFocused();
        await checkPage(page, `the ${name} tab`);
      }
      await page.keyboard.press("Escape");
      await expect(detail).toHaveCount(0);
      await expect(edit).toBeFocused();

      // Delete, typing the username to confirm.
      const del = page.getByRole("link", { name: `Delete Kira ${last}` });
      await tabTo(page, del);
      await page.keyboard.press("Enter");
      const confirm = page.getByRole("dialog", { name: `Delete Kira ${last}?` });
      await expect(confirm.getByLabel(/Type the username/)).toBeFocused();
      await checkPage(page, "the delete confirmation");
      await page.keyboard.type(email);
      await page.keyboard.press("Enter");
      await expect(confirm).toHaveCount(0);
      await expect(notice).toContainText(`Kira ${last} was deleted.`);
      await expect(notice).toBeFocused();
    });

    test("a patient by keyboard: enter as a guest and leave; sign up, confirm, reach the account and the waiting room", async ({ page }) => {
      // A guest.
      await page.goto("/u/jessica");
      await hydrated(page);
      await checkPage(page, "the room's page");
      await tabTo(page, page.getByRole("link", { name: "Enter as guest" }));
      await page.keyboard.press("Enter");
      await expect(page.getByRole("heading", { name: "Enter as guest" })).toBeVisible();
      await hydrated(page);
      await checkPage(page, "guest entry");
      for (const [name, value] of [["First name", "Tab"], ["Last name", `Visitor${width}`], ["Reason for visit", "A sore throat"]]) {
        await tabTo(page, page.getByLabel(name));
        await page.keyboard.type(value);
      }
      // Enter in the reason (several lines) starts a new line: the button sends.
      await tabTo(page, page.getByRole("button", { name: "Enter the waiting room" }));
      await page.keyboard.press("Enter");
      await expect(page).toHaveURL(/\/u\/jessica\/waiting$/);
      await hydrated(page);
      await expect(page.getByRole("heading", { name: "You are in the waiting room" })).toBeFocused();
      await checkPage(page, "the waiting room");
      await tabTo(page, page.getByRole("button", { name: "Leave the waiting room" }));
      await page.keyboard.press("Enter");
      await expect(page).toHaveURL(/\/u\/jessica\?left=1$/);
      await hydrated(page);
      await expect(page.getByRole("heading", { level: 1 })).toBeFocused();

      // A patient signs up.
      const email = `tabby.${size.width}.${Date.now()}@example.com`;
      const password = "Keyboard-Only-Visit-41";
      await tabTo(page, page.getByRole("link", { name: "Sign up" }));
      await page.keyboard.press("Enter");
      await expect(page).toHaveURL(/\/u\/jessica\/sign-up$/);
      await hydrated(page);
      await checkPage(page, "sign-up");
      const form: [string, string][] = [
        ["First name", "Tabby"],
        ["Last name", `Keys${width}`],
        ["Email", email],
        ["Password", password],
        ["Confirm password", password],
        // Chromium's date field, typed as its parts: month, day, year.
        ["Date of birth", "04211990"],
      ];
      for (const [name, value] of form) {
        await tabTo(page, page.getByLabel(name, { exact: true }));
        await page.keyboard.type(value);
      }
      await page.keyboard.press("Enter");
      await expect(page.getByRole("heading", { name: "Check your email" })).toBeVisible();
      await expect(page.getByRole("heading", { name: "Check your email" })).toBeFocused();
      await checkPage(page, "check your email");

      const mail = await mailTo(email, /confirm your email/);
      await page.goto(mail.text.match(/https?:\/\/\S+\/confirm-email\?token=\S+/)![0]);
      await hydrated(page);
      await checkPage(page, "confirm email");
      await tabTo(page, page.getByLabel("Password", { exact: true }));
      await page.keyboard.type(password);
      await page.keyboard.press("Enter");
      await expect(page).toHaveURL(/\/account\?welcome=1$/);
      await hydrated(page);
      await expect(page.getByRole("heading", { level: 1 })).toBeFocused();
      await checkPage(page, "the account");
      const room = page.getByRole("navigation", { name: "Waiting rooms" }).getByRole("link").first();
      await tabTo(page, room);
      await page.keyboard.press("Enter");
      await expect(page).toHaveURL(/\/u\/jessica$/);
      await hydrated(page);
      await checkPage(page, "the room's page, signed in");
    });
  });
}

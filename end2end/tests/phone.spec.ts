import { type Page } from "@playwright/test";
import { test, expect } from "./fixtures";
import { createMember, detailReady, hydrated, signInAdmin as signIn } from "./pages";

// The admin's pages on a 390 × 844 phone: nothing scrolls the page sideways, every tab and
// action can be reached, and the navigation's links are apart and big enough to touch.

test.use({ viewport: { width: 390, height: 844 } });

/** How far the page reaches past the viewport's right edge, in CSS pixels. */
const overflow = (page: Page) =>
  page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);

/** The element reaching furthest right, to say what overflows when something does. */
const widest = (page: Page) =>
  page.evaluate(() => {
    let found = "";
    let right = window.innerWidth;
    for (const el of Array.from(document.querySelectorAll("body *"))) {
      const r = el.getBoundingClientRect().right;
      if (r > right) {
        right = r;
        found = `${el.tagName.toLowerCase()}.${el.className} "${(el.textContent ?? "").slice(0, 40)}" to ${Math.round(r)} px`;
      }
    }
    return found;
  });

test("no admin page scrolls sideways at 390 px, and the navigation waits behind Menu, its links apart and touchable", async ({ page }) => {
  await signIn(page);
  for (const path of ["/account/security", "/provider", "/admin/users", "/admin/rooms", "/admin/audit", "/admin/settings"]) {
    await page.goto(path);
    await hydrated(page);
    expect(await overflow(page), `${path} scrolls sideways: ${await widest(page)}`).toBeLessThanOrEqual(0);
  }
  // The navigation waits behind Menu, a touchable button, and opens below the bar.
  const nav = page.getByRole("navigation", { name: "Admin" });
  const menu = page.getByRole("button", { name: "Menu" });
  await expect(nav).toBeHidden();
  expect((await menu.boundingBox())!.height, "Menu's touch target").toBeGreaterThanOrEqual(44);
  await menu.click();
  await expect(menu).toHaveAttribute("aria-expanded", "true");
  await expect(page.getByRole("button", { name: "Sign out" })).toBeVisible();
  expect(await overflow(page), `the open menu scrolls sideways: ${await widest(page)}`).toBeLessThanOrEqual(0);
  const boxes = [];
  for (const name of ["Users", "Rooms", "Audit", "Settings"]) {
    const box = (await nav.getByRole("link", { name }).boundingBox())!;
    expect(box.height, `${name}'s touch target`).toBeGreaterThanOrEqual(44);
    boxes.push(box);
  }
  for (let i = 1; i < boxes.length; i++) {
    const [a, b] = [boxes[i - 1], boxes[i]];
    const apart = b.x >= a.x + a.width + 8 || b.y >= a.y + a.height;
    expect(apart, "links have room between them").toBe(true);
  }
  // Following a link folds the menu away on the new page.
  await nav.getByRole("link", { name: "Rooms" }).click();
  await expect(page).toHaveURL(/\/admin\/rooms$/);
  await expect(nav).toBeHidden();
  await expect(menu).toHaveAttribute("aria-expanded", "false");
});

test("the member detail's tabs all sit inside the dialog at 390 px, anchored to its top", async ({ page }) => {
  await signIn(page);
  const id = await createMember(page, {
    first: "Ana",
    last: "Lobo",
    email: `ana.lobo.${Date.now()}@example.com`,
  });
  await page.goto(`/admin/users?member=${id}&tab=profile`);
  await hydrated(page);
  const detail = page.getByRole("dialog", { name: "MEMBER DETAIL: ANA LOBO" });
  await detailReady(page);
  const dialogBox = (await detail.boundingBox())!;
  const tops: number[] = [];
  for (const name of ["Profile", "Rooms", "Management", "Other"]) {
    const tab = detail.getByRole("tab", { name });
    const box = (await tab.boundingBox())!;
    expect(box.x, `${name} starts inside`).toBeGreaterThanOrEqual(dialogBox.x);
    expect(box.x + box.width, `${name} ends inside`).toBeLessThanOrEqual(dialogBox.x + dialogBox.width + 0.5);
    await tab.click();
    tops.push((await detail.getByRole("tablist").boundingBox())!.y);
  }
  expect(new Set(tops).size, `the tab bar stays put: ${tops.join(", ")}`).toBe(1);
  expect(await overflow(page), `the page scrolls sideways: ${await widest(page)}`).toBeLessThanOrEqual(0);
});

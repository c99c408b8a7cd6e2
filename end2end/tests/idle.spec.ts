import { test, expect } from "./fixtures";
import { ADMIN, ADMIN_PASSWORD, LoginPage, hydrated } from "./pages";

// The demo clinic signs out after 30 idle minutes. The browser signs out a minute early
// (at 29) and warns a minute before that (at 28). The page's clock is Playwright's, moved
// forward by hand; the server's clock is real, so the session really is alive until the
// browser ends it.
test("an idle admin is warned a minute before being signed out, can stay, and is signed out after", async ({
  page,
}) => {
  await page.clock.install();
  const login = new LoginPage(page, true);
  await login.open();
  await login.signIn(ADMIN, ADMIN_PASSWORD);
  await expect(page).toHaveURL(/\/admin\/users$/);
  await hydrated(page);
  const warning = page.getByRole("dialog", { name: "Are you still there?" });

  await page.clock.fastForward("27:50");
  await expect(warning).toBeHidden();
  await page.clock.fastForward("00:15");
  await expect(warning).toBeVisible();
  await expect(warning).toContainText(/you will be signed out in \d+ seconds/);
  await expect(warning.getByRole("button", { name: "Stay signed in" })).toBeFocused();
  await warning.getByRole("button", { name: "Stay signed in" }).click();
  await expect(warning).toBeHidden();

  // Activity starts the time again.
  await page.clock.fastForward("20:00");
  await page.getByRole("searchbox", { name: "Search users" }).press("a");
  await page.clock.fastForward("20:00");
  await expect(warning).toBeHidden();
  await page.clock.fastForward("08:30");
  await expect(warning).toBeVisible();

  await page.clock.fastForward("01:00");
  await expect(page).toHaveURL(/\/login\?idle=1$/);
  await expect(page.getByText("You were signed out because Frontdesk was not used for a while.")).toBeVisible();
  // Ended on the server too, not only in this browser.
  await page.goto("/admin/users");
  await expect(page).toHaveURL(/\/login$/);
});

// The clinic's idle time reaches the idle watch inside the page, with the rest of who is
// signed in: opening a page asks the server nothing more about it.
test("opening an admin page asks the server nothing more about who is signed in", async ({ page }) => {
  const login = new LoginPage(page, true);
  await login.open();
  await login.signIn(ADMIN, ADMIN_PASSWORD);
  await expect(page).toHaveURL(/\/admin\/users$/);
  // Signing in opened the users page in the app itself, which asks; let that finish first.
  await hydrated(page);
  await page.waitForLoadState("networkidle");
  const asked: string[] = [];
  page.on("request", (request) => {
    const path = new URL(request.url()).pathname;
    if (path.startsWith("/api/")) asked.push(path);
  });
  await page.goto("/admin/users");
  await hydrated(page);
  await page.waitForLoadState("networkidle");
  expect(asked).not.toContain("/api/auth/me");
});

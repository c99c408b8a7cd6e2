import { test, expect, watch } from "./fixtures";
import { ADMIN, ADMIN_PASSWORD, LoginPage, UsersPage, detailReady, field, hydrated, signInAdmin, sql } from "./pages";

for (const js of [true, false]) {
  test.describe(js ? "with JavaScript" : "without JavaScript", () => {
    test.use({ javaScriptEnabled: js });

    test("the demo admin signs in and sees Jane Gomez's row", async ({ page }) => {
      const login = new LoginPage(page, js);
      await login.open();
      await login.signIn(ADMIN, ADMIN_PASSWORD);

      await expect(page).toHaveURL(/\/admin\/users$/);
      const users = new UsersPage(page, js);
      // The checkboxes of bulk actions work with JavaScript only, and show only then.
      const columns = ["Last login", "User", "Room", "Action"];
      await expect(page.getByRole("columnheader")).toHaveText(js ? ["Select", ...columns] : columns);
      // The newest sign-ups come first: in a fresh demo that is Jane Gomez, after other specs
      // whoever they added. Her row, as the article shows it, by her name.
      await page.goto("/admin/users?q=jane.gomez");
      const jane = users.row("User name: jane.gomez@me.com");
      await expect(jane).toHaveCount(1);
      await expect(jane).toContainText("ID: 21408246");
      await expect(jane).toContainText("Portal ID: cmouser21408246");
      await expect(jane).toContainText("Code: TVJC-jessica");
      await expect(jane).toContainText("Link: /u/jessica");
      // The demo admin reads times in UTC, as the article shows them.
      await expect(jane).toContainText("Sign up: 2022-04-08 14:23:38 UTC");
      await expect(jane).toContainText("Status: Active");
    });

    test("searching \"gom\" shows only matching rows", async ({ page }) => {
      const login = new LoginPage(page, js);
      await login.open();
      await login.signIn(ADMIN, ADMIN_PASSWORD);
      await expect(page).toHaveURL(/\/admin\/users$/);
      if (js) await hydrated(page);

      const users = new UsersPage(page, js);
      await users.search("gom");

      // Without JavaScript the browser sends every toolbar field; with it the URL is minimal.
      await expect(page).toHaveURL(js ? /\/admin\/users\?q=gom$/ : /\/admin\/users\?q=gom&/);
      await expect(users.row("User name: jane.gomez@me.com")).toHaveCount(1);
      // Every User cell matches once the search has landed (with JavaScript it lands
      // without a reload, so wait for it rather than read the rows once).
      const cells = users.rows().getByRole("cell");
      const fold = (t: string) => t.normalize("NFD").replace(/\p{M}/gu, "").toLowerCase();
      await expect
        .poll(async () => {
          // Four cells a row, and with JavaScript a checkbox's first; then the User cell.
          const n = js ? 5 : 4;
          const texts = (await cells.allInnerTexts()).filter((_, i) => i % n === n - 3).map(fold);
          return texts.length > 1 && texts.every((t) => /(^|\s|:\s|\.)gom/.test(t));
        })
        .toBe(true);
      await expect(users.searchBox()).toHaveValue("gom");
    });

    test("a wrong password is refused with a message", async ({ page }) => {
      const login = new LoginPage(page, js);
      await login.open();
      await login.signIn(ADMIN, "Not-The-Password-1");

      await expect(login.alert()).toHaveText("That username and password do not match an account.");
      await expect(page).toHaveURL(/\/login/);
    });

    test("signing out ends the session", async ({ page }) => {
      const login = new LoginPage(page, js);
      await login.open();
      await login.signIn(ADMIN, ADMIN_PASSWORD);
      await expect(page).toHaveURL(/\/admin\/users$/);
      if (js) await hydrated(page);

      await page.getByRole("button", { name: "Sign out" }).click();
      await expect(page).toHaveURL(/\/login$/);

      await page.goto("/admin/users");
      await expect(page).toHaveURL(/\/login$/);
    });
  });
}

test("anonymous visitors of the users page are sent to sign in", async ({ page }) => {
  await page.goto("/admin/users");
  await expect(page).toHaveURL(/\/login$/);
  await expect(page.getByRole("heading", { name: "Sign in" })).toBeVisible();
});

test("the admin navigation is a list of links that stay apart without the stylesheet", async ({ page }) => {
  await signInAdmin(page);
  const nav = page.getByRole("navigation", { name: "Admin" });
  await expect(nav.getByRole("listitem")).toHaveCount(6);
  // What a text browser, reader mode or a copy of the page reads: one link a line.
  const text = await nav.evaluate((el) => {
    document.querySelectorAll<HTMLLinkElement>('link[rel="stylesheet"]').forEach((l) => (l.disabled = true));
    return (el as HTMLElement).innerText;
  });
  expect(text.split("\n").map((line) => line.trim()).filter(Boolean)).toEqual([
    "Users", "Rooms", "Audit", "Settings", "Patients waiting", "Security",
  ]);
});

test("an admin who moves to Tokyo reads every time there, on the server's page as after hydration", async ({ page }) => {
  const users = await signInAdmin(page);
  const setZone = async (zone: string) => {
    await page.goto("/admin/users?q=admin%40frontdesk.test");
    await hydrated(page);
    await users.rows().first().getByRole("link", { name: "Edit Alex Morgan" }).click();
    await detailReady(page);
    await field(page, "Timezone (optional)").selectOption(zone);
    await page.getByRole("dialog").getByRole("button", { name: "Save" }).click();
    await expect(page.getByRole("dialog").getByText("Saved.")).toBeVisible();
  };
  await setZone("Asia/Tokyo");
  try {
    const served = await (await page.request.get("/admin/users?q=jane.gomez")).text();
    expect(served).toContain("Sign up: 2022-04-08 23:23:38 JST");
    await page.goto("/admin/users?q=jane.gomez");
    await hydrated(page);
    await expect(users.row("User name: jane.gomez@me.com")).toContainText("Sign up: 2022-04-08 23:23:38 JST");
    await page.getByRole("link", { name: "Audit" }).click();
    await expect(page.getByRole("table").getByRole("row").nth(1)).toContainText(/ JST/);
  } finally {
    await setZone("UTC");
  }
});

test("an admin whose profile names no zone reads times in the browser's, served and hydrated", async ({ browser }) => {
  const context = await browser.newContext({ timezoneId: "Asia/Kolkata" });
  const page = await context.newPage();
  watch(page);
  sql(`UPDATE users SET timezone = '' WHERE username = '${ADMIN}'`);
  try {
    // Sign-in's page tells the server the browser's zone; every page after is in it.
    await signInAdmin(page);
    const served = await (await page.request.get("/admin/users?q=jane.gomez")).text();
    expect(served).toContain("Sign up: 2022-04-08 19:53:38 IST");
    await page.goto("/admin/users?q=jane.gomez");
    await hydrated(page);
    await expect(new UsersPage(page, true).row("User name: jane.gomez@me.com")).toContainText(
      "Sign up: 2022-04-08 19:53:38 IST",
    );
  } finally {
    sql(`UPDATE users SET timezone = 'UTC' WHERE username = '${ADMIN}'`);
    await context.close();
  }
});

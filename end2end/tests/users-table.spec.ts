import { readFile } from "node:fs/promises";
import { type Page } from "@playwright/test";
import { test, expect } from "./fixtures";
import { ADMIN, ADMIN_PASSWORD, LoginPage, UsersPage, hydrated } from "./pages";

async function signIn(page: Page, js: boolean) {
  const login = new LoginPage(page, js);
  await login.open();
  await login.signIn(ADMIN, ADMIN_PASSWORD);
  await expect(page).toHaveURL(/\/admin\/users$/);
  if (js) await hydrated(page);
  return new UsersPage(page, js);
}

/** The records of a CSV file (RFC 4180: quoted fields may hold commas, quotes and breaks). */
function csvRecords(text: string): string[][] {
  const records: string[][] = [];
  let record: string[] = [];
  let field = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') { field += '"'; i++; }
      else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ",") { record.push(field); field = ""; }
    else if (c === "\n" || c === "\r") {
      if (c === "\r" && text[i + 1] === "\n") i++;
      record.push(field); records.push(record); record = []; field = "";
    } else field += c;
  }
  if (field !== "" || record.length > 0) { record.push(field); records.push(record); }
  return records;
}

/** The first row's User cell (name, ID, user name), with JavaScript or without (where the
 * Select column is not there). */
async function firstUserCell(users: UsersPage) {
  return users.rows().first().getByRole("cell").filter({ hasText: "User name:" }).innerText();
}

test.describe("with JavaScript", () => {
  test("typing searches as you type, without a reload", async ({ page }) => {
    const users = await signIn(page, true);
    await page.evaluate(() => ((window as unknown as { marker: number }).marker = 42));

    await users.searchBox().pressSequentially("gom", { delay: 30 });

    await expect(page).toHaveURL(/\/admin\/users\?q=gom$/);
    await expect(users.row("User name: jane.gomez@me.com")).toHaveCount(1);
    await expect(users.rows().filter({ hasText: "Sign up:" })).not.toHaveCount(0);
    const marker = await page.evaluate(() => (window as unknown as { marker?: number }).marker);
    expect(marker, "the page did not reload").toBe(42);
  });

  test("the first keystroke searches at once; the rest of a quick burst waits for the pause", async ({ page }) => {
    const users = await signIn(page, true);
    const searched: string[] = [];
    page.on("request", (request) => {
      if (new URL(request.url()).pathname === "/api/members/table") {
        searched.push(new URLSearchParams(request.postData() ?? "").get("query[q]") ?? "");
      }
    });

    await users.searchBox().pressSequentially("gom", { delay: 30 });

    await expect(page).toHaveURL(/\/admin\/users\?q=gom$/);
    await expect(users.row("User name: jane.gomez@me.com")).toHaveCount(1);
    expect(searched).toEqual(["g", "gom"]);
  });

  test("Export CSV downloads the view the table shows, in its order", async ({ page }) => {
    const users = await signIn(page, true);
    await users.searchBox().pressSequentially("ma", { delay: 30 });
    await expect(page).toHaveURL(/q=ma/);
    await page.getByLabel("Status").selectOption("active");
    await expect(page).toHaveURL(/status=active/);
    const shown = (await users.rows().getByText(/^User name: /).allInnerTexts()).map((t) => t.replace("User name: ", ""));
    expect(shown.length).toBeGreaterThan(0);
    const link = page.getByRole("link", { name: "Export CSV" });
    await expect(link).toHaveAttribute("href", /\/admin\/users\/export\.csv\?.*q=ma/);
    const [download] = await Promise.all([page.waitForEvent("download"), link.click()]);
    expect(download.suggestedFilename()).toBe("users.csv");
    const file = await readFile(await download.path(), "utf8");
    expect(file.startsWith("\uFEFF"), "a byte-order mark first, for spreadsheets").toBe(true);
    const [header, ...rows] = csvRecords(file.slice(1));
    expect(header.slice(0, 4)).toEqual(["ID", "Portal ID", "User Type", "Status"]);
    const username = header.indexOf("Username");
    const exported = rows.map((r) => r[username]);
    // The table shows its first page; the file holds the whole view, in the same order.
    expect(exported.slice(0, shown.length)).toEqual(shown);
    for (const r of rows) expect(r[header.indexOf("Status")]).toBe("Active");
  });

  test("a filter applies at once and lands in the URL", async ({ page }) => {
    const users = await signIn(page, true);

    await page.getByLabel("Status").selectOption("suspended");

    await expect(page).toHaveURL(/status=suspended/);
    const statuses = users.rows().getByText(/^Status: /);
    await expect(statuses.first()).toHaveText("Status: Suspended");
    const shown = await statuses.allInnerTexts();
    expect(shown.length).toBeGreaterThan(0);
    for (const text of shown) expect(text).toBe("Status: Suspended");
  });

  test("Next and Previous page through the table; reload keeps the view", async ({ page }) => {
    const users = await signIn(page, true);
    await page.getByLabel("Sort by").selectOption("name");
    await expect(page).toHaveURL(/sort=name/);
    // Read the first page as the server renders it for this URL.
    await page.reload();
    await hydrated(page);
    const first = await firstUserCell(users);

    await page.getByRole("link", { name: "Next" }).click();
    await expect(page).toHaveURL(/after=/);
    await expect.poll(() => firstUserCell(users)).not.toBe(first);
    const second = await firstUserCell(users);

    await page.reload();
    await hydrated(page);
    expect(await firstUserCell(users)).toBe(second);
    await expect(page.getByLabel("Sort by")).toHaveValue("name");

    await page.getByRole("link", { name: "Previous" }).click();
    await expect(page).toHaveURL(/before=/);
    await expect.poll(() => firstUserCell(users)).toBe(first);

    await page.goBack();
    await expect.poll(() => firstUserCell(users)).toBe(second);
  });

  test("an empty result says so and offers to clear the filters", async ({ page }) => {
    const users = await signIn(page, true);

    await users.searchBox().fill("zzzz-nobody");

    await expect(page.locator(".members-table").getByText("No users match this search and these filters.")).toBeVisible();
    await page.getByRole("link", { name: "Clear search and filters" }).click();
    await expect(page).toHaveURL(/\/admin\/users$/);
    // The whole clinic again: a full first page (other specs add members, so which rows
    // it holds depends on the order the specs ran in).
    await expect(users.rows()).toHaveCount(25);
    await expect(users.searchBox()).toHaveValue("");
  });
});

test.describe("without JavaScript", () => {
  test.use({ javaScriptEnabled: false });

  test("filters apply with the Apply button and paging follows links", async ({ page }) => {
    const users = await signIn(page, false);

    await page.getByLabel("Status").selectOption("suspended");
    await page.getByRole("button", { name: "Apply" }).click();

    await expect(page).toHaveURL(/status=suspended/);
    const statuses = await users.rows().getByText(/^Status: /).allInnerTexts();
    expect(statuses.length, "the demo clinic has suspended members to show").toBeGreaterThan(0);
    for (const text of statuses) expect(text).toBe("Status: Suspended");

    await page.goto("/admin/users?sort=name");
    const first = await firstUserCell(users);
    await page.getByRole("link", { name: "Next" }).click();
    await expect(page).toHaveURL(/after=/);
    expect(await firstUserCell(users)).not.toBe(first);
    await page.getByRole("link", { name: "Previous" }).click();
    expect(await firstUserCell(users)).toBe(first);
  });
});

import { test, expect } from "./fixtures";
import { ADMIN, ADMIN_PASSWORD, hydrated } from "./pages";

// The release build's bundle, as a browser fetches it: the page links files named by their
// content, sent as compressed at build time, which the browser may keep for a year.
test("the page links the content-named bundle, sent precompressed and kept for a year", async ({ page }) => {
  const bundle: { url: string; encoding?: string; length?: string; cache?: string }[] = [];
  page.on("response", async (response) => {
    if (new URL(response.url()).pathname.startsWith("/pkg/")) {
      const headers = await response.allHeaders();
      bundle.push({
        url: response.url(),
        encoding: headers["content-encoding"],
        length: headers["content-length"],
        cache: headers["cache-control"],
      });
    }
  });
  const response = await page.goto("/login");
  expect(response?.headers()["cache-control"]).toBe("no-store");
  await hydrated(page);

  const names = bundle.map((f) => new URL(f.url).pathname).sort();
  expect(names).toEqual(
    expect.arrayContaining([
      expect.stringMatching(/^\/pkg\/frontdesk\.[A-Za-z0-9_-]{22}\.css$/),
      expect.stringMatching(/^\/pkg\/frontdesk\.[A-Za-z0-9_-]{22}\.js$/),
      expect.stringMatching(/^\/pkg\/frontdesk\.[A-Za-z0-9_-]{22}\.wasm$/),
    ]),
  );
  for (const file of bundle) {
    // Chromium asks for brotli over HTTPS and localhost, gzip elsewhere: both are on disk.
    expect(["br", "gzip"], file.url).toContain(file.encoding);
    // Compressed on the fly, a file would be sent in chunks, without a length.
    expect(Number(file.length), file.url).toBeGreaterThan(0);
    expect(file.cache, file.url).toBe("public, max-age=31536000, immutable");
  }
});

// A patient's page and sign-in are served with the patients' bundle, which holds none of
// the admin pages; an admin signing in there lands on the users page with the app's bundle.
test("patients' pages load their own smaller bundle; signing in from one loads the admin's", async ({ page }) => {
  const wasm: { path: string; bytes: number }[] = [];
  page.on("response", async (response) => {
    const path = new URL(response.url()).pathname;
    if (path.startsWith("/pkg/") && path.endsWith(".wasm")) {
      wasm.push({ path, bytes: (await response.body()).length });
    }
  });
  await page.goto("/u/jessica");
  await hydrated(page);
  await expect(page.getByRole("link", { name: "Log in" })).toBeVisible();
  await expect(page.locator("leptos-island")).toHaveCount(0);
  expect(wasm).toHaveLength(1);
  const patients = wasm[0];

  // Sign-in is a patients' page too: the room's link loads it with the same bundle.
  await page.getByRole("link", { name: "Log in" }).click();
  await expect(page).toHaveURL(/\/login\?next=/);
  await hydrated(page);
  await page.goto("/login");
  await hydrated(page);
  expect(new Set(wasm.map((w) => w.path))).toEqual(new Set([patients.path]));
  // Served as islands: the sign-in form is the page's one live part; the room's page
  // before it had none.
  await expect(page.locator("leptos-island")).toHaveCount(1);
  await expect(page.locator("leptos-island form")).toHaveAttribute("action", "/api/auth/login");

  // The users page is not in the patients' app: the sign-in's redirect loads it anew.
  await page.getByLabel("Username").fill(ADMIN);
  await page.getByLabel("Password").fill(ADMIN_PASSWORD);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(/\/admin\/users$/);
  await hydrated(page);
  await expect(page.getByRole("searchbox", { name: "Search users" })).toBeVisible();
  const admin = wasm.find((w) => w.path !== patients.path);
  expect(admin, "the admin's bundle was loaded").toBeDefined();
  expect(patients.bytes).toBeLessThan(admin!.bytes / 2);

  // Typing in the search shows the rows: the page is live with the admin's bundle.
  await page.getByRole("searchbox", { name: "Search users" }).fill("jane.gomez");
  await expect(page.getByRole("table").getByRole("row").filter({ hasText: "jane.gomez@me.com" })).toBeVisible();

  // The hand-over left one history entry for the users page: Back returns to sign-in.
  await page.goBack();
  await expect(page).toHaveURL(/\/login$/);
});

// A path no router holds, though it looks like a patient's, is not found: served so, and
// left so once hydrated (not loaded again and again).
test("a patient's path with a slash too many is not found, once", async ({ page }) => {
  const documents: string[] = [];
  page.on("request", (r) => {
    if (r.resourceType() === "document") documents.push(r.url());
  });
  for (const path of ["/u/jessica//", "/login//"]) {
    documents.length = 0;
    const response = await page.goto(path);
    expect(response?.status(), path).toBe(404);
    await hydrated(page);
    await expect(page.getByRole("heading", { name: "Page not found" })).toBeVisible();
    await page.waitForLoadState("networkidle");
    expect(documents, path).toHaveLength(1);
  }
});

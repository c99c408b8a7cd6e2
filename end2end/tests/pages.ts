import { expect, type Browser, type Page, type Locator } from "@playwright/test";
import { execFileSync } from "node:child_process";
import { watch } from "./fixtures";

export const ADMIN = "admin@frontdesk.test";
export const ADMIN_PASSWORD = process.env.FRONTDESK_DEMO_ADMIN_PASSWORD ?? "";

/**
 * Waits until the page has hydrated (with JavaScript on). Allows more than the usual five
 * seconds: this is about whether the bundle takes over, not how fast (`make bench` times
 * that), and a machine busy with other work may be slow to compile the bundle.
 */
export async function hydrated(page: Page) {
  try {
    await expect(page.locator("body[data-hydrated]")).toHaveCount(1, { timeout: 15_000 });
  } catch (e) {
    // Say how far the page got: the document, and the bundle's files as the browser saw them.
    const state = await page
      .evaluate(() => ({
        url: location.href,
        readyState: document.readyState,
        bundle: performance
          .getEntriesByType("resource")
          .filter((r) => r.name.includes("/pkg/"))
          .map((r) => {
            const t = r as PerformanceResourceTiming;
            return `${t.name.split("/").pop()}: ${Math.round(t.startTime)}–${Math.round(t.responseEnd)} ms, ${t.transferSize} B`;
          }),
        now: Math.round(performance.now()),
      }))
      .catch((err) => String(err));
    throw new Error(`${(e as Error).message}\npage state: ${JSON.stringify(state, null, 2)}`);
  }
}

export class LoginPage {
  constructor(readonly page: Page, readonly js: boolean) {}

  async open() {
    await this.page.goto("/login");
    if (this.js) await hydrated(this.page);
  }

  async signIn(username: string, password: string) {
    await this.page.getByLabel("Username").fill(username);
    await this.page.getByLabel("Password").fill(password);
    await this.page.getByRole("button", { name: "Sign in" }).click();
  }

  alert(): Locator {
    return this.page.getByRole("alert");
  }
}

export class UsersPage {
  constructor(readonly page: Page, readonly js: boolean) {}

  searchBox(): Locator {
    return this.page.getByRole("searchbox", { name: "Search users" });
  }

  async search(text: string) {
    await this.searchBox().fill(text);
    await this.searchBox().press("Enter");
  }

  rows(): Locator {
    return this.page.getByRole("table").getByRole("row").filter({ has: this.page.getByRole("cell") });
  }

  row(name: string): Locator {
    return this.rows().filter({ hasText: name });
  }
}

/** Signs the demo admin in with JavaScript on; the users page is hydrated when it returns. */
export async function signInAdmin(page: Page): Promise<UsersPage> {
  const login = new LoginPage(page, true);
  await login.open();
  await login.signIn(ADMIN, ADMIN_PASSWORD);
  await expect(page).toHaveURL(/\/admin\/users$/);
  await hydrated(page);
  return new UsersPage(page, true);
}

/** A form field by its accessible name (a required field's " *" is not part of it). */
export const field = (page: Page, name: string) =>
  page
    .getByRole("textbox", { name, exact: true })
    .or(page.getByRole("combobox", { name, exact: true }));

/** Waits until the member detail's tabs answer the keyboard (the browser has taken them over). */
export async function detailReady(page: Page) {
  await expect(page.getByRole("tablist", { name: "Member detail" })).toHaveAttribute("data-ready", "");
}

const MAILDEV = process.env.FRONTDESK_MAILDEV_URL ?? "http://127.0.0.1:1080";

export type Mail = { subject: string; text: string; to: { address: string }[] };

/**
 * The newest message the SMTP server (maildev) received for `to` whose subject matches,
 * once at least `atLeast` such messages have arrived (2 to wait for a resent one).
 */
export async function mailTo(to: string, subject: RegExp, atLeast = 1): Promise<Mail> {
  let found: Mail[] = [];
  await expect
    .poll(
      async () => {
        const all = (await (await fetch(`${MAILDEV}/api/email`)).json()) as Mail[];
        found = all.filter((m) => m.to.some((t) => t.address === to) && subject.test(m.subject));
        return found.length >= atLeast;
      },
      { timeout: 15_000, message: `${atLeast} email(s) to ${to}` },
    )
    .toBe(true);
  return found[found.length - 1];
}

/** Forgets every message maildev holds, so a test reads only its own. */
export async function clearMail() {
  await fetch(`${MAILDEV}/api/email/all`, { method: "DELETE" });
}

/** A page in a browser context of its own: another person's browser. */
export async function newPage(browser: Browser, javaScriptEnabled = true) {
  const page = await (await browser.newContext({ javaScriptEnabled })).newPage();
  watch(page);
  return page;
}

/**
 * A member of the demo clinic, in its Jessica Laynes' Clinic room, created for one test by
 * the signed-in admin's own browser: the same same-origin request the Create a Member form
 * sends. Tests that change a member (password, status, type, deletion) change their own, so
 * no spec depends on another's order. Returns the new member's ID.
 */
export async function createMember(
  page: Page,
  member: {
    first: string; last: string; email: string; password?: string; type?: "member" | "provider";
    /** Month, day and year, as the form's three fields take them. */
    birth?: [string, string, string];
    phone?: string;
  },
): Promise<number> {
  return page.evaluate(async ({ first, last, email, password, type, birth, phone }) => {
    const post = async (path: string, init: RequestInit) => {
      const response = await fetch(path, { method: "POST", ...init });
      if (!response.ok) throw new Error(`${path}: ${response.status} ${await response.text()}`);
      return response.json();
    };
    const options = await post("/api/members/form", {
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: "",
    });
    type Clinic = { id: number; rooms: { id: number; name: string }[] };
    const clinic = (options.clinics as Clinic[]).find((c) => c.rooms.some((r) => r.name === "Jessica Laynes' Clinic"))!;
    const room = clinic.rooms.find((r) => r.name === "Jessica Laynes' Clinic")!;
    const profile = {
      username: email, first_name: first, last_name: last, email,
      dob_month: birth?.[0] ?? "", dob_day: birth?.[1] ?? "", dob_year: birth?.[2] ?? "",
      address: "", city: "", state: "", zip: "",
      country: "US", phone: phone ?? "", pcp_name: "", pcp_phone: "", timezone: "America/Los_Angeles",
    };
    const member = {
      clinic_id: clinic.id, room_ids: [room.id], user_type: type ?? "member",
      password: password ?? "", confirm_password: password ?? "", profile,
    };
    return (await post("/api/members/create", {
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ member }),
    })) as number;
  }, member);
}

/**
 * Runs SQL on the server's SQLite file (python3's sqlite3, waiting out the server's writes),
 * for what no screen does: making a record look as it will some days from now.
 */
export function sql(statements: string) {
  const db = process.env.FRONTDESK_E2E_DB;
  if (!db) throw new Error("FRONTDESK_E2E_DB is not set (end2end/run.sh sets it)");
  const script = "import sqlite3, sys\nc = sqlite3.connect(sys.argv[1], timeout=30)\nc.executescript(sys.argv[2])\nc.commit()";
  execFileSync("python3", ["-c", script, db, statements]);
}

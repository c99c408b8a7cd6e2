import { expect, type Page, type Locator } from "@playwright/test";

export const ADMIN = "admin@frontdesk.test";
export const ADMIN_PASSWORD = process.env.FRONTDESK_DEMO_ADMIN_PASSWORD ?? "";

/** Waits until the page has hydrated (with JavaScript on). */
export async function hydrated(page: Page) {
  await expect(page.locator("body[data-hydrated]")).toHaveCount(1);
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

import AxeBuilder from "@axe-core/playwright";
import { createHmac } from "node:crypto";
import { test, expect } from "./fixtures";
import type { Page } from "@playwright/test";
import { ADMIN_PASSWORD, LoginPage, createMember, detailReady, hydrated, mailTo, newPage, signInAdmin } from "./pages";

/** RFC 4648 base32, as the page shows the secret key (in groups of four). */
function base32(text: string): Buffer {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  let bits = "";
  for (const c of text.replace(/[\s=]/g, "").toUpperCase()) {
    bits += alphabet.indexOf(c).toString(2).padStart(5, "0");
  }
  const bytes = bits.match(/.{8}/g) ?? [];
  return Buffer.from(bytes.map((b) => parseInt(b, 2)));
}

/** The 6-digit code an authenticator app holding `secret` shows `offset` steps from now. */
function totp(secret: string, offset = 0): string {
  const step = Math.floor(Date.now() / 1000 / 30) + offset;
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(step));
  const mac = createHmac("sha1", base32(secret)).update(counter).digest();
  const at = mac[mac.length - 1] & 0xf;
  const value = (mac.readUInt32BE(at) & 0x7fffffff) % 1_000_000;
  return value.toString().padStart(6, "0");
}

/** From the security page: back to the account, sign out, and sign in again with the
 * password, which leads to the second step. */
async function signInAgain(member: Page, login: LoginPage, email: string, password: string) {
  await member.getByRole("link", { name: "Back to your account" }).click();
  await member.getByRole("button", { name: "Sign out" }).click();
  await expect(member).toHaveURL(/\/login/);
  await login.open();
  await login.signIn(email, password);
  await expect(member).toHaveURL(/\/login\/second-step$/);
  await hydrated(member);
}

async function axeClean(page: Page) {
  const violations = (await new AxeBuilder({ page }).analyze()).violations.map((v) => v.id);
  expect(violations, "accessibility violations").toEqual([]);
}

test("a member sets up an authenticator app, signs in with its code, and a recovery code works once", async ({ page, browser }) => {
  const email = `two.step.${Date.now()}@example.com`;
  const password = "Lantern-Orchard-73";
  await signInAdmin(page);
  const id = await createMember(page, { first: "Tess", last: "Stepper", email, password });

  // The member's own browser, by keyboard where a person would type.
  const member = await newPage(browser);
  const login = new LoginPage(member, true);
  await login.open();
  await login.signIn(email, password);
  await expect(member).toHaveURL(/\/account$/);
  await member.getByRole("link", { name: "Security settings" }).click();
  await expect(member).toHaveURL(/\/account\/security$/);
  await hydrated(member);
  await member.getByRole("button", { name: "Set up an authenticator app" }).click();
  const secret = (await member.locator("#secret-key").textContent()) ?? "";
  expect(secret.replace(/\s/g, "")).toMatch(/^[A-Z2-7]{32}$/);
  await expect(member.getByRole("img", { name: "QR code of the secret key" })).toBeVisible();
  await axeClean(member);
  // On a phone, the QR code and the secret key fit the screen.
  await member.setViewportSize({ width: 390, height: 844 });
  const sideways = await member.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  expect(sideways, "the security page scrolls sideways at 390 px").toBeLessThanOrEqual(0);
  await axeClean(member);
  await member.setViewportSize({ width: 1280, height: 800 });

  // A wrong code says so next to the field and turns nothing on.
  const appForm = member.locator("form").filter({ has: member.getByLabel("Code from the app") });
  await appForm.getByLabel("Your password").fill(password);
  await member.getByLabel("Code from the app").fill("000000");
  await member.getByRole("button", { name: "Turn on" }).click();
  await expect(member.getByText("That code is not right. Check the app and try again.")).toBeVisible();
  await appForm.getByLabel("Your password").fill(password);
  await member.getByLabel("Code from the app").fill(totp(secret));
  await member.getByLabel("Code from the app").press("Enter");
  await expect(member.getByRole("status").filter({ hasText: "The authenticator app is on." })).toBeVisible();
  const codes = await member.locator(".recovery-codes code").allTextContents();
  expect(codes).toHaveLength(10);
  await axeClean(member);
  await mailTo(email, /A second factor was added to your account/);

  // Signing in again asks for the code after the password.
  await signInAgain(member, login, email, password);
  await expect(member.getByRole("heading", { name: "Two-step sign-in" })).toBeVisible();
  await axeClean(member);
  await member.getByLabel("6-digit code").fill("111111");
  await member.getByLabel("6-digit code").press("Enter");
  await expect(member.getByText("That code is not right. Check the app and try again.")).toBeVisible();
  // The code that turned the app on was used: the app's next one is accepted early.
  await member.getByLabel("6-digit code").fill(totp(secret, 1));
  await member.getByLabel("6-digit code").press("Enter");
  await expect(member).toHaveURL(/\/account$/);

  // A recovery code, once.
  const withRecoveryCode = async (code: string) => {
    await member.getByRole("button", { name: "Sign out" }).click();
    await login.open();
    await login.signIn(email, password);
    await expect(member).toHaveURL(/\/login\/second-step$/);
    await hydrated(member);
    await member.getByText("Use a recovery code").click();
    await member.getByLabel("Recovery code").fill(code);
    await member.getByLabel("Recovery code").press("Enter");
  };
  await withRecoveryCode(codes[0]);
  await expect(member).toHaveURL(/\/account$/);
  await withRecoveryCode(codes[0]);
  await expect(member.getByText("That recovery code is not right, or was used already.")).toBeVisible();
  await expect(member).toHaveURL(/\/login\/second-step$/);
  await member.close();

  // The member lost their phone: the admin removes the app, after their own password.
  await page.goto(`/admin/users?member=${id}&tab=management`);
  await detailReady(page);
  const dialog = page.getByRole("dialog");
  await expect(dialog.getByText("On: an authenticator app.")).toBeVisible();
  await dialog.getByRole("button", { name: "Remove two-step sign-in" }).click();
  await expect(dialog.getByLabel("Your password")).toBeFocused();
  await page.keyboard.type("Not-The-Password-1");
  await page.keyboard.press("Enter");
  await expect(dialog.getByText("That is not your password.")).toBeVisible();
  await dialog.getByLabel("Your password").fill(ADMIN_PASSWORD);
  await dialog.getByRole("button", { name: "Remove", exact: true }).click();
  await expect(dialog.getByText("Off.")).toBeVisible();
  await mailTo(email, /A second factor was removed from your account/);
});

test("without JavaScript, the second step takes a code and signs in", async ({ page, browser }) => {
  const email = `two.step.nojs.${Date.now()}@example.com`;
  const password = "Lantern-Orchard-73";
  await signInAdmin(page);
  await createMember(page, { first: "Nora", last: "Script", email, password });

  const member = await newPage(browser, false);
  const login = new LoginPage(member, false);
  await login.open();
  await login.signIn(email, password);
  await member.goto("/account/security");
  await member.getByRole("button", { name: "Set up an authenticator app" }).click();
  const secret = (await member.locator("#secret-key").textContent()) ?? "";
  // Passkeys wait for JavaScript, and say so.
  await expect(member.getByText("Passkeys need JavaScript, which is off in this browser.")).toBeVisible();
  await expect(member.getByRole("button", { name: "Add a passkey" })).toBeDisabled();
  const appForm = member.locator("form").filter({ has: member.getByLabel("Code from the app") });
  await appForm.getByLabel("Your password").fill(password);
  await member.getByLabel("Code from the app").fill(totp(secret));
  await member.getByRole("button", { name: "Turn on" }).click();
  await expect(member.getByText("The authenticator app is on.")).toBeVisible();
  await expect(member.locator(".recovery-codes code")).toHaveCount(10);

  const again = await newPage(browser, false);
  const second = new LoginPage(again, false);
  await second.open();
  await second.signIn(email, password);
  await expect(again).toHaveURL(/\/login\/second-step$/);
  await again.getByLabel("6-digit code").fill("222222");
  await again.getByRole("button", { name: "Verify" }).first().click();
  await expect(again.getByText("That code is not right. Check the app and try again.")).toBeVisible();
  await again.getByLabel("6-digit code").fill(totp(secret, 1));
  await again.getByRole("button", { name: "Verify" }).first().click();
  await expect(again).toHaveURL(/\/account$/);
  await member.close();
  await again.close();
});

test("a member adds a passkey, signs in with it, and removes it", async ({ page, browser }) => {
  const email = `passkey.${Date.now()}@example.com`;
  const password = "Lantern-Orchard-73";
  await signInAdmin(page);
  const id = await createMember(page, { first: "Paz", last: "Keyholder", email, password });

  // The member's browser has a passkey provider: Chromium's virtual authenticator, which
  // verifies its user (as a fingerprint would) and answers at once.
  const member = await newPage(browser);
  const cdp = await member.context().newCDPSession(member);
  await cdp.send("WebAuthn.enable");
  await cdp.send("WebAuthn.addVirtualAuthenticator", {
    options: {
      protocol: "ctap2",
      transport: "internal",
      hasResidentKey: true,
      hasUserVerification: true,
      isUserVerified: true,
      automaticPresenceSimulation: true,
    },
  });
  const login = new LoginPage(member, true);
  await login.open();
  await login.signIn(email, password);
  await expect(member).toHaveURL(/\/account$/);
  await member.goto("/account/security");
  await hydrated(member);

  // The password is asked again; a wrong one says so next to its field.
  await member.getByLabel("Passkey name").fill("Work laptop");
  await member.locator("#passkey_password").fill("Not-The-Password-1");
  await member.getByRole("button", { name: "Add a passkey" }).click();
  await expect(member.getByText("That is not your password.")).toBeVisible();
  await member.locator("#passkey_password").fill(password);
  await member.locator("#passkey_password").press("Enter");
  await expect(member.getByRole("status").filter({ hasText: "The passkey was added." })).toBeVisible();
  await expect(member.locator(".passkeys li")).toHaveCount(1);
  await expect(member.locator(".passkeys li")).toContainText("Work laptop");
  await expect(member.locator(".recovery-codes code")).toHaveCount(10);
  await axeClean(member);
  await mailTo(email, /A second factor was added to your account/);

  // Signing in again takes the passkey after the password.
  await signInAgain(member, login, email, password);
  await expect(member.getByLabel("6-digit code")).toHaveCount(0);
  await axeClean(member);
  await member.getByRole("button", { name: "Use a passkey" }).press("Enter");
  await expect(member).toHaveURL(/\/account$/);

  // The admin sees it on the member's Management tab.
  await page.goto(`/admin/users?member=${id}&tab=management`);
  await detailReady(page);
  await expect(page.getByRole("dialog").getByText("On: a passkey.")).toBeVisible();

  // Removing it asks for the password; without a factor, the password alone signs in.
  await member.goto("/account/security");
  await hydrated(member);
  await member.getByText("Remove a passkey").click();
  const removal = member.locator("form").filter({ has: member.getByLabel("Passkey", { exact: true }) });
  await removal.getByLabel("Your password").fill(password);
  await removal.getByRole("button", { name: "Remove" }).click();
  await expect(member.getByRole("status").filter({ hasText: "The passkey was removed." })).toBeVisible();
  await expect(member.getByText("None added.")).toBeVisible();
  await mailTo(email, /A second factor was removed from your account/);
  await member.getByRole("button", { name: "Sign out" }).click();
  await login.open();
  await login.signIn(email, password);
  await expect(member).toHaveURL(/\/account$/);
  await member.close();
});

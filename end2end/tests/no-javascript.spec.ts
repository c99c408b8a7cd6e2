import { test, expect } from "./fixtures";
import { LoginPage, mailTo } from "./pages";

/**
 * A patient's whole account, with JavaScript off: every form posts as plain HTML, its errors
 * come back in the page's address (signed), and each step lands where it would with the
 * bundle running. The patient is created here and used by no other spec.
 */
test.describe("without JavaScript", () => {
  test.use({ javaScriptEnabled: false });

  test("sign-up, resend, confirm, change password, forgot and reset password", async ({ page }) => {
    const email = `nojs.${Date.now()}@example.com`;
    const password = "Quiet-Harbor-73";
    const changed = "Amber-Compass-58";
    const reset = "Velvet-Orchard-94";

    await page.goto("/u/jessica/sign-up");
    await page.getByLabel("First name").fill("Noor");
    await page.getByLabel("Last name").fill("Plain");
    await page.getByLabel("Email").fill(email);
    await page.getByLabel("Password", { exact: true }).fill(password);
    await page.getByLabel("Confirm password").fill(password);
    await page.getByLabel("Date of birth").fill("1985-02-03");
    await page.getByRole("button", { name: "Sign up" }).click();
    await expect(page.getByRole("heading", { name: "Check your email" })).toBeVisible();

    // Before confirming: the same answer as a wrong password, its error signed in the
    // address, and the folded offer to send the link again.
    const login = new LoginPage(page, false);
    await login.open();
    await login.signIn(email, password);
    await expect(login.alert()).toHaveText(/do not match an account/);
    expect(new URL(page.url()).searchParams.get("__sig"), "the error in the address is signed").toBeTruthy();
    await page.getByText("Just signed up?").click();
    // Without JavaScript the address is not carried over (it stays out of the page's
    // address): the patient types it.
    await page.getByLabel("Your email").fill(email);
    await page.getByRole("button", { name: "Send the link again" }).click();
    await expect(page).toHaveURL(/\/login\?resent=1$/);
    await expect(page.getByRole("status").filter({ hasText: "we have sent its link again" })).toBeVisible();

    // The link sent again confirms, with the password chosen at sign-up and not without it.
    const mail = await mailTo(email, /confirm your email/, 2);
    const link = mail.text.match(/https?:\/\/\S+\/confirm-email\?token=\S+/)![0];
    await page.goto(link);
    await page.getByRole("button", { name: "Confirm and sign in" }).click();
    await expect(page.locator("#password-error")).toHaveText("Enter the password you chose when you signed up.");
    await page.getByLabel("Password", { exact: true }).fill(password);
    await page.getByRole("button", { name: "Confirm and sign in" }).click();
    await expect(page).toHaveURL(/\/account\?welcome=1$/);
    await expect(page.getByRole("heading", { name: "Noor Plain" })).toBeVisible();

    // The account page's password form: a wrong current password is named at its field.
    await page.getByLabel("Current password").fill("Not-My-Password-1");
    await page.getByLabel("New password", { exact: true }).fill(changed);
    await page.getByLabel("Confirm new password").fill(changed);
    await page.getByRole("button", { name: "Change password" }).click();
    await expect(page.locator("#current_password-error")).toHaveText("That is not your current password.");
    await page.getByLabel("Current password").fill(password);
    await page.getByLabel("New password", { exact: true }).fill(changed);
    await page.getByLabel("Confirm new password").fill(changed);
    await page.getByRole("button", { name: "Change password" }).click();
    await expect(page).toHaveURL(/\/account\?password=1$/);
    await expect(page.getByRole("status").filter({ hasText: "Your password was changed." })).toBeVisible();
    await page.getByRole("button", { name: "Sign out" }).first().click();
    await expect(page).toHaveURL(/\/login$/);

    // Forgot password: an empty form is named at its field, then every caller hears the same.
    await page.getByRole("link", { name: "Forgot password?" }).click();
    await page.getByRole("button", { name: "Email me a link" }).click();
    await expect(page.locator("#identifier-error")).toHaveText("Enter your username or email address.");
    await page.getByLabel("Username or email").fill(email);
    await page.getByRole("button", { name: "Email me a link" }).click();
    await expect(page).toHaveURL(/\/forgot-password\?sent=1$/);
    await expect(page.getByRole("status")).toBeVisible();

    // The reset link: two passwords that differ are refused at their field, then it sets one.
    const resetMail = await mailTo(email, /reset your password/);
    const resetLink = resetMail.text.match(/https?:\/\/\S+\/reset-password\?token=\S+/)![0];
    await page.goto(resetLink);
    await page.getByLabel("New password", { exact: true }).fill(reset);
    await page.getByLabel("Confirm password").fill(`${reset}x`);
    await page.getByRole("button", { name: "Set Password Now" }).click();
    await expect(page.locator("#confirm_password-error")).not.toBeEmpty();
    await page.getByLabel("New password", { exact: true }).fill(reset);
    await page.getByLabel("Confirm password").fill(reset);
    await page.getByRole("button", { name: "Set Password Now" }).click();
    await expect(page).toHaveURL(/\/login\?reset=1$/);

    // The old passwords are gone; the new one signs in.
    await login.signIn(email, changed);
    await expect(login.alert()).toHaveText(/do not match an account/);
    await login.signIn(email, reset);
    await expect(page).toHaveURL(/\/account$/);
    await expect(page.getByRole("heading", { name: "Noor Plain" })).toBeVisible();
  });
});

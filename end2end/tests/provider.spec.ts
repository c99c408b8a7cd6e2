import { type Page } from "@playwright/test";
import AxeBuilder from "@axe-core/playwright";
import { test, expect } from "./fixtures";
import { LoginPage, createMember, hydrated, newPage, signInAdmin } from "./pages";

// The waiting room from both sides, in three browsers: a guest and a signed-in patient wait,
// a provider starts the guest's visit (the guest's page changes, the patient moves up) and
// ends it.

async function noViolations(page: Page) {
  const violations = (await new AxeBuilder({ page }).analyze()).violations.map(
    (v) => `${v.id}: ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`,
  );
  expect(violations, `accessibility violations on ${page.url()}`).toEqual([]);
}

/** The number the waiting page shows as the patient's place. */
async function placeOf(page: Page): Promise<number> {
  const text = await page.getByRole("status").filter({ hasText: "Your place in the queue" }).innerText();
  return Number(text.match(/Your place in the queue\s*(\d+)/)![1]);
}

test("a provider starts a guest's visit and ends it; the guest's page follows and the patient moves up", async ({ page, browser }) => {
  // Letters only in names; different on every run.
  const tag = Date.now().toString(36).replace(/[0-9]/g, (d) => "abcdefghij"[Number(d)]);
  const providerEmail = `dr.${tag}@example.com`;
  const patientEmail = `wait.${tag}@example.com`;
  const password = "Quiet-Harbor-Lamp-58";
  await signInAdmin(page);
  await createMember(page, { first: "Rhea", last: `Doc${tag}`, email: providerEmail, password, type: "provider" });
  await createMember(page, { first: "Tomas", last: `Wait${tag}`, email: patientEmail, password });

  // The guest enters first, then the patient.
  const guest = await newPage(browser);
  await guest.goto("/u/jessica/guest");
  await hydrated(guest);
  await guest.getByLabel("First name").fill("Noor");
  await guest.getByLabel("Last name").fill(`Guest${tag}`);
  await guest.getByLabel("Reason for visit").fill("A rash on my arm");
  await guest.getByRole("button", { name: "Enter the waiting room" }).click();
  await expect(guest).toHaveURL(/\/u\/jessica\/waiting$/);
  await hydrated(guest);

  const patient = await newPage(browser);
  const patientLogin = new LoginPage(patient, true);
  await patient.goto("/login?next=/u/jessica");
  await hydrated(patient);
  await patientLogin.signIn(patientEmail, password);
  await expect(patient).toHaveURL(/\/u\/jessica$/);
  await hydrated(patient);
  await patient.getByLabel("Reason for visit").fill("Follow-up");
  await patient.getByRole("button", { name: "Enter the waiting room" }).click();
  await expect(patient).toHaveURL(/\/u\/jessica\/waiting$/);
  await hydrated(patient);
  const before = await placeOf(patient);
  expect(before).toBe((await placeOf(guest)) + 1);

  // The provider lands on the dashboard and sees both, in order, with what they came for.
  const provider = await newPage(browser);
  const providerLogin = new LoginPage(provider, true);
  await providerLogin.open();
  await providerLogin.signIn(providerEmail, password);
  await expect(provider).toHaveURL(/\/provider$/);
  await hydrated(provider);
  const room = provider.getByRole("region", { name: "Jessica Laynes' Clinic" });
  const guestRow = room.getByRole("row").filter({ hasText: `Noor Guest${tag}` });
  const patientRow = room.getByRole("row").filter({ hasText: `Tomas Wait${tag}` });
  await expect(guestRow).toContainText("Guest");
  await expect(guestRow).toContainText("A rash on my arm");
  await expect(patientRow).toContainText("Member");
  await noViolations(provider);
  // On a phone each row is a card without the table's header: the cells name themselves.
  await provider.setViewportSize({ width: 390, height: 800 });
  const placeCell = guestRow.locator("td").first();
  await expect(placeCell).toHaveAttribute("data-label", "Place");
  expect(await placeCell.evaluate((td) => getComputedStyle(td, "::before").content)).toMatch(/Place|attr\(data-label\)/);
  await provider.setViewportSize({ width: 1280, height: 800 });

  // Start: the guest's page changes within 2 s, the patient moves up at once.
  await guestRow.getByRole("button", { name: `Start visit with Noor Guest${tag}` }).click();
  const started = provider.getByRole("status").filter({ hasText: `Visit with Noor Guest${tag} started.` });
  await expect(started).toBeVisible();
  await expect(provider.locator("#board-said-link")).toBeFocused();
  await expect(guest.getByRole("heading", { name: "Your provider is ready" })).toBeVisible({ timeout: 2_500 });
  await noViolations(guest);
  await expect.poll(() => placeOf(patient), { timeout: 2_500 }).toBe(before - 1);
  const visitLink = (await guest.getByRole("link", { name: "Join your visit" }).getAttribute("href"))!;
  expect(visitLink).toMatch(/^\/visit\/\d+$/);

  // The visit's page shows both sides.
  await guest.getByRole("link", { name: "Join your visit" }).click();
  await expect(guest.getByRole("heading", { name: "Your visit is on" })).toBeVisible();
  await expect(guest.getByText(`Rhea Doc${tag} and Noor Guest${tag} are in this visit.`)).toBeVisible();
  await noViolations(guest);

  // End: the guest's waiting page says the visit ended.
  await guest.goBack();
  await hydrated(guest);
  const inVisit = room.getByRole("listitem").filter({ hasText: `Noor Guest${tag}` });
  await expect(inVisit).toContainText(`with Rhea Doc${tag}`);
  await inVisit.getByRole("button", { name: `End visit with Noor Guest${tag}` }).click();
  await expect(provider.getByRole("status").filter({ hasText: `Visit with Noor Guest${tag} ended.` })).toBeVisible();
  await expect(guest.getByRole("heading", { name: "Your visit has ended" })).toBeVisible({ timeout: 2_500 });
  await expect(inVisit).toHaveCount(0);
  await noViolations(provider);

  // A second provider's view: the admin sees the same queue, now with the patient first.
  await page.goto("/provider");
  await hydrated(page);
  const adminRoom = page.getByRole("region", { name: "Jessica Laynes' Clinic" });
  await expect(adminRoom.getByRole("row").filter({ hasText: `Tomas Wait${tag}` })).toBeVisible();
  await patient.getByRole("button", { name: "Leave the waiting room" }).click();
  await expect(adminRoom.getByRole("row").filter({ hasText: `Tomas Wait${tag}` })).toHaveCount(0, { timeout: 2_500 });
});

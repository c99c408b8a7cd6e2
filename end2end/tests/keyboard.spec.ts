import { type Page } from "@playwright/test";
import { test, expect } from "./fixtures";
import { createMember, detailReady, field, hydrated, signInAdmin as signIn } from "./pages";

// The admin's dialogs used with the keyboard alone: what Escape, Cancel and ✕ do to typing,
// where focus goes, and that nothing panics in the page (the fixture fails on any error).

test("Escape in Create a Member: closes at once when nothing is typed, asks before discarding typing", async ({ page }) => {
  await signIn(page);
  const opener = page.getByRole("link", { name: "New Member" });
  await opener.focus();
  await page.keyboard.press("Enter");
  const dialog = page.getByRole("dialog", { name: "Create a Member" });
  await expect(field(page, "First Name")).toBeVisible();

  // Typing, then taking it back: nothing to lose, so Escape closes, from inside the field.
  await field(page, "First Name").focus();
  await page.keyboard.type("Jo");
  await page.keyboard.press("Backspace");
  await page.keyboard.press("Backspace");
  await page.keyboard.press("Escape");
  await expect(dialog).toHaveCount(0);
  await expect(opener).toBeFocused();

  // Typing that stays: Escape asks, and "Keep editing" returns to the field, text kept.
  await page.keyboard.press("Enter");
  await expect(field(page, "First Name")).toBeVisible();
  await field(page, "First Name").focus();
  await page.keyboard.type("Joanna");
  await page.keyboard.press("Escape");
  const ask = dialog.getByRole("alertdialog", { name: "Discard changes?" });
  await expect(ask).toBeVisible();
  await expect(ask.getByRole("button", { name: "Keep editing" })).toBeFocused();
  await page.keyboard.press("Enter");
  await expect(ask).toHaveCount(0);
  await expect(field(page, "First Name")).toBeFocused();
  await expect(field(page, "First Name")).toHaveValue("Joanna");

  // Cancel asks the same; "Discard" closes and focus returns to New Member.
  await dialog.getByRole("button", { name: "Cancel" }).click();
  await expect(ask.getByRole("button", { name: "Keep editing" })).toBeFocused();
  await page.keyboard.press("Tab");
  await expect(ask.getByRole("button", { name: "Discard" })).toBeFocused();
  await page.keyboard.press("Enter");
  await expect(dialog).toHaveCount(0);
  await expect(opener).toBeFocused();
});

test("Escape in the member detail: a profile edit asks first, the User type editor cancels only itself", async ({ page }) => {
  await signIn(page);
  const id = await createMember(page, {
    first: "Ines",
    last: "Duarte",
    email: `ines.duarte.${Date.now()}@example.com`,
  });
  await page.goto(`/admin/users?member=${id}&tab=profile`);
  await hydrated(page);
  const detail = page.getByRole("dialog", { name: "MEMBER DETAIL: INES DUARTE" });
  await detailReady(page);

  await field(page, "City (optional)").focus();
  await page.keyboard.type("Porto");
  await page.keyboard.press("Escape");
  const ask = detail.getByRole("alertdialog", { name: "Discard changes?" });
  await expect(ask.getByRole("button", { name: "Keep editing" })).toBeFocused();
  await page.keyboard.press("Tab");
  await expect(ask.getByRole("button", { name: "Discard" })).toBeFocused();
  await page.keyboard.press("Enter");
  await expect(detail).toHaveCount(0);
  await expect(page.getByRole("button", { name: "Edit Ines Duarte" }).or(page.locator(`#edit-${id}`))).toBeFocused();

  // The User type editor: Escape leaves the editor, the dialog stays.
  await page.goto(`/admin/users?member=${id}&tab=other`);
  await hydrated(page);
  await detailReady(page);
  await detail.getByRole("button", { name: "Edit", exact: true }).press("Enter");
  await expect(detail.getByLabel("User type")).toBeFocused();
  await page.keyboard.press("Escape");
  await expect(detail.getByLabel("User type")).toHaveCount(0);
  await expect(detail).toBeVisible();
  await expect(detail.getByRole("button", { name: "Edit", exact: true })).toBeFocused();
  await page.keyboard.press("Escape");
  await expect(detail).toHaveCount(0);
});

test("Set password asks for a password, and its rules start unmet", async ({ page }) => {
  await signIn(page);
  const id = await createMember(page, {
    first: "Rui",
    last: "Matos",
    email: `rui.matos.${Date.now()}@example.com`,
  });
  await page.goto(`/admin/users?password=${id}`);
  await hydrated(page);
  const dialog = page.getByRole("dialog", { name: /Set password/i });
  await expect(dialog).toBeVisible();
  await expect(dialog.getByRole("textbox", { name: "Password", exact: true })).toBeVisible();
  await expect(dialog.getByText("(optional)")).toHaveCount(0);
  // With nothing typed, no rule reads as met.
  await expect(dialog.locator(".requirements li.met")).toHaveCount(0);
});

test("the room picker browses with the arrow keys and adds on Enter, saying what it added", async ({ page }) => {
  await signIn(page);
  await page.getByRole("link", { name: "New Member" }).click();
  const dialog = page.getByRole("dialog", { name: "Create a Member" });
  const picker = dialog.getByLabel("Add a room");
  await expect(picker).toBeVisible();
  const chips = dialog.getByRole("button", { name: /^Remove / });
  const before = await chips.count();
  await picker.focus();
  await page.keyboard.press("ArrowDown");
  await page.keyboard.press("ArrowDown");
  await expect(chips).toHaveCount(before);
  await page.keyboard.press("Enter");
  await expect(chips).toHaveCount(before + 1);
  const added = (await chips.last().getAttribute("aria-label"))!.replace(/^Remove /, "");
  await expect(dialog.getByRole("status").filter({ hasText: `Added ${added}.` })).toHaveCount(1);
  await expect(picker).toBeFocused();
  // Removing a room keeps focus in the picker's fieldset, on the list.
  await chips.last().press("Enter");
  await expect(chips).toHaveCount(before);
  await expect(picker).toBeFocused();
});

test("after Save, Save User Status and Send Reset Password Email, focus stays on the button pressed", async ({ page }) => {
  await signIn(page);
  const id = await createMember(page, {
    first: "Luis",
    last: "Prado",
    email: `luis.prado.${Date.now()}@example.com`,
  });
  await page.goto(`/admin/users?member=${id}&tab=profile`);
  await hydrated(page);
  const detail = page.getByRole("dialog", { name: "MEMBER DETAIL: LUIS PRADO" });
  await detailReady(page);

  await field(page, "City (optional)").fill("Braga");
  const save = detail.getByRole("button", { name: "Save", exact: true });
  await save.press("Enter");
  await expect(detail.getByRole("status").filter({ hasText: "Saved." })).toBeVisible();
  await expect(save).toBeFocused();

  await detail.getByRole("tab", { name: "Other" }).click();
  await detail.getByLabel("Status").selectOption("suspended");
  const saveStatus = detail.getByRole("button", { name: "Save User Status" });
  await saveStatus.press("Enter");
  await expect(detail.getByRole("status").filter({ hasText: "Status saved: Suspended." })).toBeVisible();
  await expect(saveStatus).toBeFocused();
  await detail.getByLabel("Status").selectOption("active");
  await saveStatus.press("Enter");
  await expect(detail.getByRole("status").filter({ hasText: "Status saved: Active." })).toBeVisible();

  const reset = detail.getByRole("button", { name: "Send Reset Password Email" });
  await reset.press("Enter");
  await expect(detail.getByRole("status").filter({ hasText: "A reset link was sent" })).toBeVisible();
  await expect(reset).toBeFocused();
});

test("the users page: a skip link to the content, a named table, and each new count said politely", async ({ page }) => {
  await signIn(page);
  // Loaded afresh, focus starts at the top of the document.
  await page.reload();
  await hydrated(page);
  await page.keyboard.press("Tab");
  const skip = page.getByRole("link", { name: "Skip to main content" });
  await expect(skip).toBeFocused();
  await page.keyboard.press("Enter");
  await expect(page.locator("main#main")).toBeFocused();

  await expect(page.getByRole("table", { name: "Users" })).toBeVisible();
  const said = page.locator("#users-count-said");
  await expect(said).toHaveAttribute("role", "status");
  const search = page.getByRole("searchbox", { name: "Search users" });
  await search.fill("gomez");
  await search.press("Enter");
  await expect(said).toHaveText(/^\d[\d,]*\+? users?$/);
  await search.fill("no-such-person-anywhere");
  await search.press("Enter");
  await expect(said).toHaveText("No users match this search and these filters.");
});

test("Create with nothing filled in focuses Rooms, the first field in error, whose message names it", async ({ page }) => {
  await signIn(page);
  await page.getByRole("link", { name: "New Member" }).click();
  const dialog = page.getByRole("dialog", { name: "Create a Member" });
  const picker = dialog.getByLabel("Add a room");
  await expect(picker).toBeVisible();
  // Take away any room the form chose for a clinic with one room.
  const chips = dialog.getByRole("button", { name: /^Remove / });
  while ((await chips.count()) > 0) await chips.first().click();
  await dialog.getByRole("button", { name: "Create" }).press("Enter");
  await expect(picker).toBeFocused();
  await expect(picker).toHaveAccessibleDescription("Choose at least one room.");
});

test("a refused guest entry puts focus on the first field to fix, which names the problem", async ({ page }) => {
  await page.goto("/u/jessica/guest");
  await hydrated(page);
  await page.getByLabel("Last name").fill("Okafor");
  await page.getByLabel("Reason for visit").fill("A cough");
  await page.getByRole("button", { name: "Enter the waiting room" }).press("Enter");
  const first = page.getByLabel("First name");
  await expect(first).toBeFocused();
  await expect(first).toHaveAttribute("aria-invalid", "true");
  await expect(first).not.toHaveAccessibleDescription("");
});

test("a profile edit waits while another tab is open, marked unsaved, and closing from there asks", async ({ page }) => {
  await signIn(page);
  const id = await createMember(page, {
    first: "Olga",
    last: "Tavares",
    email: `olga.tavares.${Date.now()}@example.com`,
  });
  await page.goto(`/admin/users?member=${id}&tab=profile`);
  await hydrated(page);
  const detail = page.getByRole("dialog", { name: "MEMBER DETAIL: OLGA TAVARES" });
  await detailReady(page);
  const profile = detail.getByRole("tab", { name: /^Profile/ });
  await expect(profile).toHaveAccessibleName("Profile");

  await field(page, "City (optional)").focus();
  await page.keyboard.type("Faro");
  await expect(profile).toHaveAccessibleName("Profile (unsaved changes)");
  await profile.focus();
  await page.keyboard.press("ArrowRight");
  await expect(detail.getByRole("tab", { name: "Rooms", selected: true })).toBeFocused();
  await page.keyboard.press("ArrowLeft");
  await expect(profile).toHaveAttribute("aria-selected", "true");
  await expect(field(page, "City (optional)")).toHaveValue("Faro");

  // From another tab, Escape still asks before the typing is lost.
  await page.keyboard.press("End");
  await expect(detail.getByRole("tab", { name: "Other", selected: true })).toBeFocused();
  await page.keyboard.press("Escape");
  const ask = detail.getByRole("alertdialog", { name: "Discard changes?" });
  await expect(ask.getByRole("button", { name: "Keep editing" })).toBeFocused();
  await page.keyboard.press("Enter");
  await expect(detail.getByRole("tab", { name: "Other", selected: true })).toBeFocused();

  // Saved, the mark goes.
  await page.keyboard.press("Home");
  await detail.getByRole("button", { name: "Save", exact: true }).press("Enter");
  await expect(detail.getByRole("status").filter({ hasText: "Saved." })).toBeVisible();
  await expect(profile).toHaveAccessibleName("Profile");
});

//! The messages Frontdesk sends. Each names the clinic, greets by first name, and carries
//! nothing else about the patient.

use super::Message;

/// Escapes text for the HTML part.
fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

fn html_page(clinic: &str, paragraphs: &[String], link: Option<(&str, &str)>) -> String {
    let mut body = String::new();
    for p in paragraphs {
        body.push_str(&format!("<p>{}</p>\n", esc(p)));
    }
    if let Some((label, url)) = link {
        body.push_str(&format!(
            "<p><a href=\"{}\" style=\"display:inline-block;padding:10px 18px;background:#0f766e;color:#ffffff;border-radius:6px;text-decoration:none;font-weight:600\">{}</a></p>\n<p style=\"color:#52606d;font-size:13px\">Or open this link: {}</p>\n",
            esc(url),
            esc(label),
            esc(url)
        ));
    }
    format!(
        "<!DOCTYPE html><html><body style=\"font-family:system-ui,sans-serif;color:#1f2933\">\n<p style=\"color:#0f766e;font-weight:700\">{}</p>\n{body}</body></html>\n",
        esc(clinic)
    )
}

/// To a member created by an admin without a password: set one to sign in.
pub fn welcome(to: &str, clinic: &str, first_name: &str, link: &str, hours: i64) -> Message {
    let lines = [
        format!("Hello {first_name},"),
        format!("{clinic} has created an account for you. Set your password to sign in."),
        format!("This link works once and expires in {hours} hours."),
    ];
    Message {
        to: to.to_owned(),
        subject: format!("Welcome to {clinic}: set your password"),
        text: format!(
            "{}\n\n{}\n\nSet Password Now: {link}\n\n{}\n",
            lines[0], lines[1], lines[2]
        ),
        html: html_page(clinic, &lines, Some(("Set Password Now", link))),
    }
}

/// To a member the clinic's dormant-account policy will suspend: sign in to keep the
/// account. The link is the sign-in page, never a way in by itself.
pub fn dormant_warning(
    to: &str,
    clinic: &str,
    first_name: &str,
    sign_in: &str,
    months: u32,
    days: i32,
) -> Message {
    let lines = [
        format!("Hello {first_name},"),
        format!(
            "You have not signed in to {clinic} for a long time. {clinic} suspends accounts \
             that are not used for {months} months."
        ),
        format!(
            "Sign in within {days} days to keep your account (no password yet, or forgotten \
             it? Choose Forgot password on the sign-in page). Otherwise it will be \
             suspended, and the clinic can open it again for you."
        ),
    ];
    Message {
        to: to.to_owned(),
        subject: format!("Your {clinic} account will be suspended in {days} days"),
        text: format!(
            "{}\n\n{}\n\n{}\n\nSign in: {sign_in}\n",
            lines[0], lines[1], lines[2]
        ),
        html: html_page(clinic, &lines, Some(("Sign in", sign_in))),
    }
}

/// A password reset link, sent by an admin or asked for by the patient.
pub fn reset(to: &str, clinic: &str, first_name: &str, link: &str, hours: i64) -> Message {
    let validity = if hours == 1 {
        "1 hour".to_owned()
    } else {
        format!("{hours} hours")
    };
    let lines = [
        format!("Hello {first_name},"),
        format!("A password reset was requested for your {clinic} account."),
        format!(
            "This link works once and expires in {validity}. If you did not ask for it, you can ignore this email."
        ),
    ];
    Message {
        to: to.to_owned(),
        subject: format!("{clinic}: reset your password"),
        text: format!(
            "{}\n\n{}\n\nSet Password Now: {link}\n\n{}\n",
            lines[0], lines[1], lines[2]
        ),
        html: html_page(clinic, &lines, Some(("Set Password Now", link))),
    }
}

/// To a new sign-up: confirm the address to finish.
pub fn confirm_signup(to: &str, clinic: &str, first_name: &str, link: &str, hours: i64) -> Message {
    let lines = [
        format!("Hello {first_name},"),
        format!("Confirm your email address to finish signing up with {clinic}."),
        format!(
            "This link works once and expires in {hours} hours. If you did not sign up, you can ignore this email."
        ),
    ];
    Message {
        to: to.to_owned(),
        subject: format!("{clinic}: confirm your email to finish signing up"),
        text: format!(
            "{}\n\n{}\n\nConfirm my email: {link}\n\n{}\n",
            lines[0], lines[1], lines[2]
        ),
        html: html_page(clinic, &lines, Some(("Confirm my email", link))),
    }
}

/// To an address that already has an account: someone tried to sign up with it.
pub fn signup_attempt(
    to: &str,
    clinic: &str,
    first_name: &str,
    sign_in: &str,
    reset: &str,
) -> Message {
    let lines = [
        format!("Hello {first_name},"),
        format!(
            "Someone tried to sign up with {clinic} using this email address, which already has an account."
        ),
        "If it was you, sign in instead, or reset your password if you have forgotten it. If it was not you, you can ignore this email: nothing has changed.".to_owned(),
    ];
    let html = html_page(clinic, &lines, Some(("Sign in", sign_in))).replace(
        "</body>",
        &format!(
            "<p><a href=\"{}\">Forgot your password? Reset it</a></p>\n</body>",
            esc(reset)
        ),
    );
    Message {
        to: to.to_owned(),
        subject: format!("{clinic}: someone tried to sign up with your email"),
        text: format!(
            "{}\n\n{}\n\n{}\n\nSign in: {sign_in}\nReset your password: {reset}\n",
            lines[0], lines[1], lines[2]
        ),
        html,
    }
}

/// To a member whose two-step sign-in changed: what changed, and what to do if it was not
/// them.
pub fn two_step_changed(
    to: &str,
    clinic: &str,
    first_name: &str,
    subject: &str,
    what: &str,
) -> Message {
    let lines = [
        format!("Hello {first_name},"),
        what.to_owned(),
        format!(
            "If this was not you or your clinic's admin, change your password and contact {clinic}."
        ),
    ];
    Message {
        to: to.to_owned(),
        subject: format!("{clinic}: {subject}"),
        text: format!("{}\n\n{}\n\n{}\n", lines[0], lines[1], lines[2]),
        html: html_page(clinic, &lines, None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_have_both_parts_with_the_link_and_the_clinic() {
        let m = reset(
            "a@b.co",
            "Clinic <Portal>",
            "Jane",
            "https://x.test/reset-password?token=abc",
            72,
        );
        assert!(m.subject.contains("Clinic <Portal>"));
        assert!(m.text.contains("https://x.test/reset-password?token=abc"));
        assert!(m.html.contains("Clinic &lt;Portal&gt;"), "escaped in HTML");
        assert!(m.html.contains("Set Password Now"));
        assert!(m.text.contains("72 hours"));
        let w = welcome("a@b.co", "Clinic Portal", "Jane", "https://x.test/r", 72);
        assert!(w.text.contains("Hello Jane,"));
    }
}

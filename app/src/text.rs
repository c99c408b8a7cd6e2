//! Text normalisation shared by search and storage.
//!
//! Names and emails are stored twice: as typed, for display, and folded (lower case, accents
//! removed, spaces collapsed) in search columns. Queries are folded the same way, so
//! "gomez" finds "Gómez" with a plain index on either database.

/// Lower-cases, strips accents and collapses runs of whitespace to one space.
pub fn fold(input: &str) -> String {
    let mut out = String::with_capacity(input.len());
    let mut pending_space = false;
    for c in lower_without_marks(input) {
        if c.is_whitespace() {
            pending_space = !out.is_empty();
            continue;
        }
        if pending_space {
            out.push(' ');
            pending_space = false;
        }
        out.push(c);
    }
    out
}

/// `input` in compatibility decomposition (NFKD) without its combining marks, each
/// character then lower-cased: "Gómez" → "gomez", "ﬁ" → "fi". On the server, by the
/// `unicode-normalization` crate and the standard library, one character at a time.
#[cfg(not(target_arch = "wasm32"))]
fn lower_without_marks(input: &str) -> impl Iterator<Item = char> + '_ {
    use unicode_normalization::UnicodeNormalization;
    use unicode_normalization::char::is_combining_mark;
    input
        .nfkd()
        .filter(|c| !is_combining_mark(*c))
        .flat_map(char::to_lowercase)
}

/// In the browser (the rooms page suggests a link as a name is typed), by the browser's own
/// Unicode tables: the crate's own tables would add them to the bundle again. The
/// browser lower-cases the whole text, so a capital sigma that ends a word becomes "ς"
/// there and "σ" on the server; the link is only suggested, and the server checks it.
#[cfg(target_arch = "wasm32")]
fn lower_without_marks(input: &str) -> impl Iterator<Item = char> {
    let marks = js_sys::RegExp::new(r"\p{M}", "gu");
    let folded: String = js_sys::JsString::from(input)
        .normalize("NFKD")
        .replace_by_pattern(&marks, "")
        .to_lower_case()
        .into();
    folded.chars().collect::<Vec<_>>().into_iter()
}

/// `input` in lower case, by Unicode's full mapping (a capital sigma that ends a word
/// becomes "ς").
/// In the browser by the browser's own tables (`toLowerCase`), on the server by the
/// standard library's: both follow Unicode's rules, and the bundle carries no copy of them.
pub fn lower(input: &str) -> String {
    #[cfg(target_arch = "wasm32")]
    return js_sys::JsString::from(input).to_lower_case().into();
    #[cfg(not(target_arch = "wasm32"))]
    input.to_lowercase()
}

/// `input` in upper case, by Unicode's full mapping ("Straße" → "STRASSE"); where it is
/// done, as for [`lower`].
pub fn upper(input: &str) -> String {
    #[cfg(target_arch = "wasm32")]
    return js_sys::JsString::from(input).to_upper_case().into();
    #[cfg(not(target_arch = "wasm32"))]
    input.to_uppercase()
}

/// The portal ID the article shows for a member: `cmouser` followed by the numeric ID.
pub fn portal_id(id: i64) -> String {
    format!("cmouser{id}")
}

/// The cookie in which each page tells the server the browser's time zone (an IANA name,
/// not a secret): times are shown in it to a user whose profile names no Timezone.
pub const BROWSER_ZONE_COOKIE: &str = "frontdesk_zone";

/// Tells the server the browser's time zone (`BROWSER_ZONE_COOKIE`) for the pages that follow.
#[cfg(feature = "hydrate")]
pub fn tell_browser_zone() {
    use leptos::wasm_bindgen::JsValue;
    let options = js_sys::Intl::DateTimeFormat::new(&js_sys::Array::new(), &js_sys::Object::new())
        .resolved_options();
    let Some(zone) = js_sys::Reflect::get(&options, &JsValue::from_str("timeZone"))
        .ok()
        .and_then(|z| z.as_string())
        .filter(|z| {
            z.len() <= 64
                && z.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "/_+-".contains(c))
        })
    else {
        return;
    };
    let document = leptos::prelude::document();
    let secure = document
        .location()
        .and_then(|l| l.protocol().ok())
        .is_some_and(|p| p == "https:");
    let cookie = format!(
        "{BROWSER_ZONE_COOKIE}={zone}; Path=/; Max-Age=31536000; SameSite=Lax{}",
        if secure { "; Secure" } else { "" }
    );
    let _ = js_sys::Reflect::set(
        &document,
        &JsValue::from_str("cookie"),
        &JsValue::from_str(&cookie),
    );
}

/// A person's time zone by its IANA name (their profile's Timezone); UTC for a name the
/// time zone database does not hold.
#[cfg(feature = "ssr")]
pub fn zone(name: &str) -> jiff::tz::TimeZone {
    jiff::tz::TimeZone::get(name).unwrap_or(jiff::tz::TimeZone::UTC)
}

/// Stored milliseconds as the article writes a time, in `zone` and followed by its
/// abbreviation: "2022-04-08 07:23:38 PDT". The server formats every time a page shows, so
/// the page it renders and the page the browser hydrates say the same.
#[cfg(feature = "ssr")]
pub fn format_time(ms: i64, zone: &jiff::tz::TimeZone) -> String {
    jiff::Timestamp::from_millisecond(ms)
        .map(|t| {
            t.to_zoned_datetime(zone.clone())
                .strftime("%Y-%m-%d %H:%M:%S %Z")
                .to_string()
        })
        .unwrap_or_default()
}

/// A count with thousands separated as the article writes them: "277,606".
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[cfg(feature = "ssr")]
    fn formats_like_the_article_in_the_readers_zone() {
        // 2022-04-08 14:23:38 UTC
        let at = 1_649_427_818_000;
        assert_eq!(format_time(at, &zone("Etc/UTC")), "2022-04-08 14:23:38 UTC");
        assert_eq!(
            format_time(at, &zone("America/Los_Angeles")),
            "2022-04-08 07:23:38 PDT"
        );
        // Winter, and a zone a day ahead.
        assert_eq!(
            format_time(1_641_000_000_000, &zone("America/New_York")),
            "2021-12-31 20:20:00 EST"
        );
        assert_eq!(
            format_time(at, &zone("Asia/Tokyo")),
            "2022-04-08 23:23:38 JST"
        );
        assert_eq!(
            format_time(at, &zone("Not/AZone")),
            "2022-04-08 14:23:38 UTC"
        );
    }

    #[test]
    fn folds_case_and_accents() {
        assert_eq!(fold("Gómez"), "gomez");
        assert_eq!(fold("ÉLODIE Müller"), "elodie muller");
        assert_eq!(fold("Jane.Gomez@Me.com"), "jane.gomez@me.com");
    }

    #[test]
    fn collapses_and_trims_whitespace() {
        assert_eq!(fold("  jane \t  gom "), "jane gom");
        assert_eq!(fold(""), "");
        assert_eq!(fold("   "), "");
    }

    #[test]
    fn lower_and_upper_follow_unicode_full_case_mapping() {
        assert_eq!(lower("Jane.GÓMEZ@Me.com"), "jane.gómez@me.com");
        // A capital sigma that ends a word becomes the final form.
        assert_eq!(lower("ΟΔΟΣ ΣΑ"), "οδο\u{3c2} σα");
        assert_eq!(upper("Jane Gómez"), "JANE GÓMEZ");
        assert_eq!(upper("Straße"), "STRASSE");
    }

    #[test]
    fn portal_id_prefixes_the_numeric_id() {
        assert_eq!(portal_id(21408246), "cmouser21408246");
    }
}

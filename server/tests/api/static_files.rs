//! The built site's files and how long each answer may be kept: the bundle, named by its
//! content, is sent as compressed at build time and kept for a year; pages and
//! server-function answers, which carry patient data, are never stored.

use reqwest::header::{ACCEPT_ENCODING, CACHE_CONTROL, CONTENT_ENCODING, CONTENT_TYPE, VARY};

use crate::helpers::*;

const WASM: &str = "frontdesk.Ab9_-cDeFgHiJkLmNoPqRs.wasm";
const IMMUTABLE: &str = "public, max-age=31536000, immutable";

fn header(response: &reqwest::Response, name: reqwest::header::HeaderName) -> &str {
    response
        .headers()
        .get(&name)
        .map(|v| v.to_str().expect("ascii"))
        .unwrap_or("")
}

#[tokio::test]
async fn the_bundle_is_sent_precompressed_and_kept_for_a_year_by_its_content_name() {
    let site = tempfile::tempdir().expect("temp dir");
    let pkg = site.path().join("pkg");
    std::fs::create_dir_all(&pkg).expect("pkg dir");
    let plain = b"\0asm\x01\0\0\0".repeat(200);
    std::fs::write(pkg.join(WASM), &plain).expect("wasm");
    std::fs::write(pkg.join(format!("{WASM}.br")), b"brotli, quality 11").expect("br");
    std::fs::write(pkg.join(format!("{WASM}.gz")), b"gzip, level 9").expect("gz");
    std::fs::write(pkg.join("frontdesk.css"), "body { margin: 0 }".repeat(10)).expect("css");
    std::fs::write(site.path().join("favicon.ico"), [0u8, 0, 1, 0]).expect("icon");
    let app = spawn_app_serving(site.path()).await;
    let client = app.client();
    let path = format!("/pkg/{WASM}");

    for (accepts, encoding, body) in [
        ("br, gzip", "br", &b"brotli, quality 11"[..]),
        ("gzip", "gzip", &b"gzip, level 9"[..]),
        ("identity", "", &plain[..]),
    ] {
        let response = client
            .get(app.url(&path))
            .header(ACCEPT_ENCODING, accepts)
            .send()
            .await
            .expect("request");
        assert_eq!(response.status(), 200, "{accepts}");
        assert_eq!(header(&response, CONTENT_ENCODING), encoding, "{accepts}");
        assert_eq!(header(&response, CONTENT_TYPE), "application/wasm");
        assert_eq!(header(&response, CACHE_CONTROL), IMMUTABLE, "{accepts}");
        assert!(
            header(&response, VARY).contains("accept-encoding"),
            "caches keep one copy per encoding"
        );
        assert_eq!(
            &response.bytes().await.expect("body")[..],
            body,
            "{accepts}"
        );
    }

    let missing = app
        .get(&client, "/pkg/frontdesk.Zz9_-cDeFgHiJkLmNoPqRs.wasm")
        .await;
    assert_eq!(missing.status(), 404);
    assert_eq!(
        header(&missing, CACHE_CONTROL),
        "no-store",
        "a missing file is not remembered as missing"
    );

    for plain_name in ["/pkg/frontdesk.css", "/favicon.ico"] {
        let response = app.get(&client, plain_name).await;
        assert_eq!(response.status(), 200, "{plain_name}");
        assert_eq!(
            header(&response, CACHE_CONTROL),
            "no-cache",
            "{plain_name}: a name that does not change with the content is revalidated"
        );
    }
}

#[tokio::test]
async fn pages_and_server_function_answers_are_never_stored() {
    let app = spawn_app().await;
    let client = app.client();
    let sign_in = app.login(&client, ADMIN_A, PASSWORD).await;
    assert_eq!(sign_in.status(), 200);
    assert_eq!(header(&sign_in, CACHE_CONTROL), "no-store");

    let listed = app.list_members(&client, "jane").await;
    assert_eq!(listed.status(), 200);
    assert_eq!(header(&listed, CACHE_CONTROL), "no-store");

    for page in ["/admin/users", "/login", "/u/jessica"] {
        let response = app.get(&client, page).await;
        assert!(response.status().is_success(), "{page}");
        assert_eq!(header(&response, CACHE_CONTROL), "no-store", "{page}");
    }
    let refused = app.call(&app.client(), "members/list", &[]).await;
    assert_eq!(header(&refused, CACHE_CONTROL), "no-store", "errors too");
}

/// A page starts its bundle before anything else: the first script of `<head>`, ahead of
/// the stylesheet, fetches and compiles the wasm and imports the JS while the page is
/// still parsed (a module script would wait until the parsing ends).
#[tokio::test]
async fn a_page_starts_its_bundle_ahead_of_the_rest_of_its_head() {
    let app = spawn_app().await;
    let html = app.page_html("/login").await;
    let head = html.split("</head>").next().expect("a head");
    let script = head.find("<script").expect("a script in the head");
    let stylesheet = head.find("rel=\"stylesheet\"").expect("the stylesheet");
    assert!(
        script < stylesheet,
        "the bundle starts before the stylesheet: {head}"
    );
    let start = &head[script..];
    let start = &start[..start.find("</script>").expect("the script's end")];
    assert!(
        !start.contains("type=\"module\""),
        "a plain script runs as it is parsed: {start}"
    );
    assert!(
        start.contains("WebAssembly.compileStreaming(fetch(wasm))"),
        "{start}"
    );
    assert!(start.contains("import(js)"), "{start}");
    assert!(start.contains("\"/pkg/frontdesk.js\""), "{start}");
}

/// Where the build made no patients' bundle (as here), a patient's page is served as part
/// of the whole app: its live parts render as the plain components they are, with no island
/// wrapper, for the app's bundle to hydrate in place, and the start script hydrates no
/// islands. (With the patients' bundle, the browser suite sees the islands.)
#[tokio::test]
async fn without_the_patients_bundle_a_patients_page_hydrates_as_the_whole_app() {
    let app = spawn_app().await;
    let html = app.page_html("/login").await;
    assert!(html.contains("action=\"/api/auth/login\""), "{html}");
    assert!(!html.contains("<leptos-island"), "{html}");
    assert!(html.contains(".wasm\", false);"), "{html}");
}

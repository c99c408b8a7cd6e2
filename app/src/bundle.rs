//! The script that starts the browser bundle.
//!
//! Leptos's own `HydrationScripts` starts the bundle from a module script, which a browser
//! runs only once the page is parsed, styled and often painted, so on a new tab the wasm
//! starts compiling late (BENCHMARKS.md has the figures). This one
//! is a plain script at the top of `<head>`: it fetches and compiles the wasm and loads its
//! JS while the browser is still parsing and styling the page, then hydrates as soon as the
//! document is parsed.

use leptos::prelude::*;

/// The pages patients reach, and sign-in: `PatientApp`'s routes (`layout.rs`), served with the
/// patients' bundle. Every one of them is a route of `App` too.
#[cfg(feature = "ssr")]
pub const PATIENT_PATHS: &[&str] = &[
    "/",
    "/login",
    "/forgot-password",
    "/reset-password",
    "/confirm-email",
    "/u/:slug",
    "/u/:slug/guest",
    "/u/:slug/sign-up",
    "/u/:slug/waiting",
];

/// Whether `path` is one of [`PATIENT_PATHS`].
#[cfg(feature = "ssr")]
pub fn is_patient_path(path: &str) -> bool {
    // One trailing slash, as the router takes it; "/login//" is no page.
    let path = path
        .strip_suffix('/')
        .filter(|p| !p.is_empty())
        .unwrap_or(path);
    let parts: Vec<&str> = path.split('/').collect();
    PATIENT_PATHS.iter().any(|pattern| {
        let pattern: Vec<&str> = pattern.split('/').collect();
        pattern.len() == parts.len()
            && pattern
                .iter()
                .zip(&parts)
                .all(|(p, a)| p == a || (p.starts_with(':') && !a.is_empty()))
    })
}

/// The hash file the build writes for the patients' bundle, beside `hash.txt`.
const PATIENT_HASH_FILE: &str = "hash-patient.txt";

/// A bundle's JS and wasm paths, as `cargo leptos build` names them: by content when the
/// build wrote a hash file beside the binary (`hash-files`), by the output name otherwise.
/// The patients' bundle exists only where the build wrote its hash file (`make build`).
/// Read once per process: a build's names do not change while it runs.
fn bundle_paths(options: &LeptosOptions, patient: bool) -> Option<&'static (String, String)> {
    static APP: std::sync::OnceLock<(String, String)> = std::sync::OnceLock::new();
    static PATIENT: std::sync::OnceLock<Option<(String, String)>> = std::sync::OnceLock::new();
    let read = |file: &str| {
        let exe = std::env::current_exe().ok()?;
        std::fs::read_to_string(exe.parent()?.join(file)).ok()
    };
    let named = |hashes: Option<String>| {
        let name = options.output_name.to_string();
        let (mut js, mut wasm) = (name.clone(), name);
        match hashes {
            Some(hashes) => {
                for (file, hash) in hashes
                    .lines()
                    .filter_map(|line| line.trim().split_once(':'))
                {
                    match file {
                        "js" => js.push_str(&format!(".{}", hash.trim())),
                        "wasm" => wasm.push_str(&format!(".{}", hash.trim())),
                        _ => {}
                    }
                }
            }
            None if option_env!("LEPTOS_OUTPUT_NAME").is_none() => wasm.push_str("_bg"),
            None => {}
        }
        let pkg = &options.site_pkg_dir;
        (format!("/{pkg}/{js}.js"), format!("/{pkg}/{wasm}.wasm"))
    };
    if patient {
        PATIENT
            .get_or_init(|| {
                let paths = options
                    .hash_files
                    .then(|| read(PATIENT_HASH_FILE))
                    .flatten()
                    .map(|hashes| named(Some(hashes)))?;
                // A hash file left by another build names files that are gone: then every
                // page is served with the app's bundle.
                let root = std::path::Path::new(options.site_root.as_ref());
                let present = [&paths.0, &paths.1]
                    .iter()
                    .all(|file| root.join(file.trim_start_matches('/')).is_file());
                present.then_some(paths)
            })
            .as_ref()
    } else {
        Some(APP.get_or_init(|| {
            named(
                options
                    .hash_files
                    .then(|| read(options.hash_file.as_ref()))
                    .flatten(),
            )
        }))
    }
}

/// Whether this request's page is a patient's page ([`PATIENT_PATHS`]) and the
/// patients' bundle was built: then it is rendered as `PatientApp`, in islands mode, and
/// only its islands hydrate (`layout::shell`).
pub fn patient_page(options: &LeptosOptions) -> bool {
    #[cfg(feature = "ssr")]
    {
        let Some(parts) = use_context::<axum::http::request::Parts>() else {
            return false;
        };
        is_patient_path(parts.uri.path()) && bundle_paths(options, true).is_some()
    }
    #[cfg(not(feature = "ssr"))]
    {
        let _ = options;
        false
    }
}

/// Fetches and compiles the wasm and imports its JS at once, then hydrates when the
/// document is parsed. A browser that cannot compile from the stream (a proxy that changed
/// the file's type, say, or no `compileStreaming` at all) hands the wasm's path to the
/// bundle, which fetches it again. On a patient's page (`islands`), each `<leptos-island>`
/// is then hydrated by the function the bundle exports under its `data-component` name, as
/// Leptos's own island script does for islands without children; one that is missing or
/// fails is reported and the rest still hydrate. The bundle is told when all are done.
const START: &str = r#"(function (js, wasm, islands) {
  const compiled = (async () => WebAssembly.compileStreaming(fetch(wasm)))().catch(() => wasm);
  const parsed = new Promise((done) => document.readyState === "loading"
    ? document.addEventListener("DOMContentLoaded", done, { once: true }) : done());
  import(js).then((bundle) => compiled
    .then((module) => bundle.default({ module_or_path: module }))
    .then(() => parsed)
    .then(async () => {
      bundle.hydrate();
      if (!islands) return;
      for (const island of document.querySelectorAll("leptos-island")) {
        const name = island.dataset.component;
        try {
          if (typeof bundle[name] !== "function") throw new Error("not in this bundle");
          await bundle[name](island);
        } catch (error) {
          console.error(`The island ${name} did not start:`, error);
        }
      }
      bundle.hydrated();
    }));
})"#;

/// The first thing in `<head>`: starts the bundle (see the module's documentation), the
/// patients' one on a patient's page ([`patient_page`]).
#[component]
pub fn BundleScript(options: LeptosOptions, patient: bool) -> impl IntoView {
    let (js, wasm) = bundle_paths(&options, patient)
        .or_else(|| bundle_paths(&options, false))
        .expect("the app's bundle paths");
    let nonce = leptos::nonce::use_nonce();
    // The patients' bundle holds their pages' islands only (`layout::shell`).
    view! { <script nonce=nonce>{format!("{START}({js:?}, {wasm:?}, {patient});")}</script> }
}

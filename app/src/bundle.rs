//! The script that starts the browser bundle.
//!
//! Leptos's own `HydrationScripts` starts the bundle from a module script, which a browser
//! runs only once the page is parsed, styled and often painted, so on a new tab the wasm
//! starts compiling late (BENCHMARKS.md has the figures). This one
//! is a plain script at the top of `<head>`: it fetches and compiles the wasm and loads its
//! JS while the browser is still parsing and styling the page, then hydrates as soon as the
//! document is parsed.

use leptos::prelude::*;

/// The bundle's JS and wasm paths, as `cargo leptos build` names them: by content when the
/// build wrote a hash file beside the binary (`hash-files`), by the output name otherwise.
/// Read once per process: a build's names do not change while it runs.
fn bundle_paths(options: &LeptosOptions) -> &'static (String, String) {
    static PATHS: std::sync::OnceLock<(String, String)> = std::sync::OnceLock::new();
    PATHS.get_or_init(|| {
        let name = options.output_name.to_string();
        let (mut js, mut wasm) = (name.clone(), name);
        let hashes = options
            .hash_files
            .then(|| {
                let exe = std::env::current_exe().ok()?;
                std::fs::read_to_string(exe.parent()?.join(options.hash_file.as_ref())).ok()
            })
            .flatten();
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
    })
}

/// Fetches and compiles the wasm and imports its JS at once, then hydrates when the
/// document is parsed. A browser that cannot compile from the stream (a proxy that changed
/// the file's type, say, or no `compileStreaming` at all) hands the wasm's path to the
/// bundle, which fetches it again.
const START: &str = r#"(function (js, wasm) {
  const compiled = (async () => WebAssembly.compileStreaming(fetch(wasm)))().catch(() => wasm);
  const parsed = new Promise((done) => document.readyState === "loading"
    ? document.addEventListener("DOMContentLoaded", done, { once: true }) : done());
  import(js).then((bundle) => compiled
    .then((module) => bundle.default({ module_or_path: module }))
    .then(() => parsed)
    .then(() => bundle.hydrate()));
})"#;

/// The first thing in `<head>`: starts the bundle (see the module's documentation).
#[component]
pub fn BundleScript(options: LeptosOptions) -> impl IntoView {
    let (js, wasm) = bundle_paths(&options);
    let nonce = leptos::nonce::use_nonce();
    view! { <script nonce=nonce>{format!("{START}({js:?}, {wasm:?});")}</script> }
}

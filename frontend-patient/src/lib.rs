//! The patients' browser bundle: the islands of their pages and sign-in (`#[island]` in
//! `app`), without the admin pages' code and without a router. Each island is exported by
//! the function its macro writes; the start script (`app/src/bundle.rs`) calls them.

#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    app::hydrate_patient();
}

#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrated() {
    app::patient_page_ready();
}

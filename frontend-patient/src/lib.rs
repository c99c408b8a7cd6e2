//! The patients' browser bundle: hydrates their pages and sign-in (`app::PatientApp`),
//! without the admin pages' code.

#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    app::hydrate_patient();
}

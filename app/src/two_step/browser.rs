//! The browser's side of passkeys: the server's options (JSON) handed to
//! `navigator.credentials`, and the credential's `toJSON()` handed back. The browser does
//! the conversions (`PublicKeyCredential.parse…OptionsFromJSON`), so the bundle carries no
//! WebAuthn types of its own.

/// What a passkey ceremony in the browser ended with when it did not give a credential:
/// words for the page.
pub type Refused = String;

/// Creates a passkey with the server's creation `options` (the `publicKey` object, JSON):
/// the new credential as JSON.
pub async fn create_passkey(options: &str) -> Result<String, Refused> {
    ceremony("parseCreationOptionsFromJSON", "create", options).await
}

/// Signs in with a passkey, with the server's request `options`: the assertion as JSON.
pub async fn use_passkey(options: &str) -> Result<String, Refused> {
    ceremony("parseRequestOptionsFromJSON", "get", options).await
}

#[cfg(target_arch = "wasm32")]
async fn ceremony(parse: &str, call: &str, options: &str) -> Result<String, Refused> {
    use js_sys::{Function, JSON, Object, Promise, Reflect};
    use wasm_bindgen::{JsCast, JsValue};

    let get = |target: &JsValue, name: &str| Reflect::get(target, &JsValue::from_str(name));
    let window: JsValue = js_sys::global().into();
    let unsupported = || super::words::NO_PASSKEYS_HERE.to_owned();
    let class = get(&window, "PublicKeyCredential").map_err(|_| unsupported())?;
    let parse: Function = get(&class, parse)
        .ok()
        .and_then(|f| f.dyn_into().ok())
        .ok_or_else(unsupported)?;
    let json = JSON::parse(options).map_err(|_| unsupported())?;
    let public_key = parse.call1(&class, &json).map_err(refused)?;
    let wrapped = Object::new();
    Reflect::set(&wrapped, &JsValue::from_str("publicKey"), &public_key).map_err(refused)?;
    let credentials = get(&window, "navigator")
        .and_then(|n| get(&n, "credentials"))
        .map_err(|_| unsupported())?;
    let start: Function = get(&credentials, call)
        .ok()
        .and_then(|f| f.dyn_into().ok())
        .ok_or_else(unsupported)?;
    let promise: Promise = start
        .call1(&credentials, &wrapped)
        .map_err(refused)?
        .dyn_into()
        .map_err(refused)?;
    let credential = wasm_bindgen_futures::JsFuture::from(promise)
        .await
        .map_err(refused)?;
    let to_json: Function = get(&credential, "toJSON")
        .ok()
        .and_then(|f| f.dyn_into().ok())
        .ok_or_else(unsupported)?;
    let answer = to_json.call0(&credential).map_err(refused)?;
    JSON::stringify(&answer).map(String::from).map_err(refused)
}

/// Words for a browser's refusal: the user closed the dialog or it timed out, the device
/// already holds a passkey of the account, or something else the browser names.
#[cfg(target_arch = "wasm32")]
fn refused(error: wasm_bindgen::JsValue) -> Refused {
    let name = js_sys::Reflect::get(&error, &wasm_bindgen::JsValue::from_str("name"))
        .ok()
        .and_then(|n| n.as_string())
        .unwrap_or_default();
    match name.as_str() {
        "NotAllowedError" | "AbortError" => super::words::PASSKEY_CANCELLED.to_owned(),
        "InvalidStateError" => super::words::PASSKEY_TAKEN.to_owned(),
        "SecurityError" => super::words::PASSKEYS_NEED_A_NAME.to_owned(),
        _ => super::words::NO_PASSKEYS_HERE.to_owned(),
    }
}

/// On the server there is no browser: nothing calls this there.
#[cfg(not(target_arch = "wasm32"))]
async fn ceremony(_parse: &str, _call: &str, _options: &str) -> Result<String, Refused> {
    Err(super::words::NEEDS_JAVASCRIPT.to_owned())
}

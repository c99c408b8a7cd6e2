//! A form that posts to a server function, with or without JavaScript.
//!
//! Leptos's `ActionForm` does the same, but reads the form back into the call through
//! `serde_qs`, whose decoder was 8 % of the patients' bundle. Here each call says in plain
//! Rust how a form's fields make it ([`FromFields`]), so that decoder stays on the server,
//! where the same form arrives when the browser has no JavaScript.

use leptos::prelude::*;
use leptos::server_fn::codec::PostUrl;
use leptos::server_fn::{Http, ServerFn};

use crate::error::AppError;

/// The fields of a submitted form, as the browser would send them (the pressed button's
/// name and value among them).
pub struct Fields {
    #[cfg(feature = "hydrate")]
    data: web_sys::FormData,
    /// Off the browser (in tests), the same fields as name and value.
    #[cfg(not(feature = "hydrate"))]
    pairs: Vec<(String, String)>,
}

impl Fields {
    /// Fields given as name and value, as a test would fill a form.
    #[cfg(not(feature = "hydrate"))]
    pub fn from_pairs(pairs: &[(&str, &str)]) -> Self {
        Self {
            pairs: pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
        }
    }

    /// The field's value, or an empty string when the form has no such field.
    pub fn text(&self, name: &str) -> String {
        self.get(name).unwrap_or_default()
    }

    /// The field's value, `None` when the form has no such field or leaves it empty (as the
    /// server reads an `Option` from the same form).
    pub fn get(&self, name: &str) -> Option<String> {
        #[cfg(feature = "hydrate")]
        let value = self.data.get(name).as_string();
        #[cfg(not(feature = "hydrate"))]
        let value = self
            .pairs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone());
        value.filter(|v| !v.is_empty())
    }
}

/// A server function's call, made from the fields of the form that posts to it: the same
/// names the server reads when the browser sends that form itself.
pub trait FromFields {
    fn from_fields(fields: &Fields) -> Self;
}

/// `<form method="post" action={S's URL}>`: sent by the browser alone without JavaScript;
/// with it, the call is made from the form's fields and `action` dispatches it.
#[component]
pub fn PostForm<S, Out>(
    action: ServerAction<S>,
    #[prop(optional)] class: Option<&'static str>,
    /// Leaves checking the fields to the page (its messages, next to each field).
    #[prop(optional)]
    novalidate: bool,
    children: Children,
) -> impl IntoView
where
    // Posted as a form's fields, as a browser without JavaScript sends them.
    S: ServerFn<Protocol = Http<PostUrl, Out>> + FromFields + Clone + Send + Sync + 'static,
    S::Output: Send + Sync + 'static,
    S::Error: Send + Sync + 'static,
{
    let submit = move |ev: leptos::ev::SubmitEvent| {
        if ev.default_prevented() {
            return;
        }
        ev.prevent_default();
        #[cfg(feature = "hydrate")]
        match leptos::form::form_data_from_event(&ev) {
            Ok(data) => {
                action.dispatch(S::from_fields(&Fields { data }));
            }
            Err(err) => leptos::logging::error!("a form without its fields: {err}"),
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = action;
    };
    view! {
        <form action=S::url() method="post" class=class novalidate=novalidate on:submit=submit>
            {children()}
        </form>
    }
}

/// What a form shows as its error: its last call's, or, before any call, the error a
/// JavaScript-off post of it brought back in the URL (`failed`, read on the server).
pub fn last_error<S>(
    action: ServerAction<S>,
    failed: Option<AppError>,
) -> impl Fn() -> Option<AppError> + Copy + Send + Sync + 'static
where
    S: ServerFn<Error = AppError> + Clone + Send + Sync + 'static,
    S::Output: Clone + Send + Sync + 'static,
{
    let failed = StoredValue::new(failed);
    move || match action.value().get() {
        Some(result) => result.err(),
        None => failed.get_value(),
    }
}

#[cfg(test)]
mod tests {
    //! Every call a form of Frontdesk makes in the browser is the call the server reads
    //! from the same fields when the browser posts the form itself.

    use super::*;
    use serde::Serialize;
    use serde::de::DeserializeOwned;

    fn same_call<S: FromFields + Serialize + DeserializeOwned>(pairs: &[(&str, &str)]) {
        let in_browser = S::from_fields(&Fields::from_pairs(pairs));
        let query = serde_urlencoded::to_string(pairs).expect("a form");
        let on_server: S = serde_qs::Config::new(5, false)
            .deserialize_str(&query)
            .expect("the server reads the form");
        assert_eq!(
            serde_json::to_value(&in_browser).unwrap(),
            serde_json::to_value(&on_server).unwrap(),
            "{}",
            std::any::type_name::<S>()
        );
    }

    #[test]
    fn every_form_makes_the_call_the_server_reads_from_it() {
        use crate::auth::{ForgotPassword, Login, Logout, ResetPassword};
        use crate::members::StartImport;
        use crate::patients::{ConfirmSignUp, ResendConfirmation};
        use crate::two_step::{
            BeginApp, RemovePasskey, RenewCodes, SecondStep, TurnOffApp, TurnOnApp,
        };

        same_call::<Login>(&[("username", "jane@example.com"), ("password", "pw 1&2")]);
        same_call::<Login>(&[
            ("next", "/u/jessica"),
            ("username", "jane@example.com"),
            ("password", "pw"),
        ]);
        same_call::<Login>(&[("next", ""), ("username", ""), ("password", "")]);
        same_call::<Logout>(&[]);
        same_call::<ForgotPassword>(&[("identifier", "jane@example.com")]);
        same_call::<ResetPassword>(&[
            ("token", "abc"),
            ("password", "Correct-Horse-42"),
            ("confirm_password", "Correct-Horse-43"),
        ]);
        same_call::<crate::patients::SignUp>(&[
            ("slug", "jessica"),
            ("first_name", "Jane"),
            ("last_name", "Gomez"),
            ("email", "jane@example.com"),
            ("password", "Correct-Horse-42"),
            ("confirm_password", "Correct-Horse-43"),
            ("date_of_birth", "1990-04-08"),
            ("phone", "555-0100"),
            ("timezone", "America/New_York"),
        ]);
        same_call::<ConfirmSignUp>(&[("token", "abc"), ("password", "pw")]);
        same_call::<ResendConfirmation>(&[("username", "jane@example.com")]);
        same_call::<crate::patients::EnterAsGuest>(&[
            ("slug", "jessica"),
            ("first_name", "Guest"),
            ("last_name", "One"),
            ("reason", "Ear pain"),
        ]);
        same_call::<crate::patients::JoinWaitingRoom>(&[
            ("slug", "jessica"),
            ("reason", "Ear pain"),
        ]);
        same_call::<crate::patients::LeaveWaitingRoom>(&[]);
        same_call::<crate::patients::ChangePassword>(&[
            ("current_password", "old"),
            ("password", "Correct-Horse-42"),
            ("confirm_password", "Correct-Horse-43"),
        ]);
        same_call::<SecondStep>(&[("code", "123456")]);
        same_call::<SecondStep>(&[("recovery_code", "abcd-efgh")]);
        same_call::<SecondStep>(&[("code", ""), ("recovery_code", "")]);
        same_call::<BeginApp>(&[]);
        same_call::<TurnOnApp>(&[("password", "pw"), ("code", "123456")]);
        same_call::<TurnOffApp>(&[("password", "pw")]);
        same_call::<RenewCodes>(&[("codes_password", "pw")]);
        same_call::<RemovePasskey>(&[("passkey", "3"), ("remove_password", "pw")]);
        same_call::<StartImport>(&[("id", "42")]);
    }
}

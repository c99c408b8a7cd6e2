//! The patient's own account (`/account`): profile with editable contact fields, change
//! password (asks for the current one), own visits, sign out.

use crate::ui::post_form::{Fields, FromFields, PostForm};
use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos::server_fn::codec::Json;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use super::room::{PatientCard, split_error};
use super::{AccountView, ContactInput};
use crate::accounts::profile::field;
use crate::auth::url_error;
use crate::auth::{IdleWatch, Logout};
use crate::error::{AppError, FieldError};
use crate::ui::password_rules::rule_items;

/// The caller's own account.
#[server(endpoint = "account/me")]
pub async fn load_account() -> Result<AccountView, AppError> {
    let me = crate::auth::guard::require_user().await?;
    let state = crate::state::AppState::current()?;
    super::service::account(&state.db, &me).await
}

/// Saves the caller's own contact fields.
#[server(endpoint = "account/save", input = Json)]
pub async fn save_contact(contact: ContactInput) -> Result<AccountView, AppError> {
    let me = crate::auth::guard::require_user().await?;
    let state = crate::state::AppState::current()?;
    super::service::save_contact(&state.db, &me, contact).await
}

/// Changes the caller's own password; the current one is asked for.
#[server(endpoint = "account/password")]
pub async fn change_password(
    current_password: String,
    password: String,
    confirm_password: String,
) -> Result<(), AppError> {
    let me = crate::auth::guard::require_user().await?;
    let state = crate::state::AppState::current()?;
    let token = crate::auth::guard::current_token().unwrap_or_default();
    super::service::change_password(
        &state,
        &me,
        &token,
        &current_password,
        &password,
        &confirm_password,
    )
    .await?;
    leptos_axum::redirect("/account?password=1");
    Ok(())
}

#[component]
pub fn AccountPage() -> impl IntoView {
    let query = use_query_map();
    let account = Resource::new(|| (), |_| load_account());
    let logout = ServerAction::<Logout>::new();
    view! {
        <Title text="Your account · Frontdesk"/>
        <PatientCard>
            <Suspense fallback=|| view! { <p class="loading">"Loading your account…"</p> }>
                {move || account.get().map(|result| match result {
                    Ok(a) => {
                        let welcome = query.read().get("welcome").is_some();
                        let password_changed = query.read().get("password").is_some();
                        view! {
                            <div class="account-head">
                                <p class="brand">{a.clinic_name.clone()}</p>
                                <PostForm action=logout class="inline">
                                    <button type="submit" class="button">"Sign out"</button>
                                </PostForm>
                            </div>
                            <h1>{format!("{} {}", a.first_name, a.last_name)}</h1>
                            {welcome.then(|| view! { <p class="notice" role="status">"Your email is confirmed and you are signed in."</p> })}
                            {password_changed.then(|| view! { <p class="notice" role="status">"Your password was changed."</p> })}
                            {(!a.rooms.is_empty()).then(|| view! {
                                <nav class="room-links" aria-label="Waiting rooms">
                                    <ul>
                                        {a.rooms.iter().map(|r| view! {
                                            <li><a class="button primary" href=format!("/u/{}", r.slug)>
                                                {format!("Go to the waiting room: {}", r.name)}
                                            </a></li>
                                        }).collect_view()}
                                    </ul>
                                </nav>
                            })}
                            <ProfileSection account=a.clone()/>
                            <PasswordSection account=a.clone()/>
                            <section aria-labelledby="security-title">
                                <h2 id="security-title">"Two-step sign-in"</h2>
                                <p>"Ask for a code from an app on your phone after your password."</p>
                                <p><a href="/account/security">"Security settings"</a></p>
                            </section>
                            <VisitsSection account=a/>
                        }.into_any()
                    }
                    Err(AppError::Unauthorized) => view! {
                        <h1>"Your account"</h1>
                        <p>"Sign in to see your account."</p>
                        <p><a class="button primary" href="/login?next=/account">"Sign in"</a></p>
                    }.into_any(),
                    Err(AppError::Forbidden) => view! {
                        <h1>"Your account"</h1>
                        <p>"Guests have no account. Sign up from your clinic's room link to get one."</p>
                    }.into_any(),
                    Err(err) => view! { <p class="form-error" role="alert">{err.to_string()}</p> }.into_any(),
                })}
            </Suspense>
        </PatientCard>
        <IdleWatch/>
    }
}

#[component]
fn ProfileSection(account: AccountView) -> impl IntoView {
    let c = account.contact.clone();
    let version = RwSignal::new(c.version);
    let phone = RwSignal::new(c.phone);
    let address = RwSignal::new(c.address);
    let city = RwSignal::new(c.city);
    let state = RwSignal::new(c.state);
    let zip = RwSignal::new(c.zip);
    let country = RwSignal::new(c.country);
    let timezone = RwSignal::new(c.timezone);
    let errors = RwSignal::new(Vec::<FieldError>::new());
    let note = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let message = move |f: &'static str| {
        errors
            .read()
            .iter()
            .find(|e| e.field == f)
            .map(|e| e.message.clone())
    };
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let input = ContactInput {
            version: version.get_untracked(),
            phone: phone.get_untracked(),
            address: address.get_untracked(),
            city: city.get_untracked(),
            state: state.get_untracked(),
            zip: zip.get_untracked(),
            country: country.get_untracked(),
            timezone: timezone.get_untracked(),
        };
        busy.set(true);
        note.set(None);
        leptos::task::spawn_local(async move {
            let result = save_contact(input).await;
            busy.set(false);
            match result {
                Ok(saved) => {
                    version.set(saved.contact.version);
                    errors.set(Vec::new());
                    note.set(Some("Your details were saved.".into()));
                }
                Err(err) => crate::error::show_failure(err, errors, note),
            }
        });
    };
    let text = move |f: &'static str,
                     label: &'static str,
                     value: RwSignal<String>,
                     kind: &'static str,
                     autocomplete: &'static str| {
        view! {
            <div class="field">
                <label for=f>{label}" (optional)"</label>
                <input id=f name=f type=kind autocomplete=autocomplete bind:value=value
                    aria-invalid=move || message(f).is_some().to_string()
                    aria-describedby=format!("{f}-error")/>
                <p id=format!("{f}-error") class="field-error">{move || message(f)}</p>
            </div>
        }
    };
    let select = move |f: &'static str,
                       label: &'static str,
                       value: RwSignal<String>,
                       choices: Vec<crate::accounts::choices::Choice>| {
        view! {
            <div class="field">
                <label for=f>{label}</label>
                <select id=f name=f on:change=move |ev| value.set(event_target_value(&ev))
                    aria-invalid=move || message(f).is_some().to_string()
                    aria-describedby=format!("{f}-error")>
                    {choices.into_iter().map(|c| {
                        let selected = c.value == value.get_untracked();
                        view! { <option value=c.value.clone() selected=selected>{c.label}</option> }
                    }).collect_view()}
                </select>
                <p id=format!("{f}-error") class="field-error">{move || message(f)}</p>
            </div>
        }
    };
    let us_states = account.us_states.clone();
    view! {
        <section aria-labelledby="profile-title">
            <h2 id="profile-title">"Profile"</h2>
            <dl class="facts">
                <dt>"Username"</dt><dd>{account.username.clone()}</dd>
                <dt>"Email"</dt><dd>{account.email.clone()}</dd>
                <dt>"Date of birth"</dt><dd>{account.date_of_birth.clone().unwrap_or_else(|| "—".into())}</dd>
            </dl>
            <p class="hint">"To change your name, email or date of birth, contact your clinic."</p>
            <form class="form" novalidate on:submit=submit>
                {text(field::PHONE, "Phone", phone, "tel", "tel")}
                {text(field::ADDRESS, "Address", address, "text", "street-address")}
                {text(field::CITY, "City", city, "text", "address-level2")}
                {move || if country.get() == "US" {
                    select(field::STATE, "State", state, std::iter::once(crate::accounts::choices::Choice { value: String::new(), label: "—".into() }).chain(us_states.clone()).collect()).into_any()
                } else {
                    text(field::STATE, "State or region", state, "text", "address-level1").into_any()
                }}
                {text(field::ZIP, "Zip", zip, "text", "postal-code")}
                {select(field::COUNTRY, "Country", country, account.countries.clone())}
                {select(field::TIMEZONE, "Time zone", timezone, account.timezones.clone())}
                <p class="saved" role="status">{move || note.get()}</p>
                <button type="submit" class="button primary" disabled=move || busy.get()>"Save my details"</button>
            </form>
        </section>
    }
}

#[component]
fn PasswordSection(account: AccountView) -> impl IntoView {
    let action = ServerAction::<ChangePassword>::new();
    let from_url = url_error(ChangePassword::PATH);
    let error = move || action.value().get().and_then(Result::err).or_else(from_url);
    let (field_error, form_error) = split_error(error);
    let password = RwSignal::new(String::new());
    let policy = account.policy.clone();
    let username = account.username.clone();
    let input = move |name: &'static str, label: &'static str, autocomplete: &'static str| {
        view! {
            <div class="field">
                <label for=name>{label}</label>
                <input id=name name=name type="password" autocomplete=autocomplete required
                    aria-invalid=move || field_error(name).is_some().to_string()
                    aria-describedby=format!("{name}-error")/>
                <p id=format!("{name}-error") class="field-error">{move || field_error(name)}</p>
            </div>
        }
    };
    view! {
        <section aria-labelledby="password-title">
            <h2 id="password-title">"Change password"</h2>
            <PostForm action=action class="form" novalidate=true>
                {move || form_error().map(|m| view! { <p class="form-error" role="alert">{m}</p> })}
                {input("current_password", "Current password", "current-password")}
                <div class="field">
                    <label for="password">"New password"</label>
                    <input id="password" name="password" type="password" autocomplete="new-password"
                        required bind:value=password
                        aria-invalid=move || field_error(field::PASSWORD).is_some().to_string()
                        aria-describedby="password-error password-rules"/>
                    <p id="password-error" class="field-error">{move || field_error(field::PASSWORD)}</p>
                </div>
                <ul id="password-rules" class="requirements" aria-live="polite">
                    {move || rule_items(policy.rules(&password.get(), &username))}
                </ul>
                {input(field::CONFIRM_PASSWORD, "Confirm new password", "new-password")}
                <button type="submit" class="button primary" disabled=move || action.pending().get()>
                    "Change password"
                </button>
            </PostForm>
        </section>
    }
}

#[component]
fn VisitsSection(account: AccountView) -> impl IntoView {
    view! {
        <section aria-labelledby="visits-title">
            <h2 id="visits-title">"Your visits"</h2>
            {if account.visits.is_empty() {
                view! { <p class="empty">"No visits yet."</p> }.into_any()
            } else {
                view! {
                    <table class="visits" tabindex="0" aria-label="Your visits">
                        <thead>
                            <tr>
                                <th scope="col">"Date"</th>
                                <th scope="col">"Room"</th>
                                <th scope="col">"Provider"</th>
                                <th scope="col">"Reason"</th>
                                <th scope="col">"Status"</th>
                            </tr>
                        </thead>
                        <tbody>
                            {account.visits.into_iter().map(|v| view! {
                                <tr><td>{v.at}</td><td>{v.room}</td><td>{v.provider}</td><td>{v.reason}</td><td>{v.status}</td></tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                }.into_any()
            }}
        </section>
    }
}

// How each form that posts to these functions makes its call in the browser.

impl FromFields for ChangePassword {
    fn from_fields(f: &Fields) -> Self {
        Self {
            current_password: f.text("current_password"),
            password: f.text(field::PASSWORD),
            confirm_password: f.text(field::CONFIRM_PASSWORD),
        }
    }
}

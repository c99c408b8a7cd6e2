//! The pieces the Create a Member form and the Profile tab share: the fields' state, their
//! messages, and the fields themselves in the article's order.

use leptos::prelude::*;

use super::types::FormOptions;
use crate::accounts::choices::Choice;
use crate::accounts::profile::{FORM_ORDER, ProfileInput, field, today};
use crate::error::FieldError;
use crate::ui::password_rules::rule_items;
use crate::validation::PasswordPolicy;

/// Every profile field as a signal, bound to its input.
#[derive(Clone, Copy)]
pub struct ProfileFields {
    pub username: RwSignal<String>,
    pub first_name: RwSignal<String>,
    pub last_name: RwSignal<String>,
    pub email: RwSignal<String>,
    pub dob_month: RwSignal<String>,
    pub dob_day: RwSignal<String>,
    pub dob_year: RwSignal<String>,
    pub address: RwSignal<String>,
    pub city: RwSignal<String>,
    pub state: RwSignal<String>,
    pub zip: RwSignal<String>,
    pub country: RwSignal<String>,
    pub phone: RwSignal<String>,
    pub pcp_name: RwSignal<String>,
    pub pcp_phone: RwSignal<String>,
    pub timezone: RwSignal<String>,
}

impl ProfileFields {
    pub fn new(p: &ProfileInput) -> Self {
        let s = |v: &String| RwSignal::new(v.clone());
        Self {
            username: s(&p.username),
            first_name: s(&p.first_name),
            last_name: s(&p.last_name),
            email: s(&p.email),
            dob_month: s(&p.dob_month),
            dob_day: s(&p.dob_day),
            dob_year: s(&p.dob_year),
            address: s(&p.address),
            city: s(&p.city),
            state: s(&p.state),
            zip: s(&p.zip),
            country: s(&p.country),
            phone: s(&p.phone),
            pcp_name: s(&p.pcp_name),
            pcp_phone: s(&p.pcp_phone),
            timezone: s(&p.timezone),
        }
    }

    /// The fields' values now (tracked: a memo over this re-runs as the admin types).
    pub fn get(&self) -> ProfileInput {
        ProfileInput {
            username: self.username.get(),
            first_name: self.first_name.get(),
            last_name: self.last_name.get(),
            email: self.email.get(),
            dob_month: self.dob_month.get(),
            dob_day: self.dob_day.get(),
            dob_year: self.dob_year.get(),
            address: self.address.get(),
            city: self.city.get(),
            state: self.state.get(),
            zip: self.zip.get(),
            country: self.country.get(),
            phone: self.phone.get(),
            pcp_name: self.pcp_name.get(),
            pcp_phone: self.pcp_phone.get(),
            timezone: self.timezone.get(),
        }
    }

    pub fn set(&self, p: &ProfileInput) {
        self.username.set(p.username.clone());
        self.first_name.set(p.first_name.clone());
        self.last_name.set(p.last_name.clone());
        self.email.set(p.email.clone());
        self.dob_month.set(p.dob_month.clone());
        self.dob_day.set(p.dob_day.clone());
        self.dob_year.set(p.dob_year.clone());
        self.address.set(p.address.clone());
        self.city.set(p.city.clone());
        self.state.set(p.state.clone());
        self.zip.set(p.zip.clone());
        self.country.set(p.country.clone());
        self.phone.set(p.phone.clone());
        self.pcp_name.set(p.pcp_name.clone());
        self.pcp_phone.set(p.pcp_phone.clone());
        self.timezone.set(p.timezone.clone());
    }
}

/// Which message each field shows: the server's (until the field is edited), else the
/// browser's own check once the admin has left the field or tried to submit.
#[derive(Clone, Copy)]
pub struct FormState {
    pub local: Memo<Vec<FieldError>>,
    pub server: RwSignal<Vec<FieldError>>,
    touched: RwSignal<Vec<&'static str>>,
    pub submitted: RwSignal<bool>,
    /// A message for the whole form (a conflict, a lost connection).
    pub alert: RwSignal<Option<String>>,
    pub busy: RwSignal<bool>,
}

impl FormState {
    pub fn new(local: Memo<Vec<FieldError>>) -> Self {
        Self {
            local,
            server: RwSignal::new(Vec::new()),
            touched: RwSignal::new(Vec::new()),
            submitted: RwSignal::new(false),
            alert: RwSignal::new(None),
            busy: RwSignal::new(false),
        }
    }

    pub fn message(&self, name: &str) -> Option<String> {
        if let Some(e) = self.server.read().iter().find(|e| e.field == name) {
            return Some(e.message.clone());
        }
        if !self.submitted.get() && !self.touched.read().contains(&name) {
            return None;
        }
        self.local
            .read()
            .iter()
            .find(|e| e.field == name)
            .map(|e| e.message.clone())
    }

    /// Marks a field as visited (its messages show from now on). A blur that arrives after
    /// the form is gone does nothing.
    pub fn touch(&self, name: &'static str) {
        let visited = self.touched.try_with_untracked(|t| t.contains(&name));
        if visited == Some(false) {
            self.touched.try_update(|t| t.push(name));
        }
    }

    pub fn edited(&self, name: &str) {
        if self.server.read_untracked().iter().any(|e| e.field == name) {
            self.server
                .update(|errors| errors.retain(|e| e.field != name));
        }
    }

    /// Starts a submit: shows every message; true when the browser's checks all pass.
    pub fn begin_submit(&self) -> bool {
        self.submitted.set(true);
        self.alert.set(None);
        let errors = self.local.get_untracked();
        if let Some(first) = errors.first() {
            focus_field(&first.field);
            return false;
        }
        true
    }

    /// Shows a server's answer: field messages next to their fields, anything else on top.
    pub fn show_error(&self, err: crate::error::AppError) {
        let fields = err.field_errors();
        if let Some(first) = fields.first() {
            focus_field(&first.field);
            self.server.set(fields);
        } else {
            self.alert.set(Some(err.to_string()));
        }
    }
}

/// Moves focus to a field's input, so a keyboard user lands on what needs fixing.
pub fn focus_field(name: &str) {
    #[cfg(feature = "hydrate")]
    {
        use leptos::wasm_bindgen::JsCast;
        if let Some(el) = document()
            .get_element_by_id(&field_id(name))
            .and_then(|e| e.dyn_into::<leptos::web_sys::HtmlElement>().ok())
        {
            let _ = el.focus();
        }
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = name;
}

/// The element ID of a field's input.
pub fn field_id(name: &str) -> String {
    format!("f-{name}")
}

/// The browser's checks of a profile (and, for a new member, its password fields).
pub fn local_checks(
    fields: ProfileFields,
    extra: impl Fn() -> Vec<FieldError> + Send + Sync + 'static,
) -> Memo<Vec<FieldError>> {
    Memo::new(move |_| {
        let mut errors = fields.get().validate(today()).err().unwrap_or_default();
        errors.extend(extra());
        // In the form's order: a failed submit focuses the first field the admin reads.
        errors.sort_by_key(|e| FORM_ORDER.iter().position(|f| *f == e.field));
        errors
    })
}

/// A label: the name, then " *" when required or "(optional)" otherwise, as the article.
#[component]
fn FieldLabel(#[prop(into)] for_id: String, label: &'static str, required: bool) -> impl IntoView {
    view! {
        <label for=for_id>
            {label}
            {if required {
                view! { <span class="required" aria-hidden="true">" *"</span> }.into_any()
            } else {
                view! { <span class="optional">" (optional)"</span> }.into_any()
            }}
        </label>
    }
}

/// The message under a field, tied to its input by `aria-describedby`.
#[component]
fn FieldMessage(form: FormState, name: &'static str) -> impl IntoView {
    view! {
        <p class="field-error" id=format!("{}-error", field_id(name))>{move || form.message(name)}</p>
    }
}

/// A one-line text input.
#[component]
pub fn TextField(
    form: FormState,
    name: &'static str,
    label: &'static str,
    value: RwSignal<String>,
    #[prop(optional)] required: bool,
    #[prop(default = "text")] kind: &'static str,
    #[prop(default = "off")] autocomplete: &'static str,
    #[prop(optional)] inputmode: Option<&'static str>,
    #[prop(optional)] autofocus: bool,
    #[prop(optional, into)] on_edit: Option<Callback<()>>,
) -> impl IntoView {
    let id = field_id(name);
    let invalid = move || form.message(name).is_some();
    view! {
        <div class="field" class:invalid=invalid>
            <FieldLabel for_id=id.clone() label required/>
            <input id=id.clone() name=name type=kind bind:value=value autocomplete=autocomplete
                inputmode=inputmode autofocus=autofocus
                aria-required=required.then_some("true")
                aria-invalid=move || invalid().to_string()
                aria-describedby=format!("{id}-error")
                on:input=move |_| {
                    form.edited(name);
                    if let Some(cb) = on_edit { cb.run(()) }
                }
                on:blur=move |_| form.touch(name)/>
            <FieldMessage form name/>
        </div>
    }
}

/// A select over `choices`, with an optional empty first option.
#[component]
pub fn SelectField(
    form: FormState,
    name: &'static str,
    label: &'static str,
    value: RwSignal<String>,
    choices: Vec<Choice>,
    #[prop(optional)] required: bool,
    #[prop(optional)] empty: Option<&'static str>,
    #[prop(optional, into)] on_edit: Option<Callback<()>>,
) -> impl IntoView {
    let id = field_id(name);
    let now = value.get_untracked();
    let invalid = move || form.message(name).is_some();
    view! {
        <div class="field" class:invalid=invalid>
            <FieldLabel for_id=id.clone() label required/>
            <select id=id.clone() name=name prop:value=move || value.get()
                aria-required=required.then_some("true")
                aria-invalid=move || invalid().to_string()
                aria-describedby=format!("{id}-error")
                on:change=move |ev| {
                    value.set(event_target_value(&ev));
                    form.edited(name);
                    form.touch(name);
                    if let Some(cb) = on_edit { cb.run(()) }
                }>
                {empty.map(|text| view! { <option value="" selected=now.is_empty()>{text}</option> })}
                {choices.into_iter().map(|c| {
                    let selected = c.value == now;
                    view! { <option value=c.value selected=selected>{c.label}</option> }
                }).collect_view()}
            </select>
            <FieldMessage form name/>
        </div>
    }
}

/// The Username field.
#[component]
pub fn UsernameField(
    form: FormState,
    fields: ProfileFields,
    #[prop(optional, into)] on_edit: Option<Callback<()>>,
) -> impl IntoView {
    match on_edit {
        Some(on_edit) => view! {
            <TextField form name=field::USERNAME label="Username" value=fields.username required=true
                autocomplete="off" on_edit/>
        }
        .into_any(),
        None => view! {
            <TextField form name=field::USERNAME label="Username" value=fields.username required=true
                autocomplete="off"/>
        }
        .into_any(),
    }
}

/// Password and Confirm Password, with the policy's requirements ticked off as one types.
#[component]
pub fn PasswordFields(
    form: FormState,
    password: RwSignal<String>,
    confirm: RwSignal<String>,
    username: RwSignal<String>,
    #[prop(into)] policy: Signal<PasswordPolicy>,
    /// Whether a password must be given (Set password), rather than left for the member to
    /// choose from a welcome email (Create a Member).
    #[prop(optional)]
    required: bool,
) -> impl IntoView {
    let rules = move || policy.get().rules(&password.get(), &username.get());
    view! {
        <TextField form name=field::PASSWORD label="Password" value=password kind="password"
            autocomplete="new-password" required/>
        <div class="requirements" id="password-requirements">
            <p><span aria-hidden="true">"📘 "</span>"Password requirements"</p>
            <ul aria-live="polite">
                {move || rule_items(rules())}
            </ul>
        </div>
        <TextField form name=field::CONFIRM_PASSWORD label="Confirm Password" value=confirm
            kind="password" autocomplete="new-password" required/>
    }
}

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// First Name through Timezone, in the article's order.
#[component]
pub fn PersonFields(form: FormState, fields: ProfileFields, options: FormOptions) -> impl IntoView {
    let dob_id = field_id(field::DATE_OF_BIRTH);
    let dob_invalid = move || form.message(field::DATE_OF_BIRTH).is_some();
    let month_now = fields.dob_month.get_untracked();
    let touch_dob = move |_| form.touch(field::DATE_OF_BIRTH);
    let edit_dob = move |_| form.edited(field::DATE_OF_BIRTH);
    let states = options.us_states.clone();
    let state_now = fields.state.get_untracked();
    // A US state is a code from the list; elsewhere the region is free text.
    let on_country = Callback::new(move |()| fields.state.set(String::new()));
    view! {
        <TextField form name=field::FIRST_NAME label="First Name" value=fields.first_name required=true
            autocomplete="off"/>
        <TextField form name=field::LAST_NAME label="Last Name" value=fields.last_name required=true
            autocomplete="off"/>
        <TextField form name=field::EMAIL label="Email" value=fields.email required=true kind="email"
            autocomplete="off"/>
        <fieldset class="field dob" class:invalid=dob_invalid
            aria-describedby=format!("{dob_id}-error")>
            <legend>"Date of Birth"<span class="optional">" (optional)"</span></legend>
            <div class="dob-parts">
                <label>
                    <span class="visually-hidden">"Month"</span>
                    <select id=dob_id.clone() prop:value=move || fields.dob_month.get()
                        aria-invalid=move || dob_invalid().to_string()
                        on:change=move |ev| { fields.dob_month.set(event_target_value(&ev)); form.edited(field::DATE_OF_BIRTH); }
                        on:blur=touch_dob>
                        <option value="" selected=month_now.is_empty()>"Month"</option>
                        {MONTHS.iter().enumerate().map(|(i, m)| {
                            let v = (i + 1).to_string();
                            let selected = v == month_now;
                            view! { <option value=v selected=selected>{*m}</option> }
                        }).collect_view()}
                    </select>
                </label>
                <label>
                    <span class="visually-hidden">"Day"</span>
                    <input name="dob_day" inputmode="numeric" placeholder="Day" size="3" maxlength="2"
                        bind:value=fields.dob_day aria-invalid=move || dob_invalid().to_string()
                        on:input=edit_dob on:blur=touch_dob/>
                </label>
                <label>
                    <span class="visually-hidden">"Year"</span>
                    <input name="dob_year" inputmode="numeric" placeholder="Year" size="5" maxlength="4"
                        bind:value=fields.dob_year aria-invalid=move || dob_invalid().to_string()
                        on:input=edit_dob on:blur=touch_dob/>
                </label>
            </div>
            <FieldMessage form name=field::DATE_OF_BIRTH/>
        </fieldset>
        <TextField form name=field::ADDRESS label="Address" value=fields.address autocomplete="off"/>
        <TextField form name=field::CITY label="City" value=fields.city autocomplete="off"/>
        {move || if fields.country.get() == "US" {
            let states = states.clone();
            let id = field_id(field::STATE);
            let invalid = move || form.message(field::STATE).is_some();
            let state_now = state_now.clone();
            view! {
                <div class="field" class:invalid=invalid>
                    <FieldLabel for_id=id.clone() label="State" required=false/>
                    <select id=id.clone() name="state" prop:value=move || fields.state.get()
                        aria-invalid=move || invalid().to_string() aria-describedby=format!("{id}-error")
                        on:change=move |ev| { fields.state.set(event_target_value(&ev)); form.edited(field::STATE); }>
                        <option value="" selected=state_now.is_empty()>"Choose a state"</option>
                        {states.into_iter().map(|s| {
                            let selected = s.value == state_now;
                            view! { <option value=s.value selected=selected>{s.label}</option> }
                        }).collect_view()}
                    </select>
                    <FieldMessage form name=field::STATE/>
                </div>
            }.into_any()
        } else {
            view! {
                <TextField form name=field::STATE label="State" value=fields.state autocomplete="off"/>
            }.into_any()
        }}
        <TextField form name=field::ZIP label="Zip" value=fields.zip autocomplete="off"/>
        <SelectField form name=field::COUNTRY label="Country" value=fields.country
            choices=options.countries.clone() on_edit=on_country/>
        <TextField form name=field::PHONE label="Phone" value=fields.phone kind="tel" autocomplete="off"/>
        <TextField form name=field::PCP_NAME label="Primary Care Physician Name" value=fields.pcp_name
            autocomplete="off"/>
        <TextField form name=field::PCP_PHONE label="Primary Care Physician Phone" value=fields.pcp_phone
            kind="tel" autocomplete="off"/>
        <SelectField form name=field::TIMEZONE label="Timezone" value=fields.timezone
            choices=options.timezones.clone()/>
    }
}

/// The form-wide message (a conflict, a lost connection), announced when it appears.
#[component]
pub fn FormAlert(form: FormState, #[prop(optional)] children: Option<ChildrenFn>) -> impl IntoView {
    view! {
        <div class="form-error" role="alert" hidden=move || form.alert.get().is_none()>
            <p>{move || form.alert.get()}</p>
            {children.map(|c| c())}
        </div>
    }
}

//! Server functions for signing in and out.

use crate::ui::post_form::{Fields, FromFields};
use leptos::prelude::*;

use super::Me;
use crate::error::AppError;

/// Signs in with username and password. Public: anyone may try.
///
/// Unknown usernames and wrong passwords get the same answer, after the same amount of work.
#[server(endpoint = "auth/login")]
pub async fn login(
    username: String,
    password: String,
    next: Option<String>,
) -> Result<(), AppError> {
    // Public: this is how a caller becomes someone; braked per address and per account.
    super::guard::public_post()?;
    let state = crate::state::AppState::current()?;
    if username.trim().is_empty() {
        return Err(AppError::validation("username", "Enter your username."));
    }
    if password.is_empty() {
        return Err(AppError::validation("password", "Enter your password."));
    }
    if username.len() > 254 || password.chars().count() > crate::validation::MAX_PASSWORD_CHARS {
        return Err(AppError::validation("form", super::NO_MATCH));
    }
    let next = next.filter(|n| super::safe_next(n));
    match service::sign_in(&state, &username, password, next.clone()).await? {
        service::SignedIn::SecondStep(step) => {
            crate::two_step::set_step_cookie(&step, state.auth.secure_cookies);
            leptos_axum::redirect("/login/second-step");
        }
        service::SignedIn::Session { token, landing } => {
            super::guard::set_session_cookie(&token)?;
            leptos_axum::redirect(&landing);
        }
    }
    Ok(())
}

/// Ends the caller's session, if there is one. Public: signing out needs no permission.
#[server(endpoint = "auth/logout")]
pub async fn logout() -> Result<(), AppError> {
    // Public: a caller without a session is simply signed out already.
    let state = crate::state::AppState::current()?;
    if let Some(token) = super::guard::current_token() {
        super::session::end(&state.db, &token).await?;
    }
    super::guard::clear_session_cookie()?;
    leptos_axum::redirect("/login");
    Ok(())
}

/// Who is signed in, or `None`. Public: it only ever describes the caller.
#[server(endpoint = "auth/me")]
pub async fn current_user() -> Result<Option<Me>, AppError> {
    // Public: answers about the caller's own session only.
    let Some(user) = super::guard::current_session().await? else {
        return Ok(None);
    };
    Ok(Some(service::describe(&user)))
}

#[cfg(feature = "ssr")]
pub(crate) mod service {
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

    use crate::accounts::{Status, UserType};
    use crate::auth::Me;
    use crate::auth::session::{self, SessionUser};
    use crate::auth::throttle::{Guess, client_ip};
    use crate::db::now_ms;
    use crate::entities::{clinic, user};
    use crate::error::AppError;
    use crate::state::AppState;

    /// What a right password leads to.
    pub enum SignedIn {
        /// The account has a second factor: the half-done sign-in's token for its cookie.
        SecondStep(String),
        /// A session's token, and where the browser goes first.
        Session { token: String, landing: String },
    }

    use crate::auth::NO_MATCH;

    #[tracing::instrument(skip_all)]
    pub async fn sign_in(
        state: &AppState,
        username: &str,
        password: String,
        next: Option<String>,
    ) -> Result<SignedIn, AppError> {
        let lower = username.trim().to_lowercase();
        // The guess takes its slot before the hash, so parallel guesses cannot pass more
        // than the allowance.
        let guess = Guess::SignIn {
            account: lower.clone(),
            address: client_ip(),
        };
        let slot = state.throttle.take(&state.db, &guess).await?;
        let account = user::Entity::find()
            .filter(user::Column::UsernameLower.eq(lower.clone()))
            .one(&state.db)
            .await?;
        let stored = account.as_ref().and_then(|a| a.password_hash.clone());
        // One verification on every path, so the answer takes as long for everyone. A
        // sign-up still waiting for its email gets the same answer as a wrong password: the
        // answer never tells whether an account exists.
        let matches = state.hasher.verify(password, stored).await?;
        let account = match account {
            Some(account) if matches => {
                state.throttle.right(&state.db, slot).await?;
                account
            }
            _ => {
                state.throttle.wrong(&state.db, slot).await?;
                return Err(AppError::validation("form", NO_MATCH));
            }
        };
        if account.status != Status::Active {
            tracing::info!(user_id = account.id, "sign-in refused: account not active");
            return Err(AppError::validation(
                "form",
                "This account is not active. Please contact your clinic.",
            ));
        }
        if crate::two_step::service::is_on(&state.db, account.id).await? {
            let step = crate::two_step::service::start_step(&state.db, account.id, next).await?;
            tracing::info!(user_id = account.id, "password right: second step asked");
            return Ok(SignedIn::SecondStep(step));
        }
        let token = open_session(state, &account).await?;
        let sees_patients = matches!(
            account.user_type,
            UserType::ClinicAdmin | UserType::Provider
        );
        let required = sees_patients
            && clinic::Entity::find_by_id(account.clinic_id)
                .one(&state.db)
                .await?
                .is_some_and(|c| c.require_two_step);
        let landing = if required {
            crate::two_step::SECURITY_REQUIRED.to_owned()
        } else {
            landing(&account, next.as_deref())
        };
        Ok(SignedIn::Session { token, landing })
    }

    /// Starts a session for `account`, whose sign-in passed every step.
    pub async fn open_session(state: &AppState, account: &user::Model) -> Result<String, AppError> {
        let token = session::create(&state.db, account.id, state.auth.session_absolute_ms).await?;
        user::Entity::update_many()
            .col_expr(user::Column::LastLoginAt, now_ms().into())
            .filter(user::Column::Id.eq(account.id))
            .exec(&state.db)
            .await?;
        tracing::info!(user_id = account.id, "signed in");
        Ok(token)
    }

    /// Where a sign-in goes first: `next` when it was asked for (and is safe), else a Clinic
    /// Admin's users table, a Provider's patients waiting, anyone else's account.
    pub fn landing(account: &user::Model, next: Option<&str>) -> String {
        match next.filter(|n| crate::auth::safe_next(n)) {
            Some(next) => next.to_owned(),
            None => match account.user_type {
                UserType::ClinicAdmin => "/admin/users",
                UserType::Provider => "/provider",
                _ => "/account",
            }
            .to_owned(),
        }
    }

    /// The caller as their pages' frame shows them, from what their session's lookup read.
    pub fn describe(who: &SessionUser) -> Me {
        Me {
            user_id: who.user_id,
            display_name: who.shown.display_name.clone(),
            is_admin: !who.admin_of.is_empty(),
            clinic_name: who.shown.clinic_name.clone(),
            idle_timeout_minutes: u32::try_from(who.idle_timeout_minutes).unwrap_or(30),
        }
    }
}

// How each form that posts to these functions makes its call in the browser.

impl FromFields for Login {
    fn from_fields(f: &Fields) -> Self {
        Self {
            username: f.text("username"),
            password: f.text("password"),
            next: f.get("next"),
        }
    }
}

impl FromFields for Logout {
    fn from_fields(_: &Fields) -> Self {
        Self {}
    }
}

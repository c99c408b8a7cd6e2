//! Passkeys (WebAuthn, with `webauthn-rs`): adding one to the account, removing one, and
//! the ceremony of the second step. The server keeps each ceremony's state (its challenge)
//! and checks the browser's answer against it; the browser's part is `two_step::browser`.

use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, Set,
};
use serde::{Deserialize, Serialize};
use webauthn_rs::prelude::{
    Passkey, PasskeyAuthentication, PasskeyRegistration, PublicKeyCredential,
    RegisterPublicKeyCredential, Url, Uuid, Webauthn, WebauthnBuilder,
};

use super::{Mail, account, changed, forget_if_none_left, lock_account, own_password, row};
use crate::audit::Change;
use crate::auth::session::SessionUser;
use crate::db::now_ms;
use crate::entities::{passkey, second_step, two_step, user};
use crate::error::AppError;
use crate::state::AppState;
use crate::two_step::{PasskeyItem, words};

/// A passkey ceremony is answered within this long.
const CEREMONY_MS: i64 = 5 * 60 * 1000;

/// The most passkeys one account keeps (each sign-in's ceremony lists them all).
pub const PASSKEY_LIMIT: usize = 10;

/// The longest credential ID WebAuthn allows, in bytes.
const CREDENTIAL_ID_MAX: usize = 1023;

use crate::two_step::PASSKEY_NAME_MAX as NAME_MAX;

/// The relying party of `public_url`: passkeys belong to its host name. None when that
/// host is an IP address (browsers refuse passkeys there) or the URL cannot be read.
pub fn relying_party(public_url: &str) -> Option<Webauthn> {
    let url = Url::parse(public_url).ok()?;
    let host = url.domain()?.to_owned();
    WebauthnBuilder::new(&host, &url)
        .ok()?
        .rp_name("Frontdesk")
        .build()
        .ok()
}

fn relying(state: &AppState) -> Result<&Webauthn, AppError> {
    state.passkeys.as_deref().ok_or_else(|| AppError::Conflict {
        message: words::PASSKEYS_NEED_A_NAME.to_owned(),
    })
}

/// A passkey being added: the name its owner gave it and the ceremony's state.
#[derive(Serialize, Deserialize)]
struct Adding {
    name: String,
    state: PasskeyRegistration,
}

fn json<T: Serialize>(value: &T) -> Result<String, AppError> {
    serde_json::to_string(value).map_err(|e| AppError::internal(format!("passkey JSON: {e}")))
}

/// The account's passkeys, oldest first.
pub(super) async fn passkeys_of(
    db: &impl ConnectionTrait,
    user_id: i64,
) -> Result<Vec<passkey::Model>, AppError> {
    Ok(passkey::Entity::find()
        .filter(passkey::Column::UserId.eq(user_id))
        .order_by_asc(passkey::Column::AddedAt)
        .order_by_asc(passkey::Column::CredentialId)
        .all(db)
        .await?)
}

pub(super) async fn has_passkey(db: &impl ConnectionTrait, user_id: i64) -> Result<bool, AppError> {
    Ok(passkey::Entity::find()
        .filter(passkey::Column::UserId.eq(user_id))
        .count(db)
        .await?
        > 0)
}

/// What the Security page lists of the account's passkeys, its days in `zone` (the
/// account's own).
pub(super) async fn items(
    db: &impl ConnectionTrait,
    user_id: i64,
    zone: &jiff::tz::TimeZone,
) -> Result<Vec<PasskeyItem>, AppError> {
    let day = |ms: i64| {
        crate::text::format_time(ms, zone)
            .chars()
            .take(10)
            .collect()
    };
    Ok(passkeys_of(db, user_id)
        .await?
        .into_iter()
        .map(|p| PasskeyItem {
            id: p.credential_id,
            name: p.name,
            added: day(p.added_at),
            last_used: p.last_used_at.map(day),
        })
        .collect())
}

/// A passkey's name as typed, or the field's message.
fn passkey_name(name: &str) -> Result<String, AppError> {
    let name = name.trim();
    if name.is_empty() {
        return Err(AppError::validation("passkey_name", words::NAME_PASSKEY));
    }
    if name.chars().count() > NAME_MAX || name.chars().any(char::is_control) {
        return Err(AppError::validation(
            "passkey_name",
            format!("Use at most {NAME_MAX} letters, digits and spaces."),
        ));
    }
    Ok(name.to_owned())
}

/// Begins adding a passkey named `name` to `me`'s account, after their password: the
/// options the browser's `navigator.credentials.create()` takes, as JSON.
pub async fn begin_passkey(
    state: &AppState,
    me: &SessionUser,
    name: &str,
    password: &str,
) -> Result<String, AppError> {
    let webauthn = relying(state)?;
    let (u, _) = account(&state.db, me.user_id).await?;
    let name = passkey_name(name)?;
    // Whoever holds a session but not the password cannot tie the account to their device.
    own_password(state, &u, "passkey_password", password).await?;
    let existing = passkeys_of(&state.db, u.id).await?;
    if existing.len() >= PASSKEY_LIMIT {
        return Err(AppError::Conflict {
            message: format!(
                "An account keeps at most {PASSKEY_LIMIT} passkeys. Remove one first."
            ),
        });
    }
    let handle = row(&state.db, u.id)
        .await?
        .and_then(|r| r.passkey_handle)
        .and_then(|h| Uuid::parse_str(&h).ok())
        .unwrap_or_else(Uuid::new_v4);
    let exclude = existing
        .iter()
        .filter_map(|p| serde_json::from_str::<Passkey>(&p.passkey).ok())
        .map(|p| p.cred_id().clone())
        .collect::<Vec<_>>();
    let full_name = format!("{} {}", u.first_name, u.last_name);
    let display = match full_name.trim() {
        "" => u.username.as_str(),
        name => name,
    };
    let (options, ceremony) = webauthn
        .start_passkey_registration(handle, &u.username, display, Some(exclude))
        .map_err(|e| AppError::internal(format!("passkey registration for user {}: {e}", u.id)))?;
    let adding = json(&Adding {
        name,
        state: ceremony,
    })?;
    let now = now_ms();
    two_step::Entity::insert(two_step::ActiveModel {
        user_id: Set(u.id),
        app_last_step: Set(0),
        updated_at: Set(now),
        passkey_handle: Set(Some(handle.to_string())),
        passkey_pending: Set(Some(adding)),
        passkey_pending_at: Set(Some(now)),
        ..Default::default()
    })
    .on_conflict(
        OnConflict::column(two_step::Column::UserId)
            .update_columns([
                two_step::Column::PasskeyHandle,
                two_step::Column::PasskeyPending,
                two_step::Column::PasskeyPendingAt,
            ])
            .to_owned(),
    )
    .exec(&state.db)
    .await?;
    json(&options.public_key)
}

/// Finishes adding the passkey begun for `me`, with the browser's `answer` (the
/// credential's `toJSON()`). An account without recovery codes gets them.
pub async fn finish_passkey(
    state: &AppState,
    me: &SessionUser,
    current_token: &str,
    answer: &str,
) -> Result<(), AppError> {
    let webauthn = relying(state)?;
    let (u, c) = account(&state.db, me.user_id).await?;
    let expired = || AppError::validation("form", words::PASSKEY_EXPIRED);
    let pending = row(&state.db, u.id)
        .await?
        .filter(|r| {
            r.passkey_pending_at
                .is_some_and(|at| at > now_ms() - CEREMONY_MS)
        })
        .and_then(|r| r.passkey_pending)
        .ok_or_else(expired)?;
    let adding: Adding = serde_json::from_str(&pending).map_err(|_| expired())?;
    let credential: RegisterPublicKeyCredential = serde_json::from_str(answer)
        .map_err(|_| AppError::validation("form", words::PASSKEY_UNREADABLE))?;
    let key = webauthn
        .finish_passkey_registration(&credential, &adding.state)
        .map_err(|e| {
            tracing::info!(user_id = u.id, error = %e, "passkey not added");
            AppError::validation("form", words::PASSKEY_REFUSED)
        })?;
    if key.cred_id().len() > CREDENTIAL_ID_MAX {
        return Err(AppError::validation("form", words::PASSKEY_REFUSED));
    }
    let id = credential_id(key.cred_id());
    let txn = crate::db::write_txn(&state.db).await?;
    lock_account(&txn, u.id).await?;
    // The ceremony is used once: of two answers to it, one adds the passkey.
    let claimed = two_step::Entity::update_many()
        .col_expr(
            two_step::Column::PasskeyPending,
            Option::<String>::None.into(),
        )
        .col_expr(
            two_step::Column::PasskeyPendingAt,
            Option::<i64>::None.into(),
        )
        .filter(two_step::Column::UserId.eq(u.id))
        .filter(two_step::Column::PasskeyPending.eq(pending))
        .exec(&txn)
        .await?;
    if claimed.rows_affected != 1 {
        return Err(expired());
    }
    // One credential, one account: of two accounts adding it at once, one does.
    let inserted = passkey::Entity::insert(passkey::ActiveModel {
        credential_id: Set(id),
        user_id: Set(u.id),
        name: Set(adding.name.clone()),
        passkey: Set(json(&key)?),
        added_at: Set(now_ms()),
        last_used_at: Set(None),
    })
    .on_conflict(
        OnConflict::column(passkey::Column::CredentialId)
            .do_nothing()
            .to_owned(),
    )
    .exec_without_returning(&txn)
    .await?;
    if inserted != 1 {
        return Err(AppError::Conflict {
            message: words::PASSKEY_TAKEN.to_owned(),
        });
    }
    super::codes::factor_added(state, &txn, u.id, current_token).await?;
    let change = Change::new("Passkey", "", adding.name);
    changed(&txn, &c, &u, u.id, change, Mail::PasskeyAdded).await?;
    txn.commit().await?;
    tracing::info!(user_id = u.id, "passkey added");
    Ok(())
}

/// Removes `me`'s passkey `id`, after their password. Without a factor left, the recovery
/// codes go too.
pub async fn remove_passkey(
    state: &AppState,
    me: &SessionUser,
    id: &str,
    password: &str,
) -> Result<(), AppError> {
    let (u, c) = account(&state.db, me.user_id).await?;
    let Some(key) = passkey::Entity::find_by_id(id.to_owned())
        .one(&state.db)
        .await?
        .filter(|p| p.user_id == u.id)
    else {
        return Err(AppError::validation("passkey", words::PICK_PASSKEY));
    };
    own_password(state, &u, "remove_password", password).await?;
    let txn = crate::db::write_txn(&state.db).await?;
    lock_account(&txn, u.id).await?;
    let gone = passkey::Entity::delete_many()
        .filter(passkey::Column::CredentialId.eq(key.credential_id.clone()))
        .filter(passkey::Column::UserId.eq(u.id))
        .exec(&txn)
        .await?;
    if gone.rows_affected != 1 {
        return Err(AppError::validation("passkey", words::PICK_PASSKEY));
    }
    let last = forget_if_none_left(&txn, u.id).await?;
    let change = Change::new("Passkey", key.name, "Removed");
    changed(&txn, &c, &u, u.id, change, Mail::PasskeyRemoved { last }).await?;
    txn.commit().await?;
    tracing::info!(user_id = u.id, "passkey removed");
    Ok(())
}

/// A credential's id as stored: base64url without padding, as WebAuthn writes it.
fn credential_id(raw: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(raw)
}

/// Begins the passkey ceremony of the half-done sign-in `step`: the options the browser's
/// `navigator.credentials.get()` takes, as JSON.
pub(super) async fn begin_sign_in(
    state: &AppState,
    step: &second_step::Model,
) -> Result<String, AppError> {
    let webauthn = relying(state)?;
    let keys = passkeys_of(&state.db, step.user_id)
        .await?
        .iter()
        .filter_map(|p| serde_json::from_str::<Passkey>(&p.passkey).ok())
        .collect::<Vec<_>>();
    if keys.is_empty() {
        return Err(AppError::validation("form", words::NO_PASSKEY));
    }
    let (options, ceremony) = webauthn
        .start_passkey_authentication(&keys)
        .map_err(|e| AppError::internal(format!("passkey sign-in: {e}")))?;
    second_step::Entity::update_many()
        .col_expr(
            second_step::Column::PasskeyChallenge,
            Some(json(&ceremony)?).into(),
        )
        .filter(second_step::Column::TokenHash.eq(step.token_hash.clone()))
        .exec(&state.db)
        .await?;
    json(&options.public_key)
}

/// Checks the browser's `answer` to the passkey ceremony `challenge` of `u`'s half-done
/// sign-in, and records the passkey's use (its signature counter, when it keeps one).
pub(super) async fn use_passkey(
    state: &AppState,
    db: &impl ConnectionTrait,
    u: &user::Model,
    challenge: Option<&str>,
    answer: &str,
) -> Result<(), AppError> {
    let webauthn = relying(state)?;
    let credential: PublicKeyCredential = serde_json::from_str(answer)
        .map_err(|_| AppError::validation("form", words::PASSKEY_UNREADABLE))?;
    let ceremony: PasskeyAuthentication = challenge
        .and_then(|c| serde_json::from_str(c).ok())
        .ok_or_else(|| AppError::validation("form", words::PASSKEY_AGAIN))?;
    let result = webauthn
        .finish_passkey_authentication(&credential, &ceremony)
        .map_err(|e| {
            tracing::info!(user_id = u.id, error = %e, "passkey refused at sign-in");
            AppError::validation("form", words::WRONG_PASSKEY)
        })?;
    let refused = || AppError::validation("form", words::WRONG_PASSKEY);
    let id = credential_id(result.cred_id());
    let stored = passkey::Entity::find_by_id(id.clone())
        .one(db)
        .await?
        .filter(|p| p.user_id == u.id)
        .ok_or_else(refused)?;
    // The ceremony holds the counter as it was when it began; the stored one may have
    // moved since (another sign-in). A counter that does not move forward is a copied
    // authenticator's.
    let counter = stored_counter(&stored.passkey);
    if (result.counter() > 0 || counter > 0) && result.counter() <= counter {
        tracing::warn!(user_id = u.id, "passkey counter did not move forward");
        return Err(refused());
    }
    let mut key: Passkey = serde_json::from_str(&stored.passkey)
        .map_err(|e| AppError::internal(format!("stored passkey of user {}: {e}", u.id)))?;
    key.update_credential(&result);
    // Written only over what was read: of two sign-ins with one passkey at once, or a
    // sign-in and its removal, one wins and the other is refused.
    let used = passkey::Entity::update_many()
        .col_expr(passkey::Column::Passkey, json(&key)?.into())
        .col_expr(passkey::Column::LastUsedAt, Some(now_ms()).into())
        .filter(passkey::Column::CredentialId.eq(id))
        .filter(passkey::Column::UserId.eq(u.id))
        .filter(passkey::Column::Passkey.eq(stored.passkey))
        .exec(db)
        .await?;
    if used.rows_affected != 1 {
        return Err(refused());
    }
    Ok(())
}

/// The signature counter of a stored passkey (0 for one that keeps none).
fn stored_counter(passkey: &str) -> u32 {
    serde_json::from_str::<serde_json::Value>(passkey)
        .ok()
        .and_then(|v| v["cred"]["counter"].as_u64())
        .and_then(|n| u32::try_from(n).ok())
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passkeys_belong_to_a_host_name_never_to_an_ip_address() {
        assert!(relying_party("http://localhost:3000").is_some());
        assert!(relying_party("https://frontdesk.example.org").is_some());
        assert!(relying_party("http://127.0.0.1:3000").is_none());
        assert!(relying_party("http://[::1]:3000").is_none());
        assert!(relying_party("not a url").is_none());
    }

    #[test]
    fn a_passkey_name_is_short_and_printable() {
        assert_eq!(passkey_name("  Work laptop ").unwrap(), "Work laptop");
        assert!(passkey_name("   ").is_err());
        assert!(passkey_name(&"x".repeat(NAME_MAX + 1)).is_err());
        assert!(passkey_name("a\u{7}b").is_err());
    }
}

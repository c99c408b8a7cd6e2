//! Recovery codes, and what turning on any factor does besides: ten codes made (kept
//! sealed until their owner has seen them once), and the account's other sessions ended.

use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, Set};

use super::{CODES, folded_recovery};
use crate::auth::session::hash_token;
use crate::entities::{recovery_code, two_step};
use crate::error::AppError;
use crate::state::AppState;
use crate::two_step::RECOVERY_CODES;

/// Ten new recovery codes, each 80 random bits as four groups of four (base32, lowercase).
fn new_codes() -> Vec<String> {
    const ALPHABET: &[u8; 32] = b"abcdefghijkmnpqrstuvwxyz23456789";
    (0..RECOVERY_CODES)
        .map(|_| {
            let mut bytes = [0u8; 16];
            rand::fill(&mut bytes);
            let chars: Vec<char> = bytes
                .iter()
                .map(|b| ALPHABET[usize::from(b % 32)] as char)
                .collect();
            chars
                .chunks(4)
                .map(|group| group.iter().collect::<String>())
                .collect::<Vec<_>>()
                .join("-")
        })
        .collect()
}

/// Replaces the account's recovery codes with new ones, kept (sealed) to be shown once.
pub(super) async fn make_codes(
    state: &AppState,
    db: &impl ConnectionTrait,
    user_id: i64,
) -> Result<(), AppError> {
    recovery_code::Entity::delete_many()
        .filter(recovery_code::Column::UserId.eq(user_id))
        .exec(db)
        .await?;
    let codes = new_codes();
    recovery_code::Entity::insert_many(codes.iter().map(|code| recovery_code::ActiveModel {
        user_id: Set(user_id),
        code_hash: Set(hash_token(&folded_recovery(code))),
    }))
    .exec(db)
    .await?;
    let unseen = state
        .sealer
        .seal(codes.join(" ").as_bytes(), CODES, user_id)?;
    two_step::Entity::update_many()
        .col_expr(two_step::Column::UnseenCodes, Some(unseen).into())
        .filter(two_step::Column::UserId.eq(user_id))
        .exec(db)
        .await?;
    Ok(())
}

/// What turning on a factor does besides: an account without recovery codes (its first
/// factor) gets them, and its other sessions, opened with the password alone, end.
pub(super) async fn factor_added(
    state: &AppState,
    txn: &impl ConnectionTrait,
    user_id: i64,
    current_token: &str,
) -> Result<(), AppError> {
    let no_codes = recovery_code::Entity::find()
        .filter(recovery_code::Column::UserId.eq(user_id))
        .count(txn)
        .await?
        == 0;
    if no_codes {
        make_codes(state, txn, user_id).await?;
    }
    crate::entities::session::Entity::delete_many()
        .filter(crate::entities::session::Column::UserId.eq(user_id))
        .filter(crate::entities::session::Column::TokenHash.ne(hash_token(current_token)))
        .exec(txn)
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recovery_codes_are_ten_different_groups_of_sixteen_characters() {
        let codes = new_codes();
        assert_eq!(codes.len(), RECOVERY_CODES);
        for code in &codes {
            assert_eq!(code.len(), 19, "{code}");
            assert_eq!(folded_recovery(code).len(), 16);
        }
        let mut unique = codes.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), RECOVERY_CODES);
        assert_eq!(folded_recovery(" ABCD-efgh ijkl-MNOP "), "abcdefghijklmnop");
    }
}

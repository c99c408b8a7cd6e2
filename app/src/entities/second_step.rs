use sea_orm::entity::prelude::*;

/// A sign-in whose password was right, waiting for its second step. Only the SHA-256 of
/// the cookie's token is stored.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "second_steps")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub token_hash: String,
    pub user_id: i64,
    pub next_path: Option<String>,
    pub expires_at: i64,
    /// Wrong answers given to it so far.
    pub attempts: i32,
    /// The passkey ceremony begun for this sign-in (its state, JSON), if one was.
    pub passkey_challenge: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

use sea_orm::entity::prelude::*;

/// An account's two-step sign-in: the authenticator app that is on (its secret sealed), one
/// being set up, recovery codes not yet shown (sealed), and the account's WebAuthn user
/// handle with a passkey being added.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "two_step")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub user_id: i64,
    pub app_secret: Option<String>,
    pub app_on_at: Option<i64>,
    pub app_last_step: i64,
    pub app_pending: Option<String>,
    pub unseen_codes: Option<String>,
    pub updated_at: i64,
    /// The account's WebAuthn user handle (a UUID), made with its first passkey.
    pub passkey_handle: Option<String>,
    /// A passkey being added: its name and the ceremony's state (JSON).
    pub passkey_pending: Option<String>,
    pub passkey_pending_at: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

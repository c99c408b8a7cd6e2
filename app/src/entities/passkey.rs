use sea_orm::entity::prelude::*;

/// A passkey an account added as its second factor: the credential's public key and
/// signature counter (`passkey`, JSON), under the credential's id.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "passkeys")]
pub struct Model {
    /// The credential's id, base64url.
    #[sea_orm(primary_key, auto_increment = false)]
    pub credential_id: String,
    pub user_id: i64,
    /// The device's name, as its owner typed it.
    pub name: String,
    pub passkey: String,
    pub added_at: i64,
    pub last_used_at: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

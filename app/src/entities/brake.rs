use sea_orm::entity::prelude::*;

/// One brake on guessing, shared by every server: the key's theoretical arrival time (GCRA).
/// A guess may pass while `tat` is at most `burst - 1` intervals ahead of now. Keys are
/// SHA-256 digests, so no username or address is stored.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "brakes")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub brake_key: String,
    pub tat: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

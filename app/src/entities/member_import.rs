use sea_orm::entity::prelude::*;

/// A file of members an admin chose to import, and how far its import is (see the
/// migration `m20261207_000013_member_imports`).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "member_imports")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub actor_user_id: i64,
    pub clinic_id: i64,
    /// The room of new members whose row names none.
    pub room_id: Option<i64>,
    pub file_name: String,
    /// Whether new members get the welcome email (they have no password).
    pub welcome: bool,
    pub state: String,
    /// Why the file was refused whole, when it was.
    pub refusal: Option<String>,
    /// The header's columns that are not imported, as the file names them.
    pub ignored_columns: String,
    pub total: i64,
    pub to_create: i64,
    pub to_update: i64,
    pub to_keep: i64,
    pub to_reject: i64,
    pub done: i64,
    pub created: i64,
    pub updated: i64,
    pub unchanged: i64,
    pub rejected: i64,
    pub conflicts: i64,
    /// The last line done.
    pub done_through: i64,
    pub failures: i32,
    pub runner: Option<String>,
    pub lease_until: Option<i64>,
    pub created_at: i64,
    pub started_at: Option<i64>,
    pub finished_at: Option<i64>,
    /// Rows to create that may duplicate a member of the clinic.
    pub to_flag: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

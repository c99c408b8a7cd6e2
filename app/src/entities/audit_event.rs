use sea_orm::entity::prelude::*;

/// Who did what to which member, and when. No foreign keys: events outlive their members.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "audit_events")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub clinic_id: i64,
    pub actor_user_id: Option<i64>,
    pub member_id: Option<i64>,
    pub action: String,
    /// JSON: a list of `{field, from, to}`, with sensitive values masked.
    pub changes: String,
    pub created_at: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

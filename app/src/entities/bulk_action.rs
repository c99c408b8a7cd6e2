use sea_orm::entity::prelude::*;

/// An action an admin asked for on many members at once, and how far it is (see the
/// migration `m20261206_000012_bulk_actions`).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "bulk_actions")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub actor_user_id: i64,
    pub kind: String,
    pub room_id: Option<i64>,
    /// The users page's query (JSON) when the action is on every member of a view.
    pub view_query: Option<String>,
    /// Which members, in words ("3 selected members", "every member matching: …").
    pub scope: String,
    pub state: String,
    pub total: i64,
    pub done: i64,
    pub changed: i64,
    pub unchanged: i64,
    pub conflicts: i64,
    pub refused: i64,
    pub gone: i64,
    /// The last member done, in ID order.
    pub done_through: i64,
    /// The newest member when a view's action was confirmed: no later one joins it.
    pub last_member_id: Option<i64>,
    /// Errors in a row; the action stops at [`crate::members::server::bulk_work`]'s limit.
    pub failures: i32,
    pub runner: Option<String>,
    pub lease_until: Option<i64>,
    pub created_at: i64,
    pub started_at: Option<i64>,
    pub finished_at: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

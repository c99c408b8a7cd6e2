use sea_orm::entity::prelude::*;

/// A member a bulk action is on: their version when selected and, once done, what happened.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "bulk_action_items")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub bulk_action_id: i64,
    #[sea_orm(primary_key, auto_increment = false)]
    pub user_id: i64,
    pub version: i32,
    pub outcome: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

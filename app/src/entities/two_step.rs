use sea_orm::entity::prelude::*;

/// An account's two-step sign-in: the authenticator app that is on (its secret sealed), one
/// being set up, and recovery codes not yet shown (sealed).
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
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

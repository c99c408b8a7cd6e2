use sea_orm::entity::prelude::*;

/// A data row of an imported file: what the preview planned for it and, once done, what
/// happened.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "member_import_rows")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub import_id: i64,
    #[sea_orm(primary_key, auto_increment = false)]
    pub line: i64,
    pub plan: String,
    /// The member the row matched (or created).
    pub user_id: Option<i64>,
    /// The matched member's version when the preview read it.
    pub version: Option<i32>,
    /// The row's fields (JSON), until the import ends.
    pub data: Option<String>,
    /// A rejected row's field messages (JSON).
    pub messages: Option<String>,
    /// `conflict` when the row met a change since the preview; none when it went as
    /// planned (or is not done yet).
    pub outcome: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

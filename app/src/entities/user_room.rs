use sea_orm::entity::prelude::*;

/// A user's assignment to one of the clinic's rooms.
///
/// The table also holds a `status` column that the database keeps equal to the member's
/// status (migration `m20261201_000007`), for the users table's room filters; it is left
/// out here because no code reads or writes it through the entity.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "user_rooms")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub user_id: i64,
    #[sea_orm(primary_key, auto_increment = false)]
    pub room_id: i64,
    pub assigned_at: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

use sea_orm::entity::prelude::*;

/// A patient's stay in a room's waiting room.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "visits")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub clinic_id: i64,
    pub room_id: i64,
    pub user_id: i64,
    pub reason: String,
    pub status: String,
    pub entered_at: i64,
    pub ended_at: Option<i64>,
    pub started_at: Option<i64>,
    /// The provider who started the visit (an ID, kept as the audit trail keeps actors).
    pub started_by: Option<i64>,
    pub ended_by: Option<i64>,
    /// The random code a room's own visit link carries (made when the visit starts).
    pub link_token: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::user::Entity",
        from = "Column::UserId",
        to = "super::user::Column::Id",
        on_delete = "Cascade"
    )]
    User,
    #[sea_orm(
        belongs_to = "super::room::Entity",
        from = "Column::RoomId",
        to = "super::room::Column::Id",
        on_delete = "Cascade"
    )]
    Room,
}

impl ActiveModelBehavior for ActiveModel {}

impl Related<super::user::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::User.def()
    }
}

impl Related<super::room::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Room.def()
    }
}

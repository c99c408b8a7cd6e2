use sea_orm::entity::prelude::*;

/// A sign-up waiting for its email to be confirmed; the account is made from it when the
/// link is used. Only the token's SHA-256 is kept.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "signups")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub clinic_id: i64,
    pub room_id: i64,
    #[sea_orm(unique)]
    pub token_hash: String,
    pub username_lower: String,
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    pub date_of_birth: Option<String>,
    pub phone: Option<String>,
    pub timezone: String,
    pub password_hash: String,
    pub created_at: i64,
    pub expires_at: i64,
    pub used_at: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::clinic::Entity",
        from = "Column::ClinicId",
        to = "super::clinic::Column::Id",
        on_delete = "Cascade"
    )]
    Clinic,
    #[sea_orm(
        belongs_to = "super::room::Entity",
        from = "Column::RoomId",
        to = "super::room::Column::Id",
        on_delete = "Cascade"
    )]
    Room,
}

impl ActiveModelBehavior for ActiveModel {}

impl Related<super::clinic::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Clinic.def()
    }
}

impl Related<super::room::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Room.def()
    }
}

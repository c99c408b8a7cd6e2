use sea_orm::entity::prelude::*;

use crate::accounts::{Status, UserType};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "users")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub clinic_id: i64,
    pub user_type: UserType,
    pub provider_role: Option<String>,
    pub username: String,
    #[sea_orm(unique)]
    pub username_lower: String,
    pub email: String,
    pub email_lower: String,
    pub first_name: String,
    pub last_name: String,
    pub search_first: String,
    pub search_last: String,
    pub search_full: String,
    pub password_hash: Option<String>,
    pub date_of_birth: Option<String>,
    pub address: Option<String>,
    pub city: Option<String>,
    pub state: Option<String>,
    pub zip: Option<String>,
    pub country: String,
    pub phone: Option<String>,
    pub pcp_name: Option<String>,
    pub pcp_phone: Option<String>,
    pub timezone: String,
    pub status: Status,
    pub delete_after: Option<i64>,
    pub email_confirmed_at: Option<i64>,
    /// Milliseconds of the last sign-in; 0 when the user never signed in.
    pub last_login_at: i64,
    pub signed_up_at: i64,
    pub updated_at: i64,
    pub version: i32,
    /// When the dormant-account policy last warned the member (a warning sent before their
    /// last sign-in no longer counts).
    pub dormant_warned_at: Option<i64>,
    /// When an admin last set the member Active again: the dormant-account policy counts
    /// from then as from a sign-in.
    pub active_since: Option<i64>,
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
}

impl ActiveModelBehavior for ActiveModel {}

impl Related<super::clinic::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Clinic.def()
    }
}

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "rooms")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub clinic_id: i64,
    pub name: String,
    pub code: String,
    pub slug: String,
    pub active: bool,
    pub guest_allowed: bool,
    pub signup_allowed: bool,
    pub created_at: i64,
    /// The room's own visit link, `{visit}` standing for the visit's random code; none: Frontdesk's
    /// visit page.
    pub visit_url: Option<String>,
    /// Moves by one at every save; a save made from an older version is refused.
    pub version: i32,
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

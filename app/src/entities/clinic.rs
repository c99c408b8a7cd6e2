use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "clinics")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub name: String,
    pub signup_allowed: bool,
    pub guest_allowed: bool,
    pub pw_min_length: i32,
    pub pw_require_upper: bool,
    pub pw_require_lower: bool,
    pub pw_require_digit: bool,
    pub pw_require_symbol: bool,
    pub pw_history_count: i32,
    pub delete_grace_days: i32,
    pub idle_timeout_minutes: i32,
    /// Days a guest's record stays after their last visit.
    pub guest_retention_days: i32,
    /// Clinic Admins and Providers must turn on two-step sign-in.
    pub require_two_step: bool,
    pub created_at: i64,
    /// Moves by one at every save; a save made from an older version is refused.
    pub version: i32,
    /// Members who have not signed in for this many months are suspended (0: never).
    pub dormant_months: i32,
    /// Days before that suspension they are emailed a warning (0: none).
    pub dormant_warn_days: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

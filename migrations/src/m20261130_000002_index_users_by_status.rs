//! The users table filtered by status: walk only that status's rows, in sign-up order.

use sea_orm_migration::prelude::*;

use crate::idens::Users;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_index(
            Index::create()
                .name("users_clinic_status_signed_up")
                .table(Users::Table)
                .col(Users::ClinicId)
                .col(Users::Status)
                .col(Users::SignedUpAt)
                .col(Users::Id)
                .take(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_index(
            Index::drop()
                .name("users_clinic_status_signed_up")
                .table(Users::Table)
                .to_owned(),
        )
        .await
    }
}

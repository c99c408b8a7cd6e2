//! Sign-ups waiting for their email to be confirmed. The account is only created when the
//! link is used, from exactly what that sign-up held, so an unconfirmed sign-up never takes
//! an address or a username away from anyone.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use crate::idens::{Clinics, Rooms, Signups};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(Signups::Table)
                .col(big_pk_auto(Signups::Id))
                .col(big_integer(Signups::ClinicId))
                .col(big_integer(Signups::RoomId))
                .col(string_len_uniq(Signups::TokenHash, 64))
                .col(string_len(Signups::UsernameLower, 254))
                .col(string_len(Signups::Email, 254))
                .col(string_len(Signups::FirstName, 100))
                .col(string_len(Signups::LastName, 100))
                .col(string_len_null(Signups::DateOfBirth, 10))
                .col(string_len_null(Signups::Phone, 32))
                .col(string_len(Signups::Timezone, 64))
                .col(string_len(Signups::PasswordHash, 200))
                .col(big_integer(Signups::CreatedAt))
                .col(big_integer(Signups::ExpiresAt))
                .col(big_integer_null(Signups::UsedAt))
                .foreign_key(
                    ForeignKey::create()
                        .from(Signups::Table, Signups::ClinicId)
                        .to(Clinics::Table, Clinics::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(Signups::Table, Signups::RoomId)
                        .to(Rooms::Table, Rooms::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .take(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("signups_username_created")
                .table(Signups::Table)
                .col(Signups::UsernameLower)
                .col(Signups::CreatedAt)
                .take(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(Signups::Table).take())
            .await
    }
}

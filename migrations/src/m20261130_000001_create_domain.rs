//! The whole domain of the product: clinics, rooms, users and what hangs off them.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};

use crate::idens::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The first numeric member ID handed out; IDs look like the article's ("ID: 21408246").
const FIRST_USER_ID: i64 = 21_400_000;

fn fk(
    from: (impl IntoIden + 'static, impl IntoIden + 'static),
    to: (impl IntoIden + 'static, impl IntoIden + 'static),
    on_delete: ForeignKeyAction,
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .from(from.0, from.1)
        .to(to.0, to.1)
        .on_delete(on_delete)
        .take()
}

fn index(name: &str, table: impl IntoIden + 'static, cols: Vec<DynIden>) -> IndexCreateStatement {
    let mut stmt = Index::create().name(name).table(table).take();
    for col in cols {
        stmt.col(col);
    }
    stmt
}

macro_rules! cols {
    ($($c:expr),+ $(,)?) => { vec![$($c.into_iden()),+] };
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(Clinics::Table)
                .col(big_pk_auto(Clinics::Id))
                .col(string_len(Clinics::Name, 200))
                .col(boolean(Clinics::SignupAllowed).default(true))
                .col(boolean(Clinics::GuestAllowed).default(true))
                .col(integer(Clinics::PwMinLength).default(8))
                .col(boolean(Clinics::PwRequireUpper).default(true))
                .col(boolean(Clinics::PwRequireLower).default(true))
                .col(boolean(Clinics::PwRequireDigit).default(true))
                .col(boolean(Clinics::PwRequireSymbol).default(true))
                .col(integer(Clinics::PwHistoryCount).default(6))
                .col(integer(Clinics::DeleteGraceDays).default(30))
                .col(integer(Clinics::IdleTimeoutMinutes).default(30))
                .col(big_integer(Clinics::CreatedAt))
                .take(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Rooms::Table)
                .col(big_pk_auto(Rooms::Id))
                .col(big_integer(Rooms::ClinicId))
                .col(string_len(Rooms::Name, 200))
                .col(string_len_uniq(Rooms::Code, 64))
                .col(string_len_uniq(Rooms::Slug, 64))
                .col(boolean(Rooms::Active).default(true))
                .col(boolean(Rooms::GuestAllowed).default(true))
                .col(boolean(Rooms::SignupAllowed).default(true))
                .col(big_integer(Rooms::CreatedAt))
                .foreign_key(&mut fk(
                    (Rooms::Table, Rooms::ClinicId),
                    (Clinics::Table, Clinics::Id),
                    ForeignKeyAction::Cascade,
                ))
                .take(),
        )
        .await?;
        m.create_index(index("rooms_clinic", Rooms::Table, cols![Rooms::ClinicId]))
            .await?;

        m.create_table(
            Table::create()
                .table(Users::Table)
                .col(big_pk_auto(Users::Id))
                .col(big_integer(Users::ClinicId))
                .col(string_len(Users::UserType, 20))
                .col(string_len_null(Users::ProviderRole, 40))
                .col(string_len(Users::Username, 254))
                .col(string_len_uniq(Users::UsernameLower, 254))
                .col(string_len(Users::Email, 254))
                .col(string_len(Users::EmailLower, 254))
                .col(string_len(Users::FirstName, 100))
                .col(string_len(Users::LastName, 100))
                .col(string_len(Users::SearchFirst, 100))
                .col(string_len(Users::SearchLast, 100))
                .col(string_len(Users::SearchFull, 201))
                .col(string_len_null(Users::PasswordHash, 200))
                .col(string_len_null(Users::DateOfBirth, 10))
                .col(string_len_null(Users::Address, 200))
                .col(string_len_null(Users::City, 100))
                .col(string_len_null(Users::State, 100))
                .col(string_len_null(Users::Zip, 20))
                .col(string_len(Users::Country, 2).default("US"))
                .col(string_len_null(Users::Phone, 32))
                .col(string_len_null(Users::PcpName, 200))
                .col(string_len_null(Users::PcpPhone, 32))
                .col(string_len(Users::Timezone, 64).default("America/Los_Angeles"))
                .col(string_len(Users::Status, 20).default("active"))
                .col(big_integer_null(Users::DeleteAfter))
                .col(big_integer_null(Users::EmailConfirmedAt))
                // 0 means "never signed in": a NOT NULL key keeps keyset paging simple.
                .col(big_integer(Users::LastLoginAt).default(0))
                .col(big_integer(Users::SignedUpAt))
                .col(big_integer(Users::UpdatedAt))
                .col(integer(Users::Version).default(1))
                .foreign_key(&mut fk(
                    (Users::Table, Users::ClinicId),
                    (Clinics::Table, Clinics::Id),
                    ForeignKeyAction::Cascade,
                ))
                .take(),
        )
        .await?;
        let user_indexes = [
            index(
                "users_clinic_email",
                Users::Table,
                cols![Users::ClinicId, Users::EmailLower],
            )
            .unique()
            .take(),
            index(
                "users_clinic_first",
                Users::Table,
                cols![Users::ClinicId, Users::SearchFirst, Users::Id],
            ),
            index(
                "users_clinic_last",
                Users::Table,
                cols![Users::ClinicId, Users::SearchLast, Users::Id],
            ),
            index(
                "users_clinic_full",
                Users::Table,
                cols![Users::ClinicId, Users::SearchFull, Users::Id],
            ),
            index(
                "users_clinic_signed_up",
                Users::Table,
                cols![Users::ClinicId, Users::SignedUpAt, Users::Id],
            ),
            index(
                "users_clinic_last_login",
                Users::Table,
                cols![Users::ClinicId, Users::LastLoginAt, Users::Id],
            ),
            index(
                "users_pending_delete",
                Users::Table,
                cols![Users::Status, Users::DeleteAfter],
            ),
        ];
        for stmt in user_indexes {
            m.create_index(stmt).await?;
        }

        m.create_table(
            Table::create()
                .table(ClinicAdmins::Table)
                .col(big_integer(ClinicAdmins::UserId))
                .col(big_integer(ClinicAdmins::ClinicId))
                .primary_key(
                    Index::create()
                        .col(ClinicAdmins::UserId)
                        .col(ClinicAdmins::ClinicId),
                )
                .foreign_key(&mut fk(
                    (ClinicAdmins::Table, ClinicAdmins::UserId),
                    (Users::Table, Users::Id),
                    ForeignKeyAction::Cascade,
                ))
                .foreign_key(&mut fk(
                    (ClinicAdmins::Table, ClinicAdmins::ClinicId),
                    (Clinics::Table, Clinics::Id),
                    ForeignKeyAction::Cascade,
                ))
                .take(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(UserRooms::Table)
                .col(big_integer(UserRooms::UserId))
                .col(big_integer(UserRooms::RoomId))
                .col(big_integer(UserRooms::AssignedAt))
                .primary_key(
                    Index::create()
                        .col(UserRooms::UserId)
                        .col(UserRooms::RoomId),
                )
                .foreign_key(&mut fk(
                    (UserRooms::Table, UserRooms::UserId),
                    (Users::Table, Users::Id),
                    ForeignKeyAction::Cascade,
                ))
                .foreign_key(&mut fk(
                    (UserRooms::Table, UserRooms::RoomId),
                    (Rooms::Table, Rooms::Id),
                    ForeignKeyAction::Cascade,
                ))
                .take(),
        )
        .await?;
        m.create_index(index(
            "user_rooms_room",
            UserRooms::Table,
            cols![UserRooms::RoomId, UserRooms::UserId],
        ))
        .await?;

        m.create_table(
            Table::create()
                .table(Visits::Table)
                .col(big_pk_auto(Visits::Id))
                .col(big_integer(Visits::ClinicId))
                .col(big_integer(Visits::RoomId))
                .col(big_integer(Visits::UserId))
                .col(string_len(Visits::Reason, 500).default(""))
                .col(string_len(Visits::Status, 20).default("waiting"))
                .col(big_integer(Visits::EnteredAt))
                .col(big_integer_null(Visits::EndedAt))
                .foreign_key(&mut fk(
                    (Visits::Table, Visits::UserId),
                    (Users::Table, Users::Id),
                    ForeignKeyAction::Cascade,
                ))
                .foreign_key(&mut fk(
                    (Visits::Table, Visits::RoomId),
                    (Rooms::Table, Rooms::Id),
                    ForeignKeyAction::Cascade,
                ))
                .take(),
        )
        .await?;
        m.create_index(index(
            "visits_user",
            Visits::Table,
            cols![Visits::UserId, Visits::EnteredAt],
        ))
        .await?;
        m.create_index(index(
            "visits_room_queue",
            Visits::Table,
            cols![Visits::RoomId, Visits::Status, Visits::EnteredAt],
        ))
        .await?;

        m.create_table(
            Table::create()
                .table(Sessions::Table)
                .col(big_pk_auto(Sessions::Id))
                .col(string_len_uniq(Sessions::TokenHash, 64))
                .col(big_integer(Sessions::UserId))
                .col(big_integer(Sessions::CreatedAt))
                .col(big_integer(Sessions::LastSeenAt))
                .col(big_integer(Sessions::ExpiresAt))
                .foreign_key(&mut fk(
                    (Sessions::Table, Sessions::UserId),
                    (Users::Table, Users::Id),
                    ForeignKeyAction::Cascade,
                ))
                .take(),
        )
        .await?;
        m.create_index(index(
            "sessions_user",
            Sessions::Table,
            cols![Sessions::UserId],
        ))
        .await?;

        m.create_table(
            Table::create()
                .table(PasswordTokens::Table)
                .col(big_pk_auto(PasswordTokens::Id))
                .col(string_len_uniq(PasswordTokens::TokenHash, 64))
                .col(big_integer(PasswordTokens::UserId))
                .col(string_len(PasswordTokens::Purpose, 20))
                .col(big_integer(PasswordTokens::CreatedAt))
                .col(big_integer(PasswordTokens::ExpiresAt))
                .col(big_integer_null(PasswordTokens::UsedAt))
                .foreign_key(&mut fk(
                    (PasswordTokens::Table, PasswordTokens::UserId),
                    (Users::Table, Users::Id),
                    ForeignKeyAction::Cascade,
                ))
                .take(),
        )
        .await?;
        m.create_index(index(
            "password_tokens_user",
            PasswordTokens::Table,
            cols![PasswordTokens::UserId],
        ))
        .await?;

        m.create_table(
            Table::create()
                .table(PasswordHistory::Table)
                .col(big_pk_auto(PasswordHistory::Id))
                .col(big_integer(PasswordHistory::UserId))
                .col(string_len(PasswordHistory::PasswordHash, 200))
                .col(big_integer(PasswordHistory::CreatedAt))
                .foreign_key(&mut fk(
                    (PasswordHistory::Table, PasswordHistory::UserId),
                    (Users::Table, Users::Id),
                    ForeignKeyAction::Cascade,
                ))
                .take(),
        )
        .await?;
        m.create_index(index(
            "password_history_user",
            PasswordHistory::Table,
            cols![PasswordHistory::UserId, PasswordHistory::CreatedAt],
        ))
        .await?;

        m.create_table(
            Table::create()
                .table(MailOutbox::Table)
                .col(big_pk_auto(MailOutbox::Id))
                .col(big_integer_null(MailOutbox::ClinicId))
                .col(big_integer_null(MailOutbox::UserId))
                .col(string_len(MailOutbox::ToAddress, 254))
                .col(string_len(MailOutbox::Subject, 300))
                .col(text(MailOutbox::TextBody))
                .col(text(MailOutbox::HtmlBody))
                .col(string_len(MailOutbox::Status, 20).default("pending"))
                .col(integer(MailOutbox::Attempts).default(0))
                .col(big_integer(MailOutbox::NextAttemptAt))
                .col(big_integer_null(MailOutbox::LockedUntil))
                .col(text_null(MailOutbox::LastError))
                .col(big_integer(MailOutbox::CreatedAt))
                .col(big_integer_null(MailOutbox::SentAt))
                .foreign_key(&mut fk(
                    (MailOutbox::Table, MailOutbox::UserId),
                    (Users::Table, Users::Id),
                    ForeignKeyAction::Cascade,
                ))
                .take(),
        )
        .await?;
        m.create_index(index(
            "mail_outbox_due",
            MailOutbox::Table,
            cols![MailOutbox::Status, MailOutbox::NextAttemptAt],
        ))
        .await?;
        m.create_index(index(
            "mail_outbox_user",
            MailOutbox::Table,
            cols![MailOutbox::UserId],
        ))
        .await?;

        // Audit events outlive the members they describe: no foreign keys by design.
        m.create_table(
            Table::create()
                .table(AuditEvents::Table)
                .col(big_pk_auto(AuditEvents::Id))
                .col(big_integer(AuditEvents::ClinicId))
                .col(big_integer_null(AuditEvents::ActorUserId))
                .col(big_integer_null(AuditEvents::MemberId))
                .col(string_len(AuditEvents::Action, 40))
                .col(text(AuditEvents::Changes).default("{}"))
                .col(big_integer(AuditEvents::CreatedAt))
                .take(),
        )
        .await?;
        m.create_index(index(
            "audit_clinic_time",
            AuditEvents::Table,
            cols![
                AuditEvents::ClinicId,
                AuditEvents::CreatedAt,
                AuditEvents::Id
            ],
        ))
        .await?;
        m.create_index(index(
            "audit_member_time",
            AuditEvents::Table,
            cols![
                AuditEvents::MemberId,
                AuditEvents::CreatedAt,
                AuditEvents::Id
            ],
        ))
        .await?;

        let db = m.get_connection();
        match db.get_database_backend() {
            DbBackend::Postgres => {
                // Byte-order comparison for the folded search columns, as SQLite's BINARY
                // collation does: prefix searches become index range scans
                // (`col >= 'jo' AND col < 'jo\u{10FFFF}'`) with the same meaning on both.
                for (col, len) in [
                    ("search_first", 100),
                    ("search_last", 100),
                    ("search_full", 201),
                    ("email_lower", 254),
                    ("username_lower", 254),
                ] {
                    db.execute_unprepared(&format!(
                        r#"ALTER TABLE users ALTER COLUMN {col} TYPE varchar({len}) COLLATE "C""#
                    ))
                    .await?;
                }
                db.execute_unprepared(&format!(
                    "ALTER SEQUENCE users_id_seq RESTART WITH {FIRST_USER_ID}"
                ))
                .await?;
            }
            DbBackend::Sqlite => {
                db.execute_unprepared(&format!(
                    "INSERT INTO sqlite_sequence (name, seq) VALUES ('users', {})",
                    FIRST_USER_ID - 1
                ))
                .await?;
            }
            _ => {}
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            AuditEvents::Table.into_iden(),
            MailOutbox::Table.into_iden(),
            PasswordHistory::Table.into_iden(),
            PasswordTokens::Table.into_iden(),
            Sessions::Table.into_iden(),
            Visits::Table.into_iden(),
            UserRooms::Table.into_iden(),
            ClinicAdmins::Table.into_iden(),
            Users::Table.into_iden(),
            Rooms::Table.into_iden(),
            Clinics::Table.into_iden(),
        ] {
            m.drop_table(Table::drop().table(table).take()).await?;
        }
        Ok(())
    }
}

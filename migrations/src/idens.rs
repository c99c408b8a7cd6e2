//! The names of Frontdesk's tables and columns, shared by the migrations.

use sea_orm_migration::prelude::*;

#[derive(DeriveIden)]
pub enum Clinics {
    Table,
    Id,
    Name,
    SignupAllowed,
    GuestAllowed,
    PwMinLength,
    PwRequireUpper,
    PwRequireLower,
    PwRequireDigit,
    PwRequireSymbol,
    PwHistoryCount,
    DeleteGraceDays,
    IdleTimeoutMinutes,
    CreatedAt,
}

#[derive(DeriveIden)]
pub enum Rooms {
    Table,
    Id,
    ClinicId,
    Name,
    Code,
    Slug,
    Active,
    GuestAllowed,
    SignupAllowed,
    CreatedAt,
}

#[derive(DeriveIden)]
pub enum Users {
    Table,
    Id,
    ClinicId,
    UserType,
    ProviderRole,
    Username,
    UsernameLower,
    Email,
    EmailLower,
    FirstName,
    LastName,
    SearchFirst,
    SearchLast,
    SearchFull,
    PasswordHash,
    DateOfBirth,
    Address,
    City,
    State,
    Zip,
    Country,
    Phone,
    PcpName,
    PcpPhone,
    Timezone,
    Status,
    DeleteAfter,
    EmailConfirmedAt,
    LastLoginAt,
    SignedUpAt,
    UpdatedAt,
    Version,
}

#[derive(DeriveIden)]
pub enum ClinicAdmins {
    Table,
    UserId,
    ClinicId,
}

#[derive(DeriveIden)]
pub enum UserRooms {
    Table,
    UserId,
    RoomId,
    AssignedAt,
}

#[derive(DeriveIden)]
pub enum Visits {
    Table,
    Id,
    ClinicId,
    RoomId,
    UserId,
    Reason,
    Status,
    EnteredAt,
    EndedAt,
}

#[derive(DeriveIden)]
pub enum Sessions {
    Table,
    Id,
    TokenHash,
    UserId,
    CreatedAt,
    LastSeenAt,
    ExpiresAt,
}

#[derive(DeriveIden)]
pub enum PasswordTokens {
    Table,
    Id,
    TokenHash,
    UserId,
    Purpose,
    CreatedAt,
    ExpiresAt,
    UsedAt,
}

#[derive(DeriveIden)]
pub enum PasswordHistory {
    Table,
    Id,
    UserId,
    PasswordHash,
    CreatedAt,
}

#[derive(DeriveIden)]
pub enum MailOutbox {
    Table,
    Id,
    ClinicId,
    UserId,
    ToAddress,
    Subject,
    TextBody,
    HtmlBody,
    Status,
    Attempts,
    NextAttemptAt,
    LockedUntil,
    LastError,
    CreatedAt,
    SentAt,
}

#[derive(DeriveIden)]
pub enum AuditEvents {
    Table,
    Id,
    ClinicId,
    ActorUserId,
    MemberId,
    Action,
    Changes,
    CreatedAt,
}

#[derive(DeriveIden)]
pub enum Signups {
    Table,
    Id,
    ClinicId,
    RoomId,
    TokenHash,
    UsernameLower,
    Email,
    FirstName,
    LastName,
    DateOfBirth,
    Phone,
    Timezone,
    PasswordHash,
    CreatedAt,
    ExpiresAt,
    UsedAt,
}
